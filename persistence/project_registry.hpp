#pragma once
// The project registry and the newproject runs (migration 007), on one
// connection of their own.

#include <mutex>

#include "core/project_setup.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqliteProjectRegistry final : public ProjectRegistry {
public:
    SqliteProjectRegistry(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
    std::vector<Project> all() override;
    void put(const Project& project, const std::string& created_by) override;

private:
    Database& db_;
    const Clock& clock_;
    std::mutex mutex_;
};

class SqliteSetupStore final : public SetupStore {
public:
    explicit SqliteSetupStore(Database& db) : db_(db) {}
    std::optional<SetupRecord> find(const std::string& slug) override;
    void save(const SetupRecord& record) override;

private:
    Database& db_;
    std::mutex mutex_;
};

}  // namespace opsbot::db
