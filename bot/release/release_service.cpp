#include "bot/release/release_service.hpp"

#include <spdlog/spdlog.h>

namespace opsbot {
namespace {

CommitList to_commit_list(const git::GitMirror::Range& range) {
    CommitList list;
    list.total = range.total;
    for (const auto& c : range.commits)
        list.commits.push_back({c.sha, c.author, c.subject, c.merge});
    return list;
}

std::string branch_of(const Project& project, Env env) {
    const Environment* e = project.environment(env);
    if (e && !e->branch.empty()) return e->branch;
    return env == Env::prod ? "master" : "develop";
}

std::string person(const std::string& name, const std::string& id) {
    if (name.empty() || name == id) return id;
    return name + " (" + id + ")";
}

Error nothing_to_release(const ReleasePlan& plan) {
    return Error{"nothing_to_release",
                 plan.target_branch + " already has everything on " + plan.source_branch +
                     " (both at `" + short_sha(plan.target_sha) + "`): there is nothing to release",
                 "merge work into " + plan.source_branch + " first"};
}

}  // namespace

GitReleaseService::GitReleaseService(git::GitConfig config, DeployService& deploys,
                                     const DeployStore& records)
    : config_(std::move(config)), deploys_(deploys), records_(records) {}

GitReleaseService::Mirror& GitReleaseService::mirror(const Project& project) {
    std::lock_guard guard(mirrors_mutex_);
    auto& slot = mirrors_[project.slug];
    if (!slot) slot = std::make_unique<Mirror>();
    if (slot->remote != project.repo) {  // new, or the catalogue changed the remote
        std::lock_guard mirror_guard(slot->mutex);
        slot->git = std::make_unique<git::GitMirror>(config_, project.slug, project.repo);
        slot->remote = project.repo;
    }
    return *slot;
}

Result<ReleasePlan> GitReleaseService::plan_locked(Mirror& m, const Project& project, bool fetch) {
    ReleasePlan plan;
    plan.project = project.slug;
    plan.source_branch = branch_of(project, Env::stage);
    plan.target_branch = branch_of(project, Env::prod);
    plan.remote = m.git->shown_remote();
    if (fetch)
        if (auto fetched = m.git->fetch({plan.source_branch, plan.target_branch}); !fetched)
            return fetched.error();
    auto source = m.git->branch_sha(plan.source_branch);
    if (!source) return source.error();
    auto target = m.git->branch_sha(plan.target_branch);
    if (!target) return target.error();
    plan.source_sha = source.value();
    plan.target_sha = target.value();
    auto range = m.git->range(plan.target_sha, plan.source_sha, kPlanCommitLimit);
    if (!range) return range.error();
    plan.going_out = to_commit_list(range.value());
    auto ff = m.git->is_ancestor(plan.target_sha, plan.source_sha);
    if (!ff) return ff.error();
    plan.fast_forward = ff.value();
    plan.compare_url = compare_url(project, plan.target_sha, plan.source_sha);
    return plan;
}

Result<ReleasePlan> GitReleaseService::plan(const Project& project) {
    if (project.repo.empty())
        return Error{"no_repo", project.slug + " has no repo in the catalogue",
                     "add 'repo: git@…' to " + project.slug};
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    auto plan = plan_locked(m, project, true);
    if (plan && plan.value().going_out.total == 0) return nothing_to_release(plan.value());
    return plan;
}

std::vector<std::string> GitReleaseService::describe(const Project& project,
                                                     const ReleasePlan& plan) const {
    git::GitMirror git(config_, project.slug, project.repo);
    return git.describe_promotion({plan.source_branch, plan.target_branch, plan.source_sha,
                                   plan.target_sha, "Release " + project.slug + " (message)"});
}

std::string GitReleaseService::merge_message(const Project& project, const ReleasePlan& plan,
                                             const ReleaseRequest& request,
                                             std::int64_t release_id) const {
    return "Release " + project.slug + ": merge " + plan.source_branch + " into " +
           plan.target_branch + "\n\nRelease #" + std::to_string(release_id) + " of " +
           std::to_string(plan.going_out.total) + " commits, requested by " +
           person(request.requester.name, request.requester.user_id) + " and approved by " +
           person(request.approved_by_name, request.approved_by) + " through opsbot (" +
           request.correlation_id + ").";
}

Result<DeployRecord> GitReleaseService::release(const Project& project, const ReleasePlan& plan,
                                                const ReleaseRequest& request) {
    const Environment* prod = project.environment(Env::prod);
    if (!prod) return Error{"no_prod", project.slug + " has no prod environment", ""};
    DeployRequest deploy;
    deploy.kind = DeployKind::release;
    deploy.plan = DeployPlan{project.slug, Env::prod, prod->jenkins_job, plan.target_branch, {}};
    const auto live = records_.live_history(project.slug, Env::prod, 1);
    deploy.replaced_commit = live.empty() ? plan.target_sha : live.front().commit;
    deploy.requester = request.requester;
    deploy.approved_by = request.approved_by;
    deploy.channel = request.channel;
    deploy.thread = request.thread;
    deploy.correlation_id = request.correlation_id;
    auto begun = deploys_.begin_release(deploy);
    if (!begun) return begun.error();
    DeployRecord record = std::move(begun.value());

    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    const auto pushed =
        m.git->promote({plan.source_branch, plan.target_branch, plan.source_sha, plan.target_sha,
                        merge_message(project, plan, request, record.id)});
    if (!pushed) {
        deploys_.abandon(record, user_text(pushed.error()));
        return pushed.error();
    }
    spdlog::info("release #{} of {}: pushed {} to {} ({})", record.id, project.slug,
                 pushed.value().pushed_sha, plan.target_branch,
                 pushed.value().fast_forward ? "fast-forward" : "merge commit");
    deploys_.pushed(record, pushed.value().pushed_sha);
    return record;
}

Result<CommitList> GitReleaseService::commits_between(const Project& project,
                                                      const std::string& base,
                                                      const std::string& tip, int limit) {
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    auto range = m.git->range(base, tip, limit);
    if (!range) return range.error();
    return to_commit_list(range.value());
}

Result<std::string> GitReleaseService::resolve(const Project& project, const std::string& sha) {
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    if (auto fetched =
            m.git->fetch({branch_of(project, Env::stage), branch_of(project, Env::prod)});
        !fetched)
        return fetched.error();
    return m.git->resolve_commit(sha);
}

Result<int> GitReleaseService::waiting(const Project& project, bool fetch) {
    if (project.repo.empty()) return Error{"no_repo", project.slug + " has no repo", ""};
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    auto plan = plan_locked(m, project, fetch);
    if (!plan) return plan.error();
    return plan.value().going_out.total;
}

}  // namespace opsbot
