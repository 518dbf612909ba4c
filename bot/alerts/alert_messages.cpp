#include "bot/alerts/alert_messages.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace opsbot::alerts {
namespace {

using nlohmann::json;

std::string level_icon(const AlertIssue& issue) {
    if (issue.status == AlertStatus::resolved) return "✅";
    if (issue.status == AlertStatus::ignored) return "🔕";
    const auto& level = issue.latest.level;
    if (level == "fatal" || level == "critical") return "🚨";
    if (level == "warning") return "⚠️";
    if (level == "info" || level == "debug") return "ℹ️";
    return "🔴";
}

// Everything Sentry sent, made inert: anyone holding a project's public DSN
// can put "<!channel>" or a fake link in an event.
AlertIssue escaped(AlertIssue issue) {
    auto& a = issue.latest;
    for (std::string* field :
         {&a.title, &a.culprit, &a.level, &a.environment, &a.release, &a.first_seen, &a.last_seen,
          &a.link, &a.short_id, &a.project, &a.rule, &issue.assignee, &issue.status_by})
        *field = escape_mrkdwn(*field);
    return issue;
}

// A metric alert is an incident, not an issue: Sentry's issue API cannot change it.
bool has_buttons(const AlertIssue& issue) {
    return issue.status == AlertStatus::unresolved && issue.issue_id.rfind("metric-", 0) != 0;
}

std::string title_of(const AlertIssue& issue) {
    const auto& a = issue.latest;
    std::string title = shorten(a.title.empty() ? "Sentry issue " + issue.issue_id : a.title, 200);
    return a.link.empty() ? "*" + title + "*" : "*<" + a.link + "|" + title + ">*";
}

std::string where_of(const AlertIssue& issue) {
    if (issue.project.empty())
        return "Sentry project `" + (issue.latest.project.empty() ? "?" : issue.latest.project) +
               "`";
    return issue.project + (issue.environment.empty() ? "" : " " + issue.environment);
}

std::string recent_of(const IssueCounts& counts, const RenderOptions& options) {
    return "× " + std::to_string(counts.recent) + " in the last " +
           std::to_string(options.window.count()) + " min";
}

// "level error · env production · release 1.2.3 · first seen … · last seen … · 1,204 events"
std::string facts_of(const IssueCounts& counts) {
    const auto& issue = counts.issue;
    const auto& a = issue.latest;
    std::vector<std::string> facts;
    if (!a.level.empty()) facts.push_back("level " + a.level);
    if (!a.environment.empty()) facts.push_back("env " + a.environment);
    if (!a.release.empty()) facts.push_back("release " + a.release);
    if (!a.first_seen.empty()) facts.push_back("first seen " + a.first_seen);
    if (!a.last_seen.empty()) facts.push_back("last seen " + a.last_seen);
    const std::int64_t total = std::max(a.count, issue.events);
    facts.push_back(std::to_string(total) + (total == 1 ? " event" : " events"));
    if (!a.short_id.empty()) facts.push_back(a.short_id);
    std::string out;
    for (const auto& fact : facts) out += (out.empty() ? "" : " · ") + fact;
    return out;
}

std::string uncatalogued_note(const AlertIssue& issue, const RenderOptions& options) {
    if (!issue.project.empty()) return "";
    return "Sentry project `" + issue.latest.project +
           "` is not in opsbot's catalogue, so this alert came to " + options.fallback_channel +
           ". Add `sentry_project: " + issue.latest.project +
           "` to the project's prod environment in the catalogue to route it.";
}

json button(const char* action_id, const char* label, const std::string& value,
            const char* style = nullptr) {
    json b{{"type", "button"},
           {"action_id", action_id},
           {"text", {{"type", "plain_text"}, {"text", label}}},
           {"value", value}};
    if (style) b["style"] = style;
    return b;
}

json mrkdwn_section(const std::string& text) {
    return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}};
}

