// alerts [project], and alert resolve|ignore|mute <issue>: the open Sentry
// alerts opsbot has relayed, and the typed form of the alert buttons.

#include "commands/builtin_commands.hpp"
#include "core/alerts.hpp"
#include "core/permissions.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

constexpr int kListed = 15;

CommandResult not_wired() {
    return CommandResult::failure("Alerts are not available in this mode.", "no_alert_service");
}

std::string alert_line(const AlertIssue& issue, TimePoint now) {
    const auto& a = issue.latest;
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - issue.last_received);
    const std::string title = escape_mrkdwn(shorten(a.title, 200));
    std::string line = "• `" + issue.issue_id + "` ";
    line += a.link.empty() ? "*" + title + "*" : "*<" + escape_mrkdwn(a.link) + "|" + title + ">*";
    line += " — " +
            (issue.project.empty() ? "Sentry project " + escape_mrkdwn(a.project) : issue.project);
    line += " · " + std::to_string(issue.events) + (issue.events == 1 ? " event" : " events");
    line += " · last " + format_duration(age) + " ago";
    if (!issue.assignee.empty()) line += " · assigned to " + escape_mrkdwn(issue.assignee);
    return line;
}

class AlertsCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* alerts = context.services.alerts;
        if (!alerts) return not_wired();
        const std::string project = args.project();
        const auto open = alerts->open_alerts(project, kListed);
        const std::string where = project.empty() ? "" : " for " + project;
        if (open.empty())
            return CommandResult::ok("No open alerts" + where + ". 🎉", Visibility::ephemeral);
        std::string text = "*Open alerts" + where + "*, most recent first:\n";
        const auto now = context.clock.now();
        for (const auto& issue : open) text += alert_line(issue, now) + "\n";
        text +=
            "Resolve one with `alert resolve <id>`, or mute it for an hour with `alert mute "
            "<id>`.";
        return CommandResult::ok(text, Visibility::ephemeral);
    }

private:
    CommandSpec spec_{
        .name = "alerts",
        .summary = "The open Sentry alerts opsbot has relayed, most recent first",
        .params = {{.name = "project",
                    .type = ParamType::project,
                    .help = "only this project",
                    .optional = true}},
        .examples = {"alerts", "alerts acme"},
        .group = "alerts",
    };
};

// Resolve, Ignore and Mute: the role check is on the alert's own project and
// environment, which only the stored alert knows.
class AlertChangeCommand final : public Command {
public:
    explicit AlertChangeCommand(AlertChange change) : change_(change) {
        const std::string verb = to_string(change);
        spec_.name = "alert " + verb;
        spec_.summary = change == AlertChange::resolve  ? "Resolve a Sentry issue"
                        : change == AlertChange::ignore ? "Ignore (archive) a Sentry issue"
                                                        : "Mute a Sentry issue for an hour";
        spec_.summary += " (needs the triage permission on its project)";
        spec_.params = {{.name = "issue", .type = ParamType::word, .help = "the Sentry issue id"}};
        spec_.examples = {"alert " + verb + " 1170820242"};
        spec_.action = true;
        spec_.group = "alerts";
    }

    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* alerts = context.services.alerts;
        if (!alerts) return not_wired();
        const std::string id = args.get("issue");
        const auto issue = alerts->find(id);
        if (!issue)
            return CommandResult::failure(
                "opsbot has seen no Sentry issue `" + id + "`; `alerts` lists the open ones.",
                "unknown_alert");
        AccessRequest access{"triage", issue->project, parse_env(issue->environment)};
        if (issue->project.empty()) access.env = Env::prod;
        const auto decision = context.permissions.check(context.actor, access);
        if (!decision.allowed) {
            CommandResult denied = CommandResult::failure(
                Permissions::explain_denial(access, decision), "denied: triage");
            denied.outcome = Outcome::denied;
            return denied;
        }
        const std::string what = std::string(to_string(change_)) + " Sentry issue `" + id + "` (" +
                                 issue->latest.title + ")";
        if (context.dry_run)
            return CommandResult::ok("Dry run: would " + what + " with\n```" +
                                     alerts->describe_change(id, change_) + "```");
        if (const auto changed = alerts->change(id, change_, context.actor); !changed) {
            return CommandResult::failure(changed.error(), "Could not " + what + ": ");
        }
        CommandResult result = CommandResult::ok(past_tense() + " Sentry issue `" + id + "` (" +
                                                 issue->latest.title + ").");
        result.external_ref = "sentry issue " + id;
        return result;
    }

private:
    std::string past_tense() const {
        switch (change_) {
            case AlertChange::ignore:
                return "🔕 Ignored";
            case AlertChange::mute:
                return "🔕 Muted for an hour";
            case AlertChange::resolve:
                break;
        }
        return "✅ Resolved";
    }

    AlertChange change_;
    CommandSpec spec_;
};

}  // namespace

std::unique_ptr<Command> make_alerts_command() {
    return std::make_unique<AlertsCommand>();
}
std::unique_ptr<Command> make_alert_change_command(AlertChange change) {
    return std::make_unique<AlertChangeCommand>(change);
}

}  // namespace opsbot::commands
