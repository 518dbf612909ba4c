#pragma once
// Leases in the table `leases` (migration 013), on either backend; see
// core/leases.hpp. Every expiry is computed by the database's own clock.

#include "core/leases.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlLeaseStore final : public LeaseStore {
public:
    explicit SqlLeaseStore(Connections& pool) : pool_(pool) {}
    LeaseAttempt acquire(const std::string& name, const std::string& holder,
                         std::chrono::milliseconds ttl, const std::string& replacing = "") override;
    bool renew(const LeaseGrant& grant, std::chrono::milliseconds ttl) override;
    bool holds(const LeaseGrant& grant) override;
    void release(const LeaseGrant& grant) override;
    void remove(const LeaseGrant& grant) override;
    std::vector<LeaseRow> list(const std::string& prefix) override;
    void clear() override;

private:
    Connections& pool_;
};

// Inside a write transaction: throws DatabaseError (DatabaseProblem::fenced)
// unless the grant still holds its lease. On PostgreSQL the lease row stays
// share-locked until the transaction ends, so a takeover (which updates the
// row) waits for this write to commit, or this write sees the new epoch.
void check_fence(Database& db, const LeaseGrant& grant);

// The database clock in Unix milliseconds, as an SQL expression.
const char* now_ms_sql(Backend backend);

}  // namespace opsbot::db
