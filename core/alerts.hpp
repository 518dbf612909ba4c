#pragma once
// Alerts from Sentry as opsbot keeps them: each accepted webhook in an inbox
// (durable before Sentry gets its 2xx), the state of each Sentry issue, and
// the Slack messages that show them. The store lives in persistence/; the
// relay that posts and updates messages in bot/alerts; commands reach alerts
// through AlertService.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

struct Actor;

// One webhook, reduced to what the relay shows and keys on. The Sentry
// adapter fills it; nothing here knows Sentry's JSON.
struct Alert {
    std::string resource;  // issue, event_alert, metric_alert, error, installation, legacy
    // created, resolved, ignored (Sentry's docs say "archived": read as ignored),
    // assigned, unresolved, triggered (event_alert, legacy), critical, warning
    // (metric_alert; its "resolved" stays resolved), or the installation's action.
    std::string action;
    std::string issue_id;  // Sentry's issue (group) id; "metric-<incident id>" for metric alerts
    std::string short_id;  // FRONT-END-9, when sent
    std::string project;   // Sentry project slug
    std::string title;
    std::string culprit;
    std::string level;  // fatal, error, warning, info; critical/warning for metric alerts
    std::string environment;
    std::string release;
    std::string first_seen;  // ISO 8601 as Sentry sent it; may be empty
    std::string last_seen;
    std::int64_t count = 0;  // Sentry's event count for the issue; 0 when not sent
    std::string link;        // the web URL people open
    std::string status;      // unresolved, resolved, ignored; empty when not sent
    std::string assignee;    // who it is assigned to, when action is assigned
    std::string actor;       // who changed it in Sentry (user name), for status changes
    std::string rule;        // the alert rule that fired, for event and metric alerts
    std::string event_id;    // the event, when the webhook is about one

    // True for webhooks that carry an alert to relay (not installation).
    bool relayable() const { return resource != "installation" && !issue_id.empty(); }
    // True when it reports an occurrence (counted), false for a status change.
    bool is_occurrence() const;
};

// An accepted webhook, as recorded in the inbox.
struct InboxAlert {
    std::int64_t id = 0;
    std::string dedupe_key;  // "body:<SHA-256 of the body>", or "legacy:<event id>"
    TimePoint received;
    Alert alert;
};

enum class AlertStatus { unresolved, resolved, ignored };
const char* to_string(AlertStatus status);
AlertStatus parse_alert_status(const std::string& text);  // unknown: unresolved

// One Sentry issue as opsbot shows it: where, what, how often, and who did
// what about it.
struct AlertIssue {
    std::string issue_id;
    std::string channel;      // where its message goes
    std::string project;      // catalogue slug; empty when the Sentry project is not catalogued
    std::string environment;  // the catalogue environment (prod), else Sentry's
    Alert latest;             // the newest content (title, culprit, level, link...)
    std::int64_t events = 0;  // occurrences opsbot received
    AlertStatus status = AlertStatus::unresolved;
    std::string status_by;  // "Alice (Slack)", "Bob (Sentry)"
    std::optional<TimePoint> muted_until;
    std::string assignee;
    TimePoint first_received;
    TimePoint last_received;
    std::int64_t message_id = 0;  // 0: no Slack message yet
};

enum class AlertMessageKind { issue, digest };

// A Slack message showing one issue, or a digest of several in one channel.
struct AlertMessage {
    std::int64_t id = 0;
    std::string channel;
    std::string ts;         // empty until posted
    std::string posted_to;  // the channel id Slack answered (chat.update needs it)
    AlertMessageKind kind = AlertMessageKind::issue;
    TimePoint created;
};

class AlertStore {
public:
    virtual ~AlertStore() = default;

