// Releases and rollbacks, the parts of the deploy service that differ from
// a job deploy: a release takes its lock before the push and finds the build
// Jenkins starts for the pushed commit; a rollback that succeeded leaves the
// environment locked.

#include <spdlog/spdlog.h>

#include "bot/deploy/deploy_messages.hpp"
#include "bot/deploy/deploy_service.hpp"
#include "core/text.hpp"

namespace opsbot {
namespace {

// Jenkins' clock and ours may differ: a build that started this much before
// the release was begun may still be the push's.
constexpr std::chrono::minutes kClockSkew{5};

bool same_commit(const std::string& a, const std::string& b) {
    return !a.empty() && to_lower(a) == to_lower(b);
}

}  // namespace

Result<DeployRecord> JenkinsDeployService::begin_release(const DeployRequest& request) {
    if (!jenkins_) return Error{"not_configured", "JENKINS_URL is not set", ""};
    const auto now = clock_.now();
    const DeployPlan& plan = request.plan;
    if (const auto held = take_deploy_lock(request, "releasing develop to master", now))
        return locked_error(*held, now, "release");
    DeployRecord d = new_record(request, DeployKind::release, now);
    locks_.set_ref(plan.project, plan.env, "release #" + std::to_string(d.id));
    update_status(d);
    store_.save_progress(d);
    audit(d, Outcome::started, job_url(plan.job), "");
    return d;
}

void JenkinsDeployService::pushed(DeployRecord& release, const std::string& sha) {
    release.commit = sha;
    update_status(release);
    store_.save_progress(release);  // from now on the poller looks for its build
    audit(release, Outcome::started, "commit " + sha, "");
    spdlog::info("release #{} {} pushed {} to {}", release.id, release.plan.project, sha,
                 release.plan.ref);
    resume();
    wake_.notify_all();
}

void JenkinsDeployService::abandon(DeployRecord& release, const std::string& error) {
    release.state = DeployState::failed;
    release.error = error;
    release.finished = clock_.now();
    if (!store_.finish(release)) return;
    locks_.release(release.plan.project, release.plan.env, LockKind::deploy, "");
    audit(release, Outcome::failed, job_url(release.plan.job), error);
    update_status(release);
    spdlog::info("release #{} {} stopped before the push: {}", release.id, release.plan.project,
                 error);
}

// A release has no queue item of ours: its build is the one Jenkins started
// for the pushed commit.
void JenkinsDeployService::poll_push(DeployRecord& d) {
    if (d.commit.empty()) return;  // begun; the push has not happened yet
    const auto found = jenkins_->find_build_by_commit(d.plan.job, d.commit);
    if (!found)
        spdlog::warn("release #{}: builds unreadable: {}", d.id, found.error().message);
    else if (found.value() && is_push_build(d, *found.value()))
        return mark_started(d, found.value()->number, found.value()->url);
    if (clock_.now() - d.created > options_.push_grace)
        finish(d, DeployState::lost, "",
               deploy::no_build_for_push(d, options_.push_grace, job_url(d.plan.job)));
}

// Not a build another deploy follows (a deploy of that commit by hand), nor
// one from before the release.
bool JenkinsDeployService::is_push_build(const DeployRecord& d,
                                         const jenkins::BuildState& build) const {
    const auto owner = store_.find_by_build(d.plan.job, build.number);
    if (owner && owner->id != d.id) return false;
    return build.timestamp == TimePoint{} || build.timestamp + kClockSkew >= d.created;
}

std::optional<DeployRecord> JenkinsDeployService::awaiting_push(
    const jenkins::BuildNotification& n) {
    if (n.commit.empty() || n.number == 0) return std::nullopt;
    for (auto& d : store_.unfinished())
        if (d.kind == DeployKind::release && d.build_number == 0 && d.plan.job == n.job &&
            same_commit(d.commit, n.commit))
            return d;
    return std::nullopt;
}

// The deploy lock goes with the build. A rollback that succeeded keeps the
// environment locked instead, so that the next release does not silently
// undo it; the returned note says so.
std::string JenkinsDeployService::settle_lock(const DeployRecord& d) {
    if (d.kind != DeployKind::rollback || d.state != DeployState::succeeded) {
        locks_.release(d.plan.project, d.plan.env, LockKind::deploy, "");
        return "";
    }
    const auto now = clock_.now();
    const Lock hold{.project = d.plan.project,
                    .env = d.plan.env,
                    .kind = LockKind::rollback,
                    .owner_id = d.requested_by,
                    .owner_name = d.requested_by_name,
                    .reason = deploy::rollback_lock_reason(d),
                    .acquired = now,
                    .expires = std::nullopt,
                    .ref = "rollback #" + std::to_string(d.id)};
    if (const auto other = locks_.take_over(hold, LockKind::deploy, now))
        return "\n⚠️ It could not be kept locked: " + describe_lock(*other, now) +
               ". The next release will undo this rollback.";
    return deploy::rollback_lock_note(d);
}

}  // namespace opsbot
