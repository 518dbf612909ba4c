// rollback <project> <env> [deploy #N | sha]: puts an earlier commit back
// live by starting the environment's job with it, then keeps the environment
// locked so that the next release does not silently undo the rollback.

#include <algorithm>
#include <cctype>

#include "commands/builtin_commands.hpp"
#include "commands/release_flow.hpp"
#include "core/deploys.hpp"
#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

struct RollbackPlan {
    DeployPlan deploy;         // the job, with the target in its ref parameter
    std::string live;          // the commit live now; empty when none is recorded
    std::string live_label;    // "release #12"
    std::string target;        // full SHA when it could be resolved
    std::string target_label;  // "deploy #9", or "commit abc1234"
    std::string taken_out;     // the commit lines, or why they are unknown

    std::string digest() const { return sha256_hex(deploy.digest() + ":" + live); }
};

bool looks_like_sha(const std::string& text) {
    return text.size() >= 7 && text.size() <= 40 &&
           std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// "#12", "deploy #12", "release 12", or a short bare "12" → 12; 0 when it is
// not a number. Seven or more bare digits are an abbreviated SHA.
std::int64_t deploy_number(std::string text) {
    bool marked = false;
    for (const char* word : {"deploy ", "release ", "rollback "})
        if (starts_with(text, word)) {
            text = text.substr(std::string_view(word).size());
            marked = true;
        }
    if (starts_with(text, "#")) {
        text = text.substr(1);
        marked = true;
    }
    if (text.empty() || text.size() > (marked ? 12 : 6) ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
        return 0;
    return std::stoll(text);
}

Error no_history(const std::string& where) {
    return Error{"no_live_history",
                 "no earlier successful deploy of " + where + " with a known commit is recorded",
                 "name the commit to put back: `rollback " + where + " <sha>`"};
}

Error live_unknown(const std::string& where, const DeployRecord& live) {
    return Error{"live_commit_unknown",
                 "what is live on " + where + " (" + label(live) +
                     ") has no known commit, so the one before it cannot be told",
                 "name what to put back: `rollback " + where + " #<deploy>` or `rollback " + where +
                     " <sha>`"};
}

// The newest successful deploy before what is live, passing over the commits
// a later rollback took out: rolling back twice must not bring them back.
const DeployRecord* previous_good(const std::vector<DeployRecord>& history,
                                  const std::string& live) {
    std::vector<std::string> taken_out;
    for (const auto& d : history) {
        if (d.kind == DeployKind::rollback && !d.replaced_commit.empty())
            taken_out.push_back(d.replaced_commit);
        if (d.commit.empty() || d.commit == live) continue;
        if (std::find(taken_out.begin(), taken_out.end(), d.commit) != taken_out.end()) continue;
        return &d;
    }
    return nullptr;
}

// Git only for projects released by promotion: theirs is the mirror opsbot
// fetches, with keys the operator set up for it.
const Project* promoted(const CommandContext& context, const std::string& slug) {
    const Project* project = context.catalogue.find_project(slug);
    if (!context.services.releases || !project || project->release != ReleaseMode::promote)
        return nullptr;
    return project;
}

class RollbackCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    Result<ConfirmationPlan> plan(CommandContext& context, const ParsedArgs& args) const override {
        auto plan = make_plan(context, args);
        if (!plan) return plan.error();
        return ConfirmationPlan{plan_text(context, args, plan.value()), plan.value().digest(),
                                "Roll back"};
    }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto made = make_plan(context, args);
        if (!made) return CommandResult::failure(made.error(), "Nothing was rolled back: ");
        const RollbackPlan& plan = made.value();
        if (!context.approved_digest.empty() && context.approved_digest != plan.digest())
            return CommandResult::failure(
                "What is live changed since the approval; nothing was rolled back. Run `" +
                    std::string("rollback ") + where(args) + "` again for a fresh plan.",
                "plan_moved");
        DeployService* deploys = context.services.deploys;
        if (context.dry_run || !deploys->configured()) {
            return CommandResult::ok(
                "*Dry run*: " + plan_text(context, args, plan) + "\nIt would send:\n```\n" +
                deploys->describe_trigger(plan.deploy) + "\n```\nNothing was changed.");
        }
        DeployRequest request{
            DeployKind::rollback,  plan.deploy,         plan.target,     plan.live,
            context.actor,         context.approved_by, context.channel, context.thread,
            context.correlation_id};
        const auto started = deploys->start(request);
        if (!started) {
            auto result = CommandResult::failure(
                started.error(), "The rollback of " + where(args) + " did not start: ");
            result.error = started.error().code + ": " + started.error().message;
            return result;
        }
        CommandResult result = CommandResult::ok(
            "⏪ Rolling back *" + where(args) + "* to `" + short_sha(plan.target) + "` (" +
            plan.target_label + ") as rollback #" + std::to_string(started.value().id) +
            "; progress follows in the thread.");
        result.external_ref = started.value().queue_url;
        return result;
    }

private:
    static std::string where(const ParsedArgs& args) {
        return args.project() + " " + to_string(*args.env());
    }

    static Result<RollbackPlan> make_plan(CommandContext& context, const ParsedArgs& args) {
        if (!context.services.deploys || !context.services.deploy_records)
            return Error{"no_deploy_store", "rollback is not available in this mode", ""};
        const Env env = *args.env();
        const auto history = context.services.deploy_records->live_history(args.project(), env, 50);
        RollbackPlan plan;
        if (!history.empty()) {
            plan.live = history.front().commit;
            plan.live_label = label(history.front());
        }
        if (auto target = pick_target(context, args, history, plan); !target.ok())
            return target.error();
        if (plan.target == plan.live)
            return Error{"already_live",
                         "`" + short_sha(plan.target) + "` is what is live on " + where(args),
                         "pick an earlier deploy: `deploys " + args.project() + "` lists them"};
        auto deploy = make_deploy_plan(context.catalogue, args.project(), env, plan.target);
        if (!deploy) return deploy.error();
        plan.deploy = deploy.value();
        plan.taken_out = taken_out(context, args.project(), plan);
        return plan;
    }

    // The commit to put back: named by deploy number or SHA, else the newest
    // successful one before what is live.
    static Status pick_target(CommandContext& context, const ParsedArgs& args,
                              const std::vector<DeployRecord>& history, RollbackPlan& plan) {
        const std::string named = args.get("target");
        if (named.empty()) {
            if (!history.empty() && history.front().commit.empty())
                return live_unknown(where(args), history.front());
            const DeployRecord* earlier = previous_good(history, plan.live);
            if (!earlier) return no_history(where(args));
            plan.target = earlier->commit;
            plan.target_label = label(*earlier);
            return success();
        }
        if (const auto number = deploy_number(named)) {
            const auto d = context.services.deploy_records->find(number);
            if (!d || d->plan.project != args.project() || d->plan.env != *args.env())
                return Error{"unknown_deploy",
                             "there is no deploy #" + std::to_string(number) + " of " + where(args),
                             "`deploys " + args.project() + "` lists them"};
            if (d->state != DeployState::succeeded || d->commit.empty())
                return Error{
                    "not_rollback_target",
                    label(*d) + " of " + where(args) + " did not end with a known commit live",
                    "pick one that succeeded, or name the commit: `rollback " + where(args) +
                        " <sha>`"};
            plan.target = d->commit;
            plan.target_label = label(*d);
            return success();
        }
        if (!looks_like_sha(named))
            return Error{
                "bad_target", "`" + named + "` is neither a deploy number nor a commit",
                "use `rollback " + where(args) + " #12` or `rollback " + where(args) + " 3f2a1bc`"};
        plan.target = named;
        plan.target_label = "commit " + short_sha(named);
        if (const Project* project = promoted(context, args.project())) {
            auto full = context.services.releases->resolve(*project, named);
            if (!full) return full.error();
            plan.target = full.value();
        }
        return success();
    }

    static std::string taken_out(CommandContext& context, const std::string& slug,
                                 const RollbackPlan& plan) {
        const Project* project = promoted(context, slug);
        if (plan.live.empty())
            return "_What is live is not recorded, so neither is what comes out._\n";
        if (!project)
            return "_The project is not released by promotion, so opsbot keeps no copy of its "
                   "repo to list the commits from._\n";
        const auto list = context.services.releases->commits_between(*project, plan.target,
                                                                     plan.live, kPlanCommitLimit);
        if (!list) return "_The commits could not be listed: " + list.error().message + "._\n";
        const int n = list.value().total;
        if (n == 0)
            return "_No commit comes out: `" + short_sha(plan.target) +
                   "` is not an ancestor of what is live._\n";
        return "*" + std::to_string(n) + (n == 1 ? " commit comes" : " commits come") + " out:*\n" +
               commit_lines(list.value());
    }

    static std::string plan_text(const CommandContext& context, const ParsedArgs& args,
                                 const RollbackPlan& plan) {
        std::string text = "*Roll back " + where(args) + "* ";
        if (!plan.live.empty())
            text += "from `" + short_sha(plan.live) + "` (" + plan.live_label + ") ";
        text += "to `" + short_sha(plan.target) + "` (" + plan.target_label + "): runs `" +
                plan.deploy.job + "` with `" + plan.deploy.ref + "` as its ref.\n" + plan.taken_out;
        text += "Afterwards " + where(args) +
                " stays locked, so that the next release does not "
                "undo the rollback; `unlock " +
                where(args) + "` re-enables releases.\nAsked by <@" + context.actor.user_id + ">.";
        return text;
    }

    CommandSpec spec_{
        .name = "rollback",
        .summary =
            "Put the previous successful commit (or the one named) back live, then hold "
            "the environment's lock",
        .params = {{.name = "project", .type = ParamType::project, .help = "the project"},
                   {.name = "env", .type = ParamType::environment, .help = "stage or prod"},
                   {.name = "target",
                    .type = ParamType::text,
                    .help = "deploy #N or a commit SHA (default: the previous successful deploy)",
                    .optional = true}},
        .examples = {"rollback acme prod", "rollback acme prod deploy #12",
                     "rollback acme prod 3f2a1bc"},
        .permission = "rollback",
        .confirm = ConfirmPolicy::prod_only,
        .lock = LockPolicy::refuse_any,
        .action = true,
        .group = "deploys",
    };
};

}  // namespace

std::unique_ptr<Command> make_rollback_command() {
    return std::make_unique<RollbackCommand>();
}

}  // namespace opsbot::commands
