#include "tests/support/test_database.hpp"

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

std::pair<std::string, std::string> TestDatabase::env() const {
    if (target_.backend == db::Backend::sqlite) return {"OPSBOT_DB", target_.location};
    return {"OPSBOT_DATABASE_URL", postgres_->url()};
}

}  // namespace opsbot::test
