#pragma once
// The append-only, hash-chained audit log in SQLite.

#include <memory>
#include <string>

#include "core/audit.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

// The canonical content a row's hash covers, shared by writer and verifier.
std::string audit_content_for_hash(const AuditRecord& record);
// hex(SHA-256(prev_hash + "\n" + content))
std::string audit_chain_hash(const std::string& prev_hash, const std::string& content);

class AuditLog final : public AuditStore {
public:
    // The database must be migrated. The AuditLog serialises its own writes.
    AuditLog(Database& db, const Clock& clock);
    ~AuditLog() override;

    AuditRecord append(AuditEntry entry) override;
    std::vector<AuditRecord> query(const AuditQuery& query) const override;
    AuditVerification verify() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace opsbot::db