json context(const std::string& text) {
    return {{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", text}}})}};
}

}  // namespace

std::string describe_status(const AlertIssue& issue) {
    std::string text;
    switch (issue.status) {
        case AlertStatus::resolved:
            text = "resolved";
            break;
        case AlertStatus::ignored:
            text =
                issue.muted_until ? "muted until " + format_iso8601(*issue.muted_until) : "ignored";
            break;
        case AlertStatus::unresolved:
            text = "open";
            break;
    }
    if (!issue.status_by.empty() && issue.status != AlertStatus::unresolved)
        text += " by " + issue.status_by;
    if (!issue.assignee.empty()) text += " · assigned to " + issue.assignee;
    return text;
}

Reply render_issue(const IssueCounts& raw, const RenderOptions& options) {
    const IssueCounts counts{escaped(raw.issue), raw.recent};
    const auto& issue = counts.issue;
    const auto& a = issue.latest;
    const std::string headline = level_icon(issue) + " " + title_of(issue);
    const std::string culprit = a.culprit.empty() ? "" : "`" + shorten(a.culprit, 300) + "`";
    const std::string summary =
        where_of(issue) + " · " + recent_of(counts, options) + " · " + describe_status(issue);
    const std::string facts = facts_of(counts);
    const std::string note = uncatalogued_note(issue, options);

    std::string text = headline + (culprit.empty() ? "" : " — " + culprit) + "\n" + summary + "\n" +
                       facts + (note.empty() ? "" : "\n" + note);
    json blocks = json::array();
    blocks.push_back(mrkdwn_section(headline + (culprit.empty() ? "" : "\n" + culprit)));
    blocks.push_back(context(summary));
    blocks.push_back(context(facts + (a.rule.empty() ? "" : " · rule " + a.rule)));
    if (!note.empty()) blocks.push_back(context(note));
    if (has_buttons(issue)) {
        blocks.push_back(
            {{"type", "actions"},
             {"elements", json::array({button(kResolveAction, "Resolve", issue.issue_id, "primary"),
                                       button(kIgnoreAction, "Ignore", issue.issue_id),
                                       button(kMuteAction, "Mute 1h", issue.issue_id)})}});
    }
    return Reply{text, Visibility::in_channel, blocks.dump()};
}

Reply render_digest(const std::vector<IssueCounts>& issues, const RenderOptions& options) {
    constexpr std::size_t kShown = 20;  // Slack allows 50 blocks; keep it readable
    std::int64_t folded = 0;
    for (const auto& counts : issues) folded += counts.issue.events;
    const std::string headline = "🔥 Alert storm: " + std::to_string(issues.size()) +
                                 " issues fired together, " + std::to_string(folded) +
                                 " alerts folded into this digest";
    std::string lines;
    json blocks = json::array({mrkdwn_section(headline)});
    for (std::size_t i = 0; i < issues.size() && i < kShown; ++i) {
        const IssueCounts counts{escaped(issues[i].issue), issues[i].recent};
        const std::string line =
            "• " + level_icon(counts.issue) + " " + title_of(counts.issue) + " — " +
            where_of(counts.issue) + " · " + recent_of(counts, options) + " · " +
            describe_status(counts.issue) + " · `" + counts.issue.issue_id + "`";
        lines += line + "\n";
        blocks.push_back(mrkdwn_section(line));  // one block each: a section holds 3,000 chars
    }
    if (issues.size() > kShown) {
        const std::string more = "… and " + std::to_string(issues.size() - kShown) + " more";
        lines += more + "\n";
        blocks.push_back(context(more));
    }
    const std::string hint =
        "Resolve one with `alert resolve <id>`, mute it with `alert mute <id>`; `alerts` lists "
        "the open ones.";
    blocks.push_back(context(hint));
    return Reply{headline + "\n" + lines + hint, Visibility::in_channel, blocks.dump()};
}

}  // namespace opsbot::alerts
