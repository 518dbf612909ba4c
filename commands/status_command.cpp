// status [project]: what is live where. For each environment the commit put
// live, since when, by whom and by which build, the lock if any, and how many
// commits wait on develop for the next release. Alone: one line per project.

#include "commands/builtin_commands.hpp"
#include "core/dashboard.hpp"
#include "core/releases.hpp"

namespace opsbot::commands {
namespace {

constexpr Env kProdFirst[] = {Env::prod, Env::stage};

std::string waiting_text(const CommandContext& context, const Project& project, bool fetch) {
    if (!context.services.releases || project.release != ReleaseMode::promote) return "";
    const auto n = context.services.releases->waiting(project, fetch);
    if (!n) return fetch ? "commits waiting for release unknown: " + n.error().message : "";
    if (n.value() == 0) return "nothing waiting on develop";
    return std::to_string(n.value()) + (n.value() == 1 ? " commit" : " commits") +
           " waiting for release";
}

std::string environment_line(const CommandContext& context, const Project& project, Env env) {
    const auto now = context.clock.now();
    const auto status = environment_status(context.services, project.slug, env, now);
    std::string line = "• *" + std::string(to_string(env)) + "*: ";
    if (const auto& d = status.live) {
        const TimePoint since = d->finished.value_or(d->created);
        line += commit_text(*d) + " live since " + format_iso8601(since) + " (" +
                format_elapsed(since, now) + " ago" + "), " + label(*d) + " by " +
                deployer_name(*d);
        if (!d->build_url.empty())
            line += ", <" + d->build_url + "|build #" + std::to_string(d->build_number) + ">";
    } else {
        line += "no deploy with a known commit recorded yet";
    }
    if (const auto& d = status.running)
        line += "\n    ⏳ " + label(*d) + " by " + deployer_name(*d) + " is " + to_string(d->state);
    if (status.lock) line += "\n    🔒 " + describe_lock(*status.lock, now);
    return line + "\n";
}

std::string project_line(const CommandContext& context, const Project& project) {
    const auto now = context.clock.now();
    std::string line = "• *" + project.slug + "*";
    for (Env env : kProdFirst) {
        const auto status = environment_status(context.services, project.slug, env, now);
        line += std::string(" · ") + to_string(env) + " ";
        const auto& d = status.live;
        line += d ? commit_text(*d) + " (" + format_elapsed(d->finished.value_or(d->created), now) +
                        " ago" + ")"
                  : "–";
        if (status.lock) line += " 🔒";
    }
    if (const auto waiting = waiting_text(context, project, false); !waiting.empty())
        line += " · " + waiting;
    return line + "\n";
}

class StatusCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (!context.services.deploy_records)
            return CommandResult::failure("Deploy history is not available in this mode.",
                                          "no_deploy_store");
        if (!args.has("project")) {
            std::string text = "*What is live where*\n";
            for (const auto& project : context.catalogue.projects)
                text += project_line(context, project);
            return CommandResult::ok(text + "`status <project>` shows one in detail.");
        }
        const Project& project = *context.catalogue.find_project(args.project());
        std::string text =
            "*" + project.slug + "* (" + project.name + "), prod released " +
            (project.release == ReleaseMode::promote ? "by promotion (develop merged into master)"
                                                     : "with its Jenkins job") +
            "\n";
        for (Env env : kProdFirst) text += environment_line(context, project, env);
        if (const auto waiting = waiting_text(context, project, true); !waiting.empty())
            text += "• " + waiting + "\n";
        return CommandResult::ok(text);
    }

private:
    CommandSpec spec_{
        .name = "status",
        .summary = "What is live where: commit, since when, by whom, the build and the lock",
        .params = {{.name = "project",
                    .type = ParamType::project,
                    .help = "one project in detail",
                    .optional = true}},
        .examples = {"status", "status acme"},
        .group = "deploys",
    };
};

}  // namespace

std::unique_ptr<Command> make_status_command() {
    return std::make_unique<StatusCommand>();
}

}  // namespace opsbot::commands
