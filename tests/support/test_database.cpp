#include "tests/support/test_database.hpp"

#include <cstdlib>

#include "core/time.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"

namespace opsbot::test {

TestDatabase::TestDatabase(db::Backend backend, bool migrated) {
    if (backend == db::Backend::sqlite) {
        dir_ = std::make_unique<TempDir>();
        target_ = db::storage_target("", dir_->file("opsbot.db"));
    } else {
        postgres_ = std::make_unique<PostgresDatabase>();
        target_ = db::storage_target(postgres_->conninfo(), "");
    }
    db_ = connect();
    if (migrated) db::migrate(*db_);
}

db::Backend e2e_backend() {
    const char* store = std::getenv("OPSBOT_TEST_STORE");
    return store != nullptr && std::string(store) == "postgresql" ? db::Backend::postgresql
                                                                  : db::Backend::sqlite;
}

TestDatabase::TestDatabase(db::Backend backend, const std::string& sqlite_path) {
    if (backend == db::Backend::sqlite) {
        target_ = db::storage_target("", sqlite_path);
        return;
    }
    postgres_ = std::make_unique<PostgresDatabase>();
    target_ = db::storage_target(postgres_->conninfo(), "");
}

std::pair<std::string, std::string> TestDatabase::env() const {
    if (target_.backend == db::Backend::sqlite) return {"OPSBOT_DB", target_.location};
    return {"OPSBOT_DATABASE_URL", postgres_->url()};
}

std::vector<AuditRecord> audit_rows(const TestDatabase& store, std::optional<Outcome> outcome) {
    const auto database = store.connect();
    SystemClock clock;
    const db::AuditLog log(*database, clock);
    AuditQuery query;
    query.limit = 0;
    query.outcome = outcome;
    return log.query(query);
}

}  // namespace opsbot::test
