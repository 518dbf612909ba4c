#pragma once
// The audit log's hash chain, apart from where rows are stored: each row's
// hash covers its content and the hash of the row before, so an edited,
// removed or reordered row breaks the chain from there on.

#include <cstdint>
#include <string>

#include "core/audit.hpp"

namespace opsbot {

// prev_hash of the first row.
const std::string& audit_genesis_hash();

// The canonical content a row's hash covers, shared by writer and verifier:
// a JSON array of the columns, the replica last and only when it is set.
std::string audit_content_for_hash(const AuditRecord& record);
// hex(SHA-256(prev_hash + "\n" + content))
std::string audit_chain_hash(const std::string& prev_hash, const std::string& content);

// Walks rows in append order. content is the row's content as stored (not as
// decoded into enums), so that an edited name still changes the hash.
class AuditChainCheck {
public:
    // False once a row breaks the chain; result() then names it.
    bool add(std::int64_t id, const std::string& prev_hash, const std::string& hash,
             const std::string& content);
    const AuditVerification& result() const { return result_; }

private:
    AuditVerification result_;
    std::string previous_hash_ = audit_genesis_hash();
    std::int64_t previous_id_ = 0;
};

}  // namespace opsbot
