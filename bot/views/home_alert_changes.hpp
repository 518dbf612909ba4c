#pragma once
// Alerts reach the Home tabs through the alert store, not the audit log (a
// webhook's row names the Sentry project, and the issue is applied later by
// the relay): this decorator of the relay's AlertStore reports the project
// of an issue that appeared, or whose status changed (resolved, ignored,
// muted, reopened, from Sentry or from opsbot). A mere new occurrence of an
// open issue is not reported, so that an alert storm does not turn into a
// storm of views.publish calls; its count shows at the next refresh.

#include <functional>
#include <set>
#include <string>

#include "core/alerts.hpp"

namespace opsbot::views {

class ChangeReportingAlerts final : public AlertStore {
public:
    using Listener = std::function<void(const std::string& project)>;

    // listener: the same as ChangeReportingAudit's, which it forwards to.
    ChangeReportingAlerts(AlertStore& inner, Listener listener)
        : inner_(inner), listener_(std::move(listener)) {}

    void apply(const std::vector<AlertIssue>& issues,
               const std::vector<std::int64_t>& inbox_ids) override {
        std::set<std::string> changed;
        for (const auto& issue : issues) {
            if (issue.project.empty()) continue;
            const auto before = inner_.issue(issue.issue_id);
            if (!before || before->status != issue.status) changed.insert(issue.project);
        }
        inner_.apply(issues, inbox_ids);
        for (const auto& project : changed) listener_(project);
    }
    void set_status(const std::string& issue_id, AlertStatus status, const std::string& by,
                    std::optional<TimePoint> muted_until) override {
        inner_.set_status(issue_id, status, by, muted_until);
        if (const auto issue = inner_.issue(issue_id); issue && !issue->project.empty())
            listener_(issue->project);
    }

    // The rest as the inner store has it.
    bool record(const std::string& key, TimePoint received, const Alert& alert) override {
        return inner_.record(key, received, alert);
    }
    std::vector<InboxAlert> unapplied(int limit) override { return inner_.unapplied(limit); }
    std::optional<AlertIssue> issue(const std::string& id) override { return inner_.issue(id); }
    std::int64_t occurrences_since(const std::string& id, TimePoint since) override {
        return inner_.occurrences_since(id, since);
    }
    std::vector<AlertIssue> unposted() override { return inner_.unposted(); }
    std::vector<AlertMessage> pending_messages() override { return inner_.pending_messages(); }
    std::vector<AlertIssue> issues_of(std::int64_t message_id) override {
        return inner_.issues_of(message_id);
    }
    std::optional<AlertMessage> open_digest(const std::string& channel,
                                            TimePoint created_after) override {
        return inner_.open_digest(channel, created_after);
    }
    AlertMessage create_message(const std::string& channel, AlertMessageKind kind, TimePoint now,
                                const std::vector<std::string>& issue_ids) override {
        return inner_.create_message(channel, kind, now, issue_ids);
    }
    void attach(std::int64_t message_id, const std::vector<std::string>& issue_ids) override {
        inner_.attach(message_id, issue_ids);
    }
    void take(std::int64_t message_id) override { inner_.take(message_id); }
    void delivered(std::int64_t message_id, const std::string& posted_to,
                   const std::string& ts) override {
        inner_.delivered(message_id, posted_to, ts);
    }
    void retry_later(std::int64_t message_id) override { inner_.retry_later(message_id); }
    void repost(std::int64_t message_id) override { inner_.repost(message_id); }
    std::vector<AlertIssue> recent(const std::string& project, bool open_only, int limit) override {
        return inner_.recent(project, open_only, limit);
    }
    std::int64_t prune(TimePoint before) override { return inner_.prune(before); }

private:
    AlertStore& inner_;
    Listener listener_;
};

}  // namespace opsbot::views
