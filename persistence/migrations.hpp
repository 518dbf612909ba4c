#pragma once
// Numbered schema migrations, the same numbers on both backends, applied in
// order at start-up. Each runs in its own transaction and bumps the schema
// version (SQLite's PRAGMA user_version, PostgreSQL's opsbot_schema table),
// so running them again is a no-op and an old database is upgraded in place.

#include <string>
#include <vector>

#include "persistence/database.hpp"

namespace opsbot::db {

struct Migration {
    int version;           // 1, 2, 3... with no gaps
    std::string name;      // "001_audit_log"
    std::string sql;       // SQLite's DDL
    std::string postgres;  // PostgreSQL's, when more differs than INTEGER's width
};

const std::vector<Migration>& all_migrations();
int latest_schema_version();
int schema_version(Database& db);

// Applies every migration above the database's version up to target (default:
// all). Refuses a database newer than this binary knows, with a clear message.
void migrate(Database& db, int target_version = -1);

}  // namespace opsbot::db
