#include "bot/alerts/alert_relay.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "core/command.hpp"
#include "core/write_fence.hpp"

namespace opsbot::alerts {
namespace {

constexpr int kInboxBatch = 500;

std::string who(const Actor& actor) {
    return (actor.name.empty() ? actor.user_id : actor.name) +
           (actor.source == Source::slack || actor.source == Source::modal ? " (Slack)"
                                                                           : " (opsbot)");
}

}  // namespace

AlertRelay::AlertRelay(AlertStore& store, Notifier& notifier, const CatalogueSource& catalogue,
                       AuditStore& audit, const Clock& clock, sentry::SentryClient* sentry,
                       AlertRelayOptions options)
    : store_(store),
      notifier_(notifier),
      catalogue_(catalogue),
      audit_(audit),
      clock_(clock),
      sentry_(sentry),
      options_(std::move(options)),
      loop_(
          "alerts: relay pass failed", options_.idle_poll, [this] { return pass(); },
          options_.gather) {}

AlertRelay::~AlertRelay() {
    stop();
}

void AlertRelay::start(std::optional<LeaseGrant> grant) {
    loop_.start(std::move(grant));
}

void AlertRelay::halt() {
    loop_.halt();
}

void AlertRelay::stop() {
    loop_.stop();
}

std::int64_t AlertRelay::prune_inbox() {
    return store_.prune(clock_.now() - options_.keep_inbox);
}

void AlertRelay::wake() {
    loop_.wake();
}

AlertRelay::Steady::time_point AlertRelay::pass() {
    try {
        while (apply_inbox() == kInboxBatch) {
        }
        return deliver();
    } catch (const std::exception& e) {
        // The database is in trouble; what is queued stays queued.
        spdlog::error("alerts: relay pass failed, retrying in 5 s: {}", e.what());
        return Steady::now() + std::chrono::seconds(5);
    }
}

std::size_t AlertRelay::apply_inbox() {
    // Read, change, write back: a button's status change must not land in between.
    std::lock_guard state(state_mutex_);
    const auto rows = store_.unapplied(kInboxBatch);
    if (rows.empty()) return 0;
    std::map<std::string, AlertIssue> changed;
    std::vector<std::int64_t> ids;
    const auto catalogue = catalogue_.current();
    for (const auto& row : rows) {
        ids.push_back(row.id);
        if (!row.alert.relayable()) continue;
        const auto& issue_id = row.alert.issue_id;
        std::optional<AlertIssue> current;
        if (const auto it = changed.find(issue_id); it != changed.end())
            current = it->second;
        else
            current = store_.issue(issue_id);
        const auto route = route_alert(*catalogue, row.alert.project, options_.fallback_channel);
        changed[issue_id] = apply_alert(current, row, route);
    }
    std::vector<AlertIssue> issues;
    for (auto& [id, issue] : changed) issues.push_back(std::move(issue));
    store_.apply(issues, ids);
    return rows.size();
}

AlertRelay::Steady::time_point AlertRelay::deliver() {
    std::map<std::string, std::vector<AlertIssue>> unposted;
    for (auto& issue : store_.unposted()) {
        if (issue.channel.empty()) continue;  // no catalogue channel and no OPSBOT_ALERT_CHANNEL
        unposted[issue.channel].push_back(std::move(issue));
    }
    std::map<std::string, std::vector<AlertMessage>> pending;
    for (auto& message : store_.pending_messages())
        pending[message.channel].push_back(std::move(message));
    std::set<std::string> channels;
    for (const auto& [channel, list] : unposted) channels.insert(channel);
    for (const auto& [channel, list] : pending) channels.insert(channel);

    Steady::time_point next = Steady::time_point::max();
    for (const auto& channel : channels) {
        if (loop_.halted()) break;  // the lease is going: no new Slack call
        const auto now = Steady::now();
        auto& allowed = next_call_[channel];
        if (now < allowed) {
            next = std::min(next, allowed);
            continue;
        }
        std::optional<AlertMessage> message;
        if (const auto it = unposted.find(channel); it != unposted.end())
            message = prepare_new(channel, it->second);
        // A message that keeps failing waits on its own, not in front of the others.
        for (const auto& candidate : pending[channel]) {
            if (message) break;
            const auto retry = retry_at_.find(candidate.id);
            if (retry == retry_at_.end() || retry->second <= now)
                message = candidate;
            else
                next = std::min(next, retry->second);
        }
        if (!message) continue;
        if (send(*message)) {
            failures_.erase(message->id);
            retry_at_.erase(message->id);
        } else {
            // Back off up to a minute; Retry-After was already waited out.
            const int failures = ++failures_[message->id];
            retry_at_[message->id] =
                Steady::now() + options_.channel_pace * (1 << std::min(failures, 6));
            next = std::min(next, retry_at_[message->id]);
        }
        allowed = Steady::now() + options_.channel_pace;
        next = std::min(next, allowed);
    }
    return next;
}

// New issues in a channel: alone, a message of its own; several at once, or
// while a recent digest is open, folded into that digest.
std::optional<AlertMessage> AlertRelay::prepare_new(const std::string& channel,
                                                    const std::vector<AlertIssue>& unposted) {
    std::vector<std::string> ids;
    for (const auto& issue : unposted) ids.push_back(issue.issue_id);
    const auto now = clock_.now();
    if (auto digest = store_.open_digest(channel, now - options_.digest_interval)) {
        store_.attach(digest->id, ids);
        return digest;
    }
    const auto kind = ids.size() == 1 ? AlertMessageKind::issue : AlertMessageKind::digest;
    return store_.create_message(channel, kind, now, ids);
}

Reply AlertRelay::render(const AlertMessage& message) {
    const RenderOptions render_options{options_.window, options_.fallback_channel};
    const auto since = clock_.now() - options_.window;
    std::vector<IssueCounts> counts;
    for (auto& issue : store_.issues_of(message.id)) {
        const auto recent = store_.occurrences_since(issue.issue_id, since);
        counts.push_back({std::move(issue), recent});
    }
    if (message.kind == AlertMessageKind::digest || counts.size() != 1)
        return render_digest(counts, render_options);
    return render_issue(counts.front(), render_options);
}

bool AlertRelay::send(const AlertMessage& message) {
    // Taken first: a change that lands while we send marks it again.
    store_.take(message.id);
    const Reply reply = render(message);
    // "-": shown where messages cannot be updated (the console): show it again.
    if (message.ts.empty() || message.ts == "-") {
        const auto posted = notifier_.post(message.channel, "", reply);
        if (!posted) {
            report_failure(message, posted.error());
            store_.retry_later(message.id);
            return false;
        }
        // The console cannot update a message: "-" marks it posted all the same.
        const auto& ref = posted.value();
        store_.delivered(message.id, ref.channel, ref.ts.empty() ? "-" : ref.ts);
        return true;
    }
    const MessageRef ref{message.posted_to.empty() ? message.channel : message.posted_to,
                         message.ts};
    if (const auto updated = notifier_.update(ref, reply); !updated) {
        report_failure(message, updated.error());
        // Deleted in Slack, or too old to edit: post it again rather than retry forever.
        const auto& code = updated.error().code;
        if (code == "message_not_found" || code == "cant_update_message" ||
            code == "edit_window_closed")
            store_.repost(message.id);
        else
            store_.retry_later(message.id);
        return false;
    }
    return true;
}

// Logged every time, audited once per failing streak: a Slack outage must not
// flood the audit log, but must show in it.
void AlertRelay::report_failure(const AlertMessage& message, const Error& error) {
    if (!failures_.count(message.id)) {
        AuditEntry entry;
        entry.source = Source::system;
        entry.actor_name = "alert relay";
        entry.channel = message.channel;
        entry.command = message.ts.empty() ? "post alert" : "update alert";
        entry.outcome = Outcome::failed;
        entry.external_ref = "alert message " + std::to_string(message.id);
        entry.error = error.code + ": " + error.message + " (kept queued, retried)";
        audit_.append(std::move(entry));
    }
    spdlog::warn("alerts: could not {} the alert message {} in {}: {} ({}); it stays queued",
                 message.ts.empty() ? "post" : "update", message.id, message.channel, error.message,
                 error.code);
}

std::vector<AlertIssue> AlertRelay::open_alerts(const std::string& project, int limit) {
    return store_.recent(project, true, limit);
}

std::optional<AlertIssue> AlertRelay::find(const std::string& issue_id) {
    return store_.issue(issue_id);
}

sentry::IssueUpdate AlertRelay::update_for(AlertChange change) const {
    switch (change) {
        case AlertChange::ignore:
            return {sentry::IssueChange::ignore, options_.mute_for};
        case AlertChange::mute:
            return {sentry::IssueChange::mute, options_.mute_for};
        case AlertChange::resolve:
            break;
    }
    return {sentry::IssueChange::resolve, options_.mute_for};
}

Status AlertRelay::change(const std::string& issue_id, AlertChange change, const Actor& actor) {
    if (!sentry_)
        return Error{"sentry_config",
                     "opsbot cannot change Sentry issues: SENTRY_URL, SENTRY_ORG "
                     "and SENTRY_AUTH_TOKEN are not all set",
                     "set them (the token needs the event:write scope) and restart opsbot"};
    if (const auto sent = sentry_->update_issue(issue_id, update_for(change)); !sent)
        return sent.error();
    std::optional<TimePoint> until;
    if (change == AlertChange::mute) until = clock_.now() + options_.mute_for;
    const auto status =
        change == AlertChange::resolve ? AlertStatus::resolved : AlertStatus::ignored;
    {
        std::lock_guard state(state_mutex_);
        store_.set_status(issue_id, status, who(actor), until);
    }
    wake();
    return success();
}

std::string AlertRelay::describe_change(const std::string& issue_id, AlertChange change) const {
    const sentry::SentryConfig config = sentry_ ? sentry_->config() : sentry::SentryConfig{};
    return describe_request(sentry::update_issue_request(config, issue_id, update_for(change)));
}

}  // namespace opsbot::alerts
