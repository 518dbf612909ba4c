#pragma once
// Operator tools on opsbot's own database: a consistent online copy with
// SQLite's backup API (opsbot backup-db) and a write probe (start-up and
// opsbot doctor).

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

struct BackupSummary {
    std::uintmax_t bytes = 0;  // size of the copy
    int pages = 0;             // pages copied
    int page_size = 0;
};

// Copies the database at source into target with sqlite3_backup_*: a snapshot
// of the last committed state, taken while opsbot keeps running on source (WAL
// mode lets its writers go on). Writes target.partial, checks it
// (quick_check) and renames it into place. Refuses an existing target unless
// overwrite. Errors: backup_no_source, backup_target_exists, backup_failed.
Result<BackupSummary> backup_database(const std::string& source, const std::string& target,
                                      bool overwrite);

// Begins a write and rolls it back: throws
// DatabaseError (locked after the busy timeout, read-only, full…) when opsbot
// could not write.
void check_writable(Database& db);

// The SQLite library's and libpq's versions, for opsbot --version.
std::string sqlite_version();
std::string postgres_client_version();

}  // namespace opsbot::db
