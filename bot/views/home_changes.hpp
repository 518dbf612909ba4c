#pragma once
// Which project just changed, read off the audit log: every action opsbot
// takes (a command, a button, a deploy's progress and end, a runbook step)
// leaves a row naming its project, so this decorator of the AuditStore (the
// pattern of bot/metered_audit.hpp) is where the Home tabs learn of changes
// without each service having to report them.
//
// Rows that changed nothing are left out: refusals (denied, parse errors,
// duplicates, rejected webhooks). A read that names a project (status acme)
// still counts: a list of read-only commands to keep in step would cost more
// than the debounced publish it saves.

#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "core/audit.hpp"

namespace opsbot::views {

class ChangeReportingAudit final : public AuditStore {
public:
    using Listener = std::function<void(const std::string& project)>;

    explicit ChangeReportingAudit(AuditStore& inner) : inner_(inner) {}

    // Called after each row about a project is durable; an empty one stops it.
    void on_change(Listener listener) {
        std::lock_guard lock(mutex_);
        listener_ = std::move(listener);
    }

    // Tells the listener as a row about the project would (alerts do).
    void report(const std::string& project) {
        Listener listener;
        {
            std::lock_guard lock(mutex_);
            listener = listener_;
        }
        if (listener) listener(project);
    }

    AuditRecord append(AuditEntry entry) override {
        AuditRecord record = inner_.append(std::move(entry));
        if (!record.project.empty() && changes_something(record.outcome)) report(record.project);
        return record;
    }
    std::vector<AuditRecord> query(const AuditQuery& query) const override {
        return inner_.query(query);
    }
    AuditVerification verify() const override { return inner_.verify(); }

private:
    static bool changes_something(Outcome outcome) {
        return outcome != Outcome::denied && outcome != Outcome::parse_error &&
               outcome != Outcome::duplicate && outcome != Outcome::rejected;
    }

    AuditStore& inner_;
    std::mutex mutex_;
    Listener listener_;
};

}  // namespace opsbot::views
