#pragma once
// A migrated database for store tests, on either backend: a SQLite file in a
// temp folder, or a database of its own in the test run's PostgreSQL cluster.
// Store tests run on both: `test::TestDatabase database(OPSBOT_EACH_BACKEND());`

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/audit.hpp"

#include "persistence/database.hpp"
#include "persistence/storage.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/temp_dir.hpp"

#define OPSBOT_EACH_BACKEND() \
    GENERATE(::opsbot::db::Backend::sqlite, ::opsbot::db::Backend::postgresql)

namespace opsbot::test {

// The backend the e2e tests run opsbot on: SQLite, or PostgreSQL when the
// suite runs with OPSBOT_TEST_STORE=postgresql (scripts/test.sh runs both).
db::Backend e2e_backend();

class TestDatabase {
public:
    explicit TestDatabase(db::Backend backend, bool migrated = true);
    // For an opsbot process under test: the SQLite file at sqlite_path (not
    // made until opsbot starts), or a fresh PostgreSQL database.
    TestDatabase(db::Backend backend, const std::string& sqlite_path);

    db::Database& operator*() const { return *db_; }
    db::Database* operator->() const { return db_.get(); }
    operator db::Database&() const { return *db_; }  // NOLINT: stores take it as it is

    db::Backend backend() const { return target_.backend; }
    const char* backend_name() const { return db::to_string(target_.backend); }
    // Where a Storage or an opsbot process finds it: OPSBOT_DB or the URL.
    const db::StorageTarget& target() const { return target_; }
    // For an opsbot process: OPSBOT_DB=… or OPSBOT_DATABASE_URL=….
    std::pair<std::string, std::string> env() const;
    // Another connection to the same database, as a second process has.
    std::unique_ptr<db::Database> connect() const { return db::connect(target_); }

private:
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<PostgresDatabase> postgres_;
    db::StorageTarget target_;
    std::unique_ptr<db::Database> db_;
};

// Every audit row in the store (of one outcome if given), newest first: what
// an e2e test reads back from the opsbot it ran.
std::vector<AuditRecord> audit_rows(const TestDatabase& store,
                                    std::optional<Outcome> outcome = std::nullopt);

// Appends an audit row as an opsbot from before replicas wrote it, to a
// database migrated no further: no replica column, and a hash over the
// fifteen columns there were. Returns its hash, the next row's prev_hash.
std::string append_pre_replica_audit_row(db::Database& database, const std::string& prev_hash,
                                         const AuditEntry& entry, TimePoint time);

}  // namespace opsbot::test
