#pragma once
// Locks, deploy records and parked confirmations in SQLite (migration 005).
// Each store gets a connection of its own: SQLite transactions belong to a
// connection, and these stores are used from several threads.

#include <mutex>

#include "core/confirmations.hpp"
#include "core/deploys.hpp"
#include "core/locks.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlLockStore final : public LockStore {
public:
    explicit SqlLockStore(Connections& pool) : pool_(pool) {}
    std::optional<Lock> acquire(const Lock& wanted, TimePoint now) override;
    std::optional<Lock> take_over(const Lock& wanted, LockKind from, TimePoint now) override;
    bool release(const std::string& project, Env env, LockKind kind,
                 const std::string& owner_id) override;
    void set_ref(const std::string& project, Env env, const std::string& ref) override;
    std::optional<Lock> find(const std::string& project, Env env, TimePoint now) const override;
    std::vector<Lock> all(TimePoint now) const override;

private:
    std::optional<Lock> take(const Lock& wanted, std::optional<LockKind> from, TimePoint now);
    Connections& pool_;
};

class SqlDeployStore final : public DeployStore {
public:
    explicit SqlDeployStore(Connections& pool) : pool_(pool) {}
    std::int64_t create(const DeployRecord& record) override;
    void save_progress(const DeployRecord& record) override;
    bool finish(const DeployRecord& record) override;
    std::optional<DeployRecord> find(std::int64_t id) const override;
    std::optional<DeployRecord> find_by_build(const std::string& job,
                                              std::int64_t number) const override;
    std::optional<DeployRecord> find_by_queue_id(const std::string& job,
                                                 std::int64_t queue_id) const override;
    std::vector<DeployRecord> unfinished() const override;
    std::vector<DeployRecord> recent(const std::string& project, int limit) const override;
    std::vector<DeployRecord> live_history(const std::string& project, Env env,
                                           int limit) const override;

private:
    std::vector<DeployRecord> select(const std::string& where,
                                     const std::vector<std::string>& params) const;
    Connections& pool_;
};

class SqlConfirmationStore final : public ConfirmationStore {
public:
    explicit SqlConfirmationStore(Connections& pool) : pool_(pool) {}
    void create(const Confirmation& confirmation) override;
    std::optional<Confirmation> find(const std::string& id) const override;
    bool decide(const std::string& id, ConfirmationState state, const std::string& decided_by,
                TimePoint when) override;
    std::vector<Confirmation> expired(TimePoint now, int limit) const override;

private:
    Connections& pool_;
};

}  // namespace opsbot::db
