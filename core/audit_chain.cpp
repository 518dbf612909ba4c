#include "core/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include "core/digest.hpp"

namespace opsbot {

const std::string& audit_genesis_hash() {
    static const std::string genesis(64, '0');
    return genesis;
}

std::string audit_content_for_hash(const AuditRecord& record) {
    // Same order as the columns; the id is left out because the database
    // assigns it after the hash is computed, and row order is in prev_hash.
    auto content = nlohmann::json::array({
        format_iso8601(record.time),
        record.correlation_id,
        record.actor_id,
        record.actor_name,
        to_string(record.source),
        record.channel,
        record.thread,
        record.command,
        record.args_json,
        record.project,
        record.environment,
        to_string(record.outcome),
        record.external_ref,
        record.duration_ms ? nlohmann::json(*record.duration_ms) : nlohmann::json(nullptr),
        record.error,
    });
    // Rows from before replicas have none, and their hashes did not cover
    // it: hashed only when present, so those chains still verify.
    if (!record.replica.empty()) content.push_back(record.replica);
    // Invalid UTF-8 typed into a command must not stop it being audited.
    return content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string audit_chain_hash(const std::string& prev_hash, const std::string& content) {
    return sha256_hex(prev_hash + "\n" + content);
}

bool AuditChainCheck::add(std::int64_t id, const std::string& prev_hash, const std::string& hash,
                          const std::string& content) {
    const auto bad = [&](std::string problem) {
        result_.ok = false;
        result_.first_bad_row = id;
        result_.problem = "row " + std::to_string(id) + ": " + std::move(problem);
        return false;
    };
    if (prev_hash != previous_hash_) {
        if (previous_id_ == 0)
            return bad("prev_hash is not the start of the chain (first rows removed?)");
        return bad("prev_hash does not match row " + std::to_string(previous_id_) +
                   " (row removed or reordered?)");
    }
    if (audit_chain_hash(prev_hash, content) != hash)
        return bad("hash does not match its content (edited?)");
    ++result_.rows_checked;
    previous_hash_ = hash;
    previous_id_ = id;
    return true;
}

}  // namespace opsbot