    // The intake's one write, durable when it returns; false when the key was
    // seen before (a replay or a retry), and nothing is written.
    virtual bool record(const std::string& dedupe_key, TimePoint received, const Alert& alert) = 0;
    virtual std::vector<InboxAlert> unapplied(int limit) = 0;
    // In one transaction: the issues' new states and the inbox rows applied.
    // Issues whose message exists get it marked for an update.
    virtual void apply(const std::vector<AlertIssue>& issues,
                       const std::vector<std::int64_t>& inbox_ids) = 0;
    virtual std::optional<AlertIssue> issue(const std::string& issue_id) = 0;
    // Occurrences of the issue received since the time.
    virtual std::int64_t occurrences_since(const std::string& issue_id, TimePoint since) = 0;

    // Delivery: issues with no message yet and not closed, messages to post
    // or update (marked, or never posted), and the issues a message shows.
    virtual std::vector<AlertIssue> unposted() = 0;
    virtual std::vector<AlertMessage> pending_messages() = 0;
    virtual std::vector<AlertIssue> issues_of(std::int64_t message_id) = 0;
    virtual std::optional<AlertMessage> open_digest(const std::string& channel,
                                                    TimePoint created_after) = 0;
    // A new message for these issues, to be posted (pending).
    virtual AlertMessage create_message(const std::string& channel, AlertMessageKind kind,
                                        TimePoint now,
                                        const std::vector<std::string>& issue_ids) = 0;
    // Moves issues into a message (a digest) and marks it for an update.
    virtual void attach(std::int64_t message_id, const std::vector<std::string>& issue_ids) = 0;
    // Taken for sending: no longer pending; a later change marks it again.
    virtual void take(std::int64_t message_id) = 0;
    virtual void delivered(std::int64_t message_id, const std::string& posted_to,
                           const std::string& ts) = 0;
    virtual void retry_later(std::int64_t message_id) = 0;
    // The posted message is gone (deleted, too old to edit): post it anew.
    virtual void repost(std::int64_t message_id) = 0;

    // A change made from opsbot (a button, a command); marks the message.
    virtual void set_status(const std::string& issue_id, AlertStatus status, const std::string& by,
                            std::optional<TimePoint> muted_until) = 0;
    // Newest first; open_only leaves out resolved and ignored ones.
    virtual std::vector<AlertIssue> recent(const std::string& project, bool open_only,
                                           int limit) = 0;
    // Drops applied inbox rows older than the time; returns how many.
    virtual std::int64_t prune(TimePoint before) = 0;
};

enum class AlertChange { resolve, ignore, mute };
const char* to_string(AlertChange change);  // "resolve", "ignore", "mute"

// What commands and buttons use: list alerts, and change one in Sentry.
class AlertService {
public:
    virtual ~AlertService() = default;
    virtual std::vector<AlertIssue> open_alerts(const std::string& project, int limit) = 0;
    virtual std::optional<AlertIssue> find(const std::string& issue_id) = 0;
    // Calls Sentry, records the new status and updates the message; the
    // Error says why not (Sentry refused, not configured).
    virtual Status change(const std::string& issue_id, AlertChange change, const Actor& actor) = 0;
    // The request change() would send, for --dry-run.
    virtual std::string describe_change(const std::string& issue_id, AlertChange change) const = 0;
};

}  // namespace opsbot

namespace opsbot {

struct Catalogue;

// Where alerts of a Sentry project go: the catalogued project whose
// environment names it, else the fallback channel (OPSBOT_ALERT_CHANNEL).
struct AlertRoute {
    std::string channel;
    std::string project;      // empty: not catalogued
    std::string environment;  // the catalogue environment, when catalogued
};
AlertRoute route_alert(const Catalogue& catalogue, const std::string& sentry_project,
                       const std::string& fallback_channel);

// The issue's state after one more webhook. `current` is its state so far,
// if any; new issues are routed with `route`.
AlertIssue apply_alert(const std::optional<AlertIssue>& current, const InboxAlert& incoming,
                       const AlertRoute& route);

}  // namespace opsbot
