#include "commands/release_flow.hpp"

#include "core/deploys.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

std::string job_link(const CommandContext& context, const std::string& job) {
    if (!context.services.deploys) return "`" + job + "`";
    return "<" + context.services.deploys->job_url(job) + "|" + job + ">";
}

std::string member_name(const Catalogue& catalogue, const std::string& user_id) {
    for (const auto& m : catalogue.members)
        if (m.user == user_id && !m.name.empty()) return m.name;
    return user_id;
}

std::string plan_text(const CommandContext& context, const Project& project,
                      const ReleasePlan& plan) {
    const Environment* prod = project.environment(Env::prod);
    const std::string how = plan.fast_forward ? "a fast-forward" : "a merge commit";
    std::string text = "*Release " + project.slug + " to prod*: merge `" + plan.source_branch +
                       "` (`" + short_sha(plan.source_sha) + "`) into `" + plan.target_branch +
                       "` (`" + short_sha(plan.target_sha) + "`) as " + how + " and push to `" +
                       plan.remote + "`; Jenkins deploys the push with " +
                       job_link(context, prod ? prod->jenkins_job : "") + ".\n";
    const int n = plan.going_out.total;
    text += "*" + std::to_string(n) + (n == 1 ? " commit goes" : " commits go") + " out:*\n";
    text += commit_lines(plan.going_out);
    if (!plan.compare_url.empty())
        text += "<" + plan.compare_url + "|Compare " + plan.target_branch + "…" +
                plan.source_branch + ">\n";
    return text + "Asked by <@" + context.actor.user_id + ">.";
}

// Names from the catalogue when it knows the person: Slack's user_name is a handle.
ReleaseRequest request_of(const CommandContext& context) {
    Actor requester = context.actor;
    if (const auto name = member_name(context.catalogue, requester.user_id);
        name != requester.user_id)
        requester.name = name;
    return ReleaseRequest{
        requester,       context.approved_by, member_name(context.catalogue, context.approved_by),
        context.channel, context.thread,      context.correlation_id};
}

CommandResult dry_run(const CommandContext& context, const Project& project,
                      const ReleasePlan& plan) {
    const std::string why = context.dry_run ? "Dry run" : "JENKINS_URL is not set, so a dry run";
    std::string text = "*" + why + "* of the release below: it would run\n```\n";
    for (const auto& line : context.services.releases->describe(project, plan)) text += line + "\n";
    text += "```\n" + plan_text(context, project, plan) + "\nNothing was changed.";
    return CommandResult::ok(text);
}

}  // namespace

const Project* promoted_project(const CommandContext& context, const std::string& slug, Env env) {
    const Project* project = context.catalogue.find_project(slug);
    if (!project || env != Env::prod || project->release != ReleaseMode::promote) return nullptr;
    return project;
}

std::string commit_lines(const CommitList& list) {
    std::string text;
    for (const auto& c : list.commits)
        text += "• `" + short_sha(c.sha) + "` " + escape_mrkdwn(c.subject) + " — " +
                escape_mrkdwn(c.author) + (c.merge ? " _(merge)_" : "") + "\n";
    const int shown = static_cast<int>(list.commits.size());
    if (list.total > shown)
        text += "… and " + std::to_string(list.total - shown) + " more (" +
                std::to_string(list.total) + " in all)\n";
    return text;
}

Result<ConfirmationPlan> plan_release(CommandContext& context, const Project& project) {
    if (!context.services.releases)
        return Error{"no_releases", "releases by promotion are not available in this mode", ""};
    auto plan = context.services.releases->plan(project);
    if (!plan) return plan.error();
    return ConfirmationPlan{plan_text(context, project, plan.value()), plan.value().digest(),
                            "Release"};
}

CommandResult run_release(CommandContext& context, const Project& project) {
    ReleaseService* releases = context.services.releases;
    if (!releases)
        return CommandResult::failure("Releases by promotion are not available in this mode.",
                                      "no_releases");
    const auto plan = releases->plan(project);
    if (!plan) return CommandResult::failure(plan.error(), "Nothing was released: ");
    const ReleasePlan& p = plan.value();
    if (!context.approved_digest.empty() && context.approved_digest != p.digest())
        return CommandResult::failure(
            "`" + p.source_branch + "` or `" + p.target_branch +
                "` moved since the approval (now `" + short_sha(p.source_sha) + "` and `" +
                short_sha(p.target_sha) + "`); nothing was pushed. Run `release " + project.slug +
                "` again for a fresh plan.",
            "plan_moved");
    DeployService* deploys = context.services.deploys;
    if (context.dry_run || !deploys || !deploys->configured()) return dry_run(context, project, p);
    const auto released = releases->release(project, p, request_of(context));
    if (!released) {
        auto result = CommandResult::failure(
            released.error(), "The release of " + project.slug + " did not go out: ");
        result.error = released.error().code + ": " + released.error().message;
        return result;
    }
    const auto& record = released.value();
    CommandResult result = CommandResult::ok(
        "🚀 Releasing *" + project.slug + "*: pushed `" + short_sha(record.commit) + "` to `" +
        p.target_branch + "` (" + std::to_string(p.going_out.total) + " commits, " +
        (p.fast_forward ? "fast-forward" : "merge commit") + ") as release #" +
        std::to_string(record.id) + "; Jenkins' build follows in the thread.");
    result.external_ref = "release #" + std::to_string(record.id) + " " + record.commit;
    return result;
}

}  // namespace opsbot::commands
