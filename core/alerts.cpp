#include "core/alerts.hpp"

#include "core/catalogue.hpp"

namespace opsbot {

bool Alert::is_occurrence() const {
    return action == "created" || action == "triggered" || action == "critical" ||
           action == "warning";
}

const char* to_string(AlertStatus status) {
    switch (status) {
        case AlertStatus::resolved:
            return "resolved";
        case AlertStatus::ignored:
            return "ignored";
        case AlertStatus::unresolved:
            break;
    }
    return "unresolved";
}

AlertStatus parse_alert_status(const std::string& text) {
    if (text == "resolved") return AlertStatus::resolved;
    if (text == "ignored" || text == "archived") return AlertStatus::ignored;
    return AlertStatus::unresolved;
}

const char* to_string(AlertChange change) {
    switch (change) {
        case AlertChange::ignore:
            return "ignore";
        case AlertChange::mute:
            return "mute";
        case AlertChange::resolve:
            break;
    }
    return "resolve";
}

AlertRoute route_alert(const Catalogue& catalogue, const std::string& sentry_project,
                       const std::string& fallback_channel) {
    for (const auto& project : catalogue.projects)
        for (const auto& [env, environment] : project.environments)
            if (!sentry_project.empty() && environment.sentry_project == sentry_project)
                return {project.channel, project.slug, to_string(env)};
    return {fallback_channel, "", ""};
}

namespace {

// Who changed it in Sentry, for the message: "Alice (Sentry)".
std::string sentry_actor(const Alert& alert) {
    return alert.actor.empty() ? "Sentry" : alert.actor + " (Sentry)";
}

// Sentry echoes the changes opsbot made ("resolved by Alice (Slack)"): a
// webhook that confirms the status it already has keeps who did it and the mute.
void set_status(AlertIssue& issue, AlertStatus status, const Alert& alert) {
    if (issue.status == status) return;
    issue.status = status;
    issue.status_by = sentry_actor(alert);
    issue.muted_until.reset();
}

void apply_status_change(AlertIssue& issue, const Alert& alert) {
    if (alert.action == "resolved")
        set_status(issue, AlertStatus::resolved, alert);
    else if (alert.action == "ignored" || alert.action == "archived")
        set_status(issue, AlertStatus::ignored, alert);
    else if (alert.action == "unresolved") {
        if (issue.status == AlertStatus::resolved) issue.message_id = 0;  // regressed: news
        set_status(issue, AlertStatus::unresolved, alert);
    } else if (alert.action == "assigned")
        issue.assignee = alert.assignee;
}

// Fields a status webhook leaves empty keep what the alert said before.
void merge_content(Alert& into, const Alert& from) {
    const auto keep = [](std::string& field, const std::string& value) {
        if (!value.empty()) field = value;
    };
    keep(into.title, from.title);
    keep(into.culprit, from.culprit);
    keep(into.level, from.level);
    keep(into.environment, from.environment);
    keep(into.release, from.release);
    keep(into.first_seen, from.first_seen);
    keep(into.last_seen, from.last_seen);
    keep(into.link, from.link);
    keep(into.short_id, from.short_id);
    keep(into.rule, from.rule);
    keep(into.project, from.project);
    keep(into.event_id, from.event_id);
    if (from.count > 0) into.count = from.count;
    into.resource = from.resource;
    into.action = from.action;
}

}  // namespace

AlertIssue apply_alert(const std::optional<AlertIssue>& current, const InboxAlert& incoming,
                       const AlertRoute& route) {
    const Alert& alert = incoming.alert;
    AlertIssue issue;
    if (current) {
        issue = *current;
    } else {
        issue.issue_id = alert.issue_id;
        issue.channel = route.channel;
        issue.project = route.project;
        issue.environment = route.environment.empty() ? alert.environment : route.environment;
        issue.first_received = incoming.received;
    }
    merge_content(issue.latest, alert);
    issue.last_received = std::max(issue.last_received, incoming.received);
    if (alert.is_occurrence()) {
        ++issue.events;
        // A new occurrence of a resolved issue, or of one whose mute ran out,
        // reopens it; one ignored for good stays ignored.
        const bool mute_over = issue.status == AlertStatus::ignored && issue.muted_until &&
                               *issue.muted_until <= incoming.received;
        if (issue.status == AlertStatus::resolved || mute_over) {
            issue.status = AlertStatus::unresolved;
            issue.status_by.clear();
            issue.muted_until.reset();
            issue.message_id = 0;  // a regression is news: a new message, not an old edit
        }
    } else {
        apply_status_change(issue, alert);
    }
    if (alert.resource == "metric_alert" && alert.action == "resolved")
        set_status(issue, AlertStatus::resolved, alert);
    return issue;
}

}  // namespace opsbot
