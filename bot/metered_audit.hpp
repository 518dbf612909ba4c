#pragma once
// The audit log as the running opsbot writes it: each row names the replica
// that wrote it (OPSBOT_REPLICA_ID), so that no call site has to, and is
// counted by outcome for /metrics.

#include <string>
#include <utility>

#include "core/audit.hpp"
#include "core/metrics.hpp"

namespace opsbot {

class MeteredAuditStore final : public AuditStore {
public:
    MeteredAuditStore(AuditStore& inner, Metrics& metrics, std::string replica)
        : inner_(inner), metrics_(metrics), replica_(std::move(replica)) {}

    AuditRecord append(AuditEntry entry) override {
        if (entry.replica.empty()) entry.replica = replica_;
        const char* outcome = to_string(entry.outcome);
        AuditRecord record = inner_.append(std::move(entry));
        metrics_.increment(metric::kAuditWrites, {{"outcome", outcome}});
        return record;
    }
    std::vector<AuditRecord> query(const AuditQuery& query) const override {
        return inner_.query(query);
    }
    AuditVerification verify() const override { return inner_.verify(); }

private:
    AuditStore& inner_;
    Metrics& metrics_;
    const std::string replica_;
};

}  // namespace opsbot
