#pragma once
// The project registry and the newproject runs (migration 007), on one
// connection of their own.

#include <mutex>

#include "core/project_setup.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlProjectRegistry final : public ProjectRegistry {
public:
    SqlProjectRegistry(Connections& pool, const Clock& clock) : pool_(pool), clock_(clock) {}
    std::vector<Project> all() override;
    void put(const Project& project, const std::string& created_by) override;

private:
    Connections& pool_;
    const Clock& clock_;
};

class SqlSetupStore final : public SetupStore {
public:
    explicit SqlSetupStore(Connections& pool) : pool_(pool) {}
    std::optional<SetupRecord> find(const std::string& slug) override;
    void save(const SetupRecord& record) override;

private:
    Connections& pool_;
};

}  // namespace opsbot::db
