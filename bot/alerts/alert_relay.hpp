#pragma once
// Takes accepted Sentry alerts from the inbox to Slack, on a thread of its
// own. Each issue gets one message per channel, updated in place as it fires
// again ("× 37 in the last 5 min") or changes status; issues that fire
// together are folded into one digest per channel per interval. Each channel
// gets at most one Slack call per interval, so a storm never outruns Slack's
// pace; an alert that cannot be posted waits and is tried again, never dropped.
// Also the AlertService that commands and buttons use.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "adapters/sentry/sentry.hpp"
#include "bot/alerts/alert_messages.hpp"
#include "bot/replicas/leased_loop.hpp"
#include "core/alerts.hpp"
#include "core/audit.hpp"
#include "core/catalogue_source.hpp"
#include "core/leases.hpp"
#include "core/notifier.hpp"

namespace opsbot::alerts {

struct AlertRelayOptions {
    std::string fallback_channel;                  // OPSBOT_ALERT_CHANNEL
    std::chrono::minutes window{5};                // "× N in the last 5 min"
    std::chrono::seconds digest_interval{60};      // OPSBOT_ALERT_DIGEST_INTERVAL
    std::chrono::milliseconds channel_pace{1100};  // between Slack calls in one channel
    std::chrono::hours keep_inbox{24 * 14};        // accepted webhooks kept for counting and audit
    std::chrono::minutes mute_for{60};             // the Mute 1h button
    std::chrono::milliseconds gather{250};         // after a wake-up, before a pass
    // When nothing wakes it. With replicas the webhooks that fill the inbox
    // arrive at any replica, so the holder looks every second (App).
    std::chrono::milliseconds idle_poll{30'000};
};

class AlertRelay final : public AlertService {
public:
    // sentry may be null: Resolve/Ignore/Mute then say SENTRY_* is not set.
    AlertRelay(AlertStore& store, Notifier& notifier, const CatalogueSource& catalogue,
               AuditStore& audit, const Clock& clock, sentry::SentryClient* sentry,
               AlertRelayOptions options);
    ~AlertRelay() override;  // stop()

    // grant: with replicas, the "alerts" lease, which fences the relay's writes.
    void start(std::optional<LeaseGrant> grant = std::nullopt);
    void stop();
    // Asks the relay to stop after its current Slack call, without waiting
    // (the lease keeper's thread must not wait on Slack); start() waits.
    void halt();
    // New inbox rows or a changed status: look again now. Does nothing where
    // the relay does not run (a replica without the "alerts" lease).
    void wake();
    // Forgets inbox rows past keep_inbox; the number forgotten.
    std::int64_t prune_inbox();

    // AlertService
    std::vector<AlertIssue> open_alerts(const std::string& project, int limit) override;
    std::optional<AlertIssue> find(const std::string& issue_id) override;
    Status change(const std::string& issue_id, AlertChange change, const Actor& actor) override;
    std::string describe_change(const std::string& issue_id, AlertChange change) const override;

private:
    using Steady = std::chrono::steady_clock;

    // Applies the inbox and makes the Slack calls due; returns when the next
    // channel with work may be called.
    Steady::time_point pass();
    std::size_t apply_inbox();
    // One Slack call at most per channel whose pace allows; returns when the
    // next channel with work will be allowed (or max() when none waits).
    Steady::time_point deliver();
    std::optional<AlertMessage> prepare_new(const std::string& channel,
                                            const std::vector<AlertIssue>& unposted);
    bool send(const AlertMessage& message);
    Reply render(const AlertMessage& message);
    void report_failure(const AlertMessage& message, const Error& error);
    sentry::IssueUpdate update_for(AlertChange change) const;

    AlertStore& store_;
    Notifier& notifier_;
    const CatalogueSource& catalogue_;
    AuditStore& audit_;
    const Clock& clock_;
    sentry::SentryClient* sentry_;
    AlertRelayOptions options_;

    std::map<std::string, Steady::time_point> next_call_;  // per channel
    std::map<std::int64_t, int> failures_;                 // per message, while failing
    std::map<std::int64_t, Steady::time_point> retry_at_;  // per failing message
    std::mutex state_mutex_;  // issue states: the relay's batches and status changes
    LeasedLoop loop_;         // last: its thread ends before the state above goes
};

}  // namespace opsbot::alerts
