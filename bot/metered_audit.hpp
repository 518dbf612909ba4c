#pragma once
// Counts every audit row written, by outcome, for /metrics.

#include "core/audit.hpp"
#include "core/metrics.hpp"

namespace opsbot {

class MeteredAuditStore final : public AuditStore {
public:
    MeteredAuditStore(AuditStore& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}

    AuditRecord append(AuditEntry entry) override {
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
};

}  // namespace opsbot
