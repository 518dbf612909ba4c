#pragma once
// The append-only, hash-chained audit log (the chain itself: core/audit_chain).

#include <memory>
#include <string>

#include "core/audit.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class AuditLog final : public AuditStore {
public:
    // The database must be migrated. Appends serialize on the chain, across
    // processes too.
    AuditLog(Connections& pool, const Clock& clock);
    ~AuditLog() override;

    AuditRecord append(AuditEntry entry) override;
    std::vector<AuditRecord> query(const AuditQuery& query) const override;
    AuditVerification verify() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace opsbot::db
