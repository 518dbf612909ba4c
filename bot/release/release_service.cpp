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

// The catalogue loader fills in develop and master when a branch is not named.
std::string branch_of(const Project& project, Env env) {
    const Environment* e = project.environment(env);
    return e ? e->branch : "";
}

std::vector<std::string> branches_of(const Project& project) {
    return {branch_of(project, Env::stage), branch_of(project, Env::prod)};
}

std::string person(const std::string& name, const std::string& id) {
    if (name.empty() || name == id) return id;
    return name + " (" + id + ")";
}

Error nothing_to_release(const ReleasePlan& plan) {
    const std::string where =
        plan.source_sha == plan.target_sha ? " (both at `" + short_sha(plan.target_sha) + "`)" : "";
    return Error{"nothing_to_release",
                 plan.target_branch + " already has everything on " + plan.source_branch + where +
                     ": there is nothing to release",
                 "merge work into " + plan.source_branch + " first"};
}

git::PromotionPlan promotion_of(const ReleasePlan& plan, std::string message) {
    return {.source_branch = plan.source_branch,
            .target_branch = plan.target_branch,
            .source_sha = plan.source_sha,
            .target_sha = plan.target_sha,
            .message = std::move(message)};
}

// A push that failed without the remote saying no (a timeout, a dropped
// link) may still have landed: then the release went out.
bool push_may_have_landed(const Error& error) {
    return error.code != "git_conflict" && error.code != "git_push_rejected" &&
           error.code != "git_up_to_date" && error.code != "git_no_commit";
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
    ReleaseRequest example;
    example.requester.name = "<requester>";
    example.approved_by_name = "<approver>";
    example.correlation_id = "<correlation id>";
    return git.describe_promotion(promotion_of(plan, merge_message(project, plan, example, 0)));
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
    const auto live = records_.live_history(project.slug, Env::prod, 1);
    auto begun = deploys_.begin_release(
        {.kind = DeployKind::release,
         .plan = {.project = project.slug,
                  .env = Env::prod,
                  .job = prod->jenkins_job,
                  .ref = plan.target_branch},
         .replaced_commit =
             live.empty() || live.front().commit.empty() ? plan.target_sha : live.front().commit,
         .requester = request.requester,
         .approved_by = request.approved_by,
         .channel = request.channel,
         .thread = request.thread,
         .correlation_id = request.correlation_id});
    if (!begun) return begun.error();
    DeployRecord record = std::move(begun.value());
    try {
        const auto pushed = push(project, plan, request, record);
        if (!pushed) {
            deploys_.abandon(record, user_text(pushed.error()));
            return pushed.error();
        }
        deploys_.pushed(record, pushed.value());
    } catch (const std::exception& e) {
        // The lock and the record must not outlive a failure nobody reports.
        deploys_.abandon(record, std::string("opsbot failed during the release: ") + e.what());
        throw;
    }
    return record;
}

Result<std::string> GitReleaseService::push(const Project& project, const ReleasePlan& plan,
                                            const ReleaseRequest& request,
                                            const DeployRecord& record) {
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    const auto promoted =
        m.git->promote(promotion_of(plan, merge_message(project, plan, request, record.id)));
    if (promoted) {
        spdlog::info("release #{} of {}: pushed {} to {} ({})", record.id, project.slug,
                     promoted.value().pushed_sha, plan.target_branch,
                     promoted.value().fast_forward ? "fast-forward" : "merge commit");
        return promoted.value().pushed_sha;
    }
    if (!push_may_have_landed(promoted.error())) return promoted.error();
    // Did it land after all? The remote's master then holds develop's commit.
    if (!m.git->fetch({plan.target_branch})) return promoted.error();
    const auto now = m.git->branch_sha(plan.target_branch);
    if (!now || now.value() == plan.target_sha) return promoted.error();
    const auto landed = m.git->is_ancestor(plan.source_sha, now.value());
    if (!landed || !landed.value()) return promoted.error();
    spdlog::warn("release #{} of {}: git reported {}, but {} on the remote has the release ({})",
                 record.id, project.slug, promoted.error().code, plan.target_branch, now.value());
    return now.value();
}

Result<CommitList> GitReleaseService::commits_between(const Project& project,
                                                      const std::string& base,
                                                      const std::string& tip, int limit) {
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    if (auto fetched = m.git->fetch(branches_of(project)); !fetched) return fetched.error();
    auto range = m.git->range(base, tip, limit);
    if (!range) return range.error();
    return to_commit_list(range.value());
}

Result<std::string> GitReleaseService::resolve(const Project& project, const std::string& sha) {
    Mirror& m = mirror(project);
    std::lock_guard guard(m.mutex);
    if (auto fetched = m.git->fetch(branches_of(project)); !fetched) return fetched.error();
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
