#pragma once
// opsbot migrate-db: copies a SQLite installation into an empty PostgreSQL
// database, row for row, so the audit chain (ids, times, hashes) carries over
// unchanged and `opsbot audit verify` passes on the copy.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"
#include "persistence/storage.hpp"

namespace opsbot::db {

struct TableCopy {
    std::string table;
    std::int64_t rows = 0;
};

struct CopySummary {
    std::vector<TableCopy> tables;  // in the order they were copied
    std::int64_t audit_rows = 0;    // verified on the target: the chain is intact
    int schema_version = 0;
};

// Copies every table of source (SQLite, migrated to the latest schema first)
// into target (PostgreSQL), which must hold no opsbot rows: the target is
// migrated, then every table's rows are copied in key order in one
// transaction, identity sequences continue after the copied ids, and the
// target's audit chain is verified. Tables come from SQLite's schema, so a
// new table is copied without a change here. Errors: copy_source_chain_broken,
// copy_target_not_empty, copy_failed, copy_verify_failed.
Result<CopySummary> copy_database(Database& source, Database& target, const Clock& clock);

// The same from the SQLite file at sqlite_path into the database at target;
// also copy_no_source and connection errors (unreachable, refused, missing…),
// whose messages never hold the password.
Result<CopySummary> copy_sqlite_to(const std::string& sqlite_path, const StorageTarget& target,
                                   const Clock& clock);

}  // namespace opsbot::db
