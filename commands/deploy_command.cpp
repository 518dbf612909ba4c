// deploy <project> <env> [ref]: trigger the environment's Jenkins job and
// follow the build in a thread. Prod asks for a confirmation first.

#include "commands/builtin_commands.hpp"
#include "commands/release_flow.hpp"
#include "core/deploys.hpp"
#include "core/freeze.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

std::string params_text(const DeployPlan& plan) {
    std::vector<std::string> parts;
    for (const auto& [name, value] : plan.params) parts.push_back(name + "=" + value);
    return join(parts, ", ");
}

std::string job_link(const CommandContext& context, const DeployPlan& plan) {
    if (!context.services.deploys) return "`" + plan.job + "`";
    return "<" + context.services.deploys->job_url(plan.job) + "|" + plan.job + ">";
}

class DeployCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    Result<ConfirmationPlan> plan(CommandContext& context, const ParsedArgs& args) const override {
        if (const Project* promoted = promoted_project(context, args.project(), *args.env())) {
            if (args.has("ref")) return promote_takes_no_ref(*promoted);
            return plan_release(context, *promoted);
        }
        auto plan =
            make_deploy_plan(context.catalogue, args.project(), *args.env(), args.get("ref"));
        if (!plan) return plan.error();
        const auto& p = plan.value();
        const std::string text = "*Deploy " + p.project + " to " + to_string(p.env) +
                                 "*\n• job: " + job_link(context, p) + "\n• ref: `" + p.ref +
                                 "`\n• parameters: " + params_text(p) + "\n• asked by <@" +
                                 context.actor.user_id + ">";
        return ConfirmationPlan{text, p.digest(), "Deploy"};
    }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (const Project* promoted = promoted_project(context, args.project(), *args.env())) {
            if (args.has("ref")) return CommandResult::failure(promote_takes_no_ref(*promoted));
            return run_release(context, *promoted);
        }
        auto made =
            make_deploy_plan(context.catalogue, args.project(), *args.env(), args.get("ref"));
        if (!made) return CommandResult::failure(made.error());
        const DeployPlan& plan = made.value();
        const std::string where = plan.project + " " + to_string(plan.env);
        DeployService* deploys = context.services.deploys;
        if (context.dry_run || !deploys || !deploys->configured()) return dry_run(context, plan);
        const auto started = deploys->start({.plan = plan,
                                             .requester = context.actor,
                                             .approved_by = context.approved_by,
                                             .channel = context.channel,
                                             .thread = context.thread,
                                             .correlation_id = context.correlation_id});
        if (!started) {
            const auto& e = started.error();
            auto result = CommandResult::failure(e, "Deploy of " + where + " did not start: ");
            result.error = e.code + ": " + e.message;
            return result;
        }
        CommandResult result = CommandResult::ok(
            "🚀 Deploying *" + where + "* (`" + plan.ref + "`) with " + job_link(context, plan) +
            ": queued in Jenkins as deploy #" + std::to_string(started.value().id) +
            "; progress follows in the thread.");
        result.external_ref = started.value().queue_url;
        return result;
    }

private:
    static Error promote_takes_no_ref(const Project& project) {
        return Error{"promote_no_ref",
                     project.slug + " releases prod by promotion: prod gets what is on develop",
                     "run `deploy " + project.slug + " prod` (or `release " + project.slug +
                         "`) without a ref; to put an older commit back, `rollback " +
                         project.slug + " prod <sha>`"};
    }

    static CommandResult dry_run(const CommandContext& context, const DeployPlan& plan) {
        const std::string why =
            context.dry_run ? "dry run" : "JENKINS_URL is not set, so a dry run";
        std::string text = "*" + why + "*: deploying " + plan.project + " " + to_string(plan.env) +
                           " (`" + plan.ref + "`) would send:\n```\n";
        text += context.services.deploys ? context.services.deploys->describe_trigger(plan)
                                         : "POST job " + plan.job + " " + params_text(plan);
        text += "\n```\nNothing was changed.";
        return CommandResult::ok(text);
    }

    CommandSpec spec_{
        .name = "deploy",
        .summary =
            "Deploy a project's environment with its Jenkins job; prod of a project with "
            "`release: promote` is released as `release` does",
        .params = {{.name = "project", .type = ParamType::project, .help = "the project"},
                   {.name = "env", .type = ParamType::environment, .help = "stage or prod"},
                   {.name = "ref",
                    .type = ParamType::word,
                    .help = "branch, tag or commit (default: develop for stage, master for prod)",
                    .optional = true}},
        .flags = {freeze_override_flag()},
        .examples = {"deploy acme stage", "deploy acme prod v1.4.2", "deploy acme prod --dry-run",
                     "deploy acme prod --override-freeze \"checkout down, fix #812\""},
        .permission = "deploy",
        .confirm = ConfirmPolicy::prod_only,
        .lock = LockPolicy::refuse_any,
        .freeze = FreezePolicy::refuse_prod,
        .action = true,
        .group = "deploys",
    };
};

// "#4 acme prod release `master` (`c6d86dc`) — succeeded (SUCCESS), by Alice, …"
std::string describe_deploy(const DeployRecord& d) {
    std::string who = d.requested_by_name.empty() ? d.requested_by : d.requested_by_name;
    std::string line = "#" + std::to_string(d.id) + " " + d.plan.project + " " +
                       to_string(d.plan.env) +
                       (d.kind == DeployKind::job ? "" : std::string(" ") + to_string(d.kind));
    // A rollback's ref is the commit it puts back: shown once, short.
    const bool ref_is_commit = !d.commit.empty() && d.plan.ref == d.commit;
    line += " `" + (ref_is_commit ? short_sha(d.commit) : d.plan.ref) + "`";
    if (!d.commit.empty() && !ref_is_commit) line += " (`" + short_sha(d.commit) + "`)";
    line += " — " + std::string(to_string(d.state));
    if (!d.result.empty()) line += " (" + d.result + ")";
    line += ", by " + who + ", " + format_iso8601(d.created);
    if (!d.build_url.empty())
        line += " <" + d.build_url + "|build " + std::to_string(d.build_number) + ">";
    return line;
}

class DeploysCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (!context.services.deploy_records)
            return CommandResult::failure("Deploy history is not available in this mode.",
                                          "no_deploy_store");
        const auto rows = context.services.deploy_records->recent(args.project(), 10);
        if (rows.empty()) return CommandResult::ok("No deploys recorded yet.");
        std::string text = "*Recent deploys*\n";
        for (const auto& row : rows) text += "• " + describe_deploy(row) + "\n";
        return CommandResult::ok(text);
    }

private:
    CommandSpec spec_{
        .name = "deploys",
        .summary = "Recent deploys: who, what, when and how they ended",
        .params = {{.name = "project",
                    .type = ParamType::project,
                    .help = "only this project",
                    .optional = true}},
        .examples = {"deploys", "deploys acme"},
        .group = "deploys",
    };
};

}  // namespace

std::unique_ptr<Command> make_deploy_command() {
    return std::make_unique<DeployCommand>();
}
std::unique_ptr<Command> make_deploys_command() {
    return std::make_unique<DeploysCommand>();
}

}  // namespace opsbot::commands
