#include "bot/deploy/deploy_service.hpp"

#include <spdlog/spdlog.h>

#include "bot/deploy/deploy_messages.hpp"
#include "core/text.hpp"
#include "core/write_fence.hpp"

namespace opsbot {
namespace {

DeployState state_for_result(const std::string& result) {
    if (result == "SUCCESS") return DeployState::succeeded;
    if (result == "ABORTED" || result == "NOT_BUILT") return DeployState::aborted;
    return DeployState::failed;  // FAILURE, UNSTABLE
}

std::chrono::milliseconds elapsed(TimePoint from, TimePoint to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

// "refs/remotes/origin/master", "origin/master" and "master" are all master.
bool watched_branch(std::string branch) {
    for (const char* prefix : {"refs/remotes/", "refs/heads/", "origin/"})
        if (starts_with(branch, prefix)) branch = branch.substr(std::string_view(prefix).size());
    return branch == "master" || branch == "develop";
}

}  // namespace

JenkinsDeployService::JenkinsDeployService(jenkins::JenkinsClient* jenkins,
                                           const jenkins::JenkinsConfig& config, LockStore& locks,
                                           DeployStore& store, AuditStore& audit,
                                           Notifier& notifier, const CatalogueSource& catalogue,
                                           const Clock& clock, DeployServiceOptions options)
    : jenkins_(jenkins),
      config_(config),
      locks_(locks),
      store_(store),
      audit_(audit),
      notifier_(notifier),
      catalogue_(catalogue),
      clock_(clock),
      options_(options) {}

JenkinsDeployService::~JenkinsDeployService() {
    stop();
}

// Unconfigured, the request shows which variables it would use.
jenkins::JenkinsConfig JenkinsDeployService::shown_config() const {
    jenkins::JenkinsConfig shown = config_;
    if (shown.base_url.empty()) shown.base_url = "$JENKINS_URL/";
    if (shown.user.empty()) shown.user = "$JENKINS_USER";
    if (shown.api_token.empty()) shown.api_token = "$JENKINS_API_TOKEN";
    return shown;
}

std::string JenkinsDeployService::describe_trigger(const DeployPlan& plan) const {
    return describe_request(jenkins::trigger_request(shown_config(), {plan.job, plan.params}));
}

std::string JenkinsDeployService::job_url(const std::string& job) const {
    return jenkins::job_url(shown_config(), job);
}

void JenkinsDeployService::audit(const DeployRecord& d, Outcome outcome, const std::string& ref,
                                 const std::string& error) {
    AuditEntry entry;
    entry.correlation_id = d.correlation_id;
    entry.actor_id = d.requested_by;
    entry.actor_name = d.requested_by_name;
    entry.source = Source::system;
    entry.channel = d.channel;
    entry.thread = d.thread;
    entry.command = std::string(noun(d.kind)) + " " + d.plan.project + " " + to_string(d.plan.env) +
                    " " + (d.kind == DeployKind::rollback ? d.commit : d.plan.ref);
    entry.project = d.plan.project;
    entry.environment = to_string(d.plan.env);
    entry.outcome = outcome;
    entry.external_ref = ref;
    entry.error = error;
    if (d.finished) entry.duration_ms = elapsed(d.created, *d.finished).count();
    audit_.append(std::move(entry));
}

std::optional<Lock> JenkinsDeployService::take_deploy_lock(const DeployRequest& request,
                                                           const std::string& reason,
                                                           TimePoint now) {
    const DeployPlan& plan = request.plan;
    return locks_.acquire({.project = plan.project,
                           .env = plan.env,
                           .kind = LockKind::deploy,
                           .owner_id = request.requester.user_id,
                           .owner_name = request.requester.name,
                           .reason = reason,
                           .acquired = now,
                           .expires = now + options_.build_timeout,
                           .ref = ""},
                          now);
}

DeployRecord JenkinsDeployService::new_record(const DeployRequest& request, DeployKind kind,
                                              TimePoint now) {
    DeployRecord d;
    d.correlation_id = request.correlation_id;
    d.kind = kind;
    d.plan = request.plan;
    d.commit = request.commit;
    d.replaced_commit = request.replaced_commit;
    d.requested_by = request.requester.user_id;
    d.requested_by_name = request.requester.name;
    d.approved_by = request.approved_by;
    d.channel = request.channel;
    d.thread = request.thread;
    d.created = now;
    d.id = store_.create(d);
    return d;
}

Result<DeployRecord> JenkinsDeployService::start(const DeployRequest& request) {
    if (!jenkins_) return Error{"not_configured", "JENKINS_URL is not set", ""};
    const auto now = clock_.now();
    const DeployPlan& plan = request.plan;
    const bool rollback = request.kind == DeployKind::rollback;
    const std::string reason =
        rollback ? "rolling back to " + short_sha(request.commit) : "deploying " + plan.ref;
    if (const auto held = take_deploy_lock(request, reason, now))
        return locked_error(*held, now, rollback ? "roll back" : "deploy");

    DeployRecord d = new_record(request, rollback ? DeployKind::rollback : DeployKind::job, now);
    const auto queued = jenkins_->trigger({plan.job, plan.params});
    if (!queued) {
        d.error = queued.error().message;
        d.finished = clock_.now();
        d.state = DeployState::failed;
        store_.finish(d);
        locks_.release(plan.project, plan.env, LockKind::deploy, "");
        audit(d, Outcome::failed, job_url(plan.job), queued.error().code + ": " + d.error);
        return queued.error();
    }
    d.queue_url = queued.value().queue_url;
    d.queue_id = queued.value().queue_id;
    locks_.set_ref(plan.project, plan.env, std::string(noun(d.kind)) + " #" + std::to_string(d.id));
    update_status(d);  // posts the status message, whose thread carries the rest
    store_.save_progress(d);
    audit(d, Outcome::started, d.queue_url, "");
    spdlog::info("{} #{} {} {} queued at {}", noun(d.kind), d.id, plan.project, to_string(plan.env),
                 d.queue_url);
    resume();
    wake_.notify_all();
    return d;
}

void JenkinsDeployService::update_status(DeployRecord& d) {
    const std::string text = deploy::status_text(d);
    const Reply reply{text, Visibility::in_channel, {}};
    if (!d.status_ts.empty()) {
        if (const auto updated = notifier_.update({d.channel, d.status_ts}, reply); !updated)
            spdlog::warn("deploy #{}: status not updated: {}", d.id, updated.error().message);
        return;
    }
    const auto posted = notifier_.post(d.channel, d.thread, reply);
    if (!posted) {
        spdlog::warn("deploy #{}: status not posted: {}", d.id, posted.error().message);
        return;
    }
    d.status_ts = posted.value().ts;
    if (d.thread.empty()) d.thread = posted.value().ts;
}

void JenkinsDeployService::resume() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_ || !jenkins_) return;
    thread_ = std::thread([this] { run(); });
}

void JenkinsDeployService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void JenkinsDeployService::on_notification(const jenkins::BuildNotification& notification) {
    {
        std::lock_guard lock(mutex_);
        notifications_.push_back(notification);
    }
    wake_.notify_all();
    resume();
}

void JenkinsDeployService::follow_under(std::optional<LeaseGrant> grant) {
    {
        std::lock_guard lock(mutex_);
        leased_ = true;
        poll_now_ = grant.has_value();  // a new holder polls at once
        grant_ = std::move(grant);
    }
    wake_.notify_all();
    if (following()) resume();
}

bool JenkinsDeployService::following() const {
    std::lock_guard lock(mutex_);
    return !leased_ || grant_.has_value();
}

void JenkinsDeployService::run() {
    for (;;) {
        std::deque<jenkins::BuildNotification> pending;
        std::optional<LeaseGrant> grant;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, options_.poll_interval,
                           [this] { return stopping_ || poll_now_ || !notifications_.empty(); });
            poll_now_ = false;
            if (stopping_) return;
            pending.swap(notifications_);
            grant = grant_;
        }
        try {
            for (const auto& n : pending) handle(n);
            follow(grant);
        } catch (const std::exception& e) {
            spdlog::error("deploys: following builds failed: {}", e.what());
        }
    }
}

// Polls every unfinished deploy, under the lease's fence when there is one;
// stops between deploys once the lease is lost.
void JenkinsDeployService::follow(const std::optional<LeaseGrant>& grant) {
    if (!following()) return;
    std::optional<WriteFence> fence;
    if (grant) fence.emplace(*grant);
    for (auto& deploy : store_.unfinished()) {
        if (!following()) return;
        poll(std::move(deploy));
    }
}

void JenkinsDeployService::poll(DeployRecord d) {
    if (clock_.now() - d.created > options_.build_timeout) {
        d.error =
            "no end reported within " + format_duration(options_.build_timeout) + "; check Jenkins";
        return finish(d, DeployState::lost, "", d.error);
    }
    if (d.build_number != 0) return poll_build(d);
    // A release has no queue item: its build is found by the pushed commit.
    if (d.kind == DeployKind::release) return poll_push(d);
    if (d.queue_url.empty()) return;  // start() is still triggering it
    poll_queue(d);
}

void JenkinsDeployService::poll_queue(DeployRecord& d) {
    const auto state = jenkins_->queue_item({d.queue_url, d.queue_id, false});
    if (!state) {
        spdlog::warn("deploy #{}: queue item unreadable: {}", d.id, state.error().message);
        return;
    }
    using Phase = jenkins::QueueState::Phase;
    switch (state.value().phase) {
        case Phase::waiting:
            return;
        case Phase::started:
            return mark_started(d, state.value().build_number, state.value().build_url);
        case Phase::cancelled:
            return finish(d, DeployState::cancelled, "", "cancelled in the Jenkins queue");
        case Phase::gone:
            break;
    }
    const auto found = jenkins_->find_build_by_queue_id(d.plan.job, d.queue_id);
    if (found && found.value()) return mark_started(d, found.value()->number, found.value()->url);
    if (clock_.now() - d.created > options_.queue_grace)
        finish(d, DeployState::lost, "", "Jenkins forgot the queue item and no build has it");
}

void JenkinsDeployService::mark_started(DeployRecord& d, std::int64_t number,
                                        const std::string& url) {
    d.build_number = number;
    d.build_url = url;
    d.state = DeployState::started;
    d.started = clock_.now();
    locks_.set_ref(d.plan.project, d.plan.env, url);
    update_status(d);
    store_.save_progress(d);
    audit(d, Outcome::started, url, "");
    poll_build(d);
}

void JenkinsDeployService::poll_build(DeployRecord& d) {
    const auto build = jenkins_->build(d.plan.job, d.build_number);
    if (!build) {
        if (build.error().code == "jenkins_job_missing")
            return finish(d, DeployState::lost, "", "the build is gone from Jenkins");
        spdlog::warn("deploy #{}: build unreadable: {}", d.id, build.error().message);
        return;
    }
    if (build.value().building || build.value().result.empty()) return;
    finish(d, state_for_result(build.value().result), build.value().result, "", &build.value());
}

void JenkinsDeployService::finish(DeployRecord& d, DeployState state, const std::string& result,
                                  const std::string& error, const jenkins::BuildState* build) {
    d.state = state;
    d.result = result;
    d.error = error;
    d.finished = clock_.now();
    std::optional<jenkins::BuildState> read;
    if (!build && d.build_number != 0 &&
        (state == DeployState::failed || (state == DeployState::succeeded && d.commit.empty()))) {
        read = read_build(d);
        if (read) build = &*read;
    }
    if (d.commit.empty() && build) d.commit = build->commit;  // what the build put live
    if (!store_.finish(d)) return;                            // the other path reported it already
    const std::string lock_note = settle_lock(d);
    const Outcome outcome = state == DeployState::succeeded   ? Outcome::succeeded
                            : state == DeployState::cancelled ? Outcome::cancelled
                                                              : Outcome::failed;
    audit(d, outcome,
          !d.build_url.empty()   ? d.build_url
          : !d.queue_url.empty() ? d.queue_url
                                 : job_url(d.plan.job),
          error.empty() && outcome == Outcome::failed ? result : error);
    update_status(d);
    std::string note = lock_note;
    if (state == DeployState::failed) note += committer_mention(d.plan.job, d.build_number, build);
    if (const auto posted = notifier_.post(d.channel, d.thread, deploy::result_reply(d, note));
        !posted)
        spdlog::warn("deploy #{}: result not posted: {}", d.id, posted.error().message);
    spdlog::info("{} #{} {} {} ended {}", noun(d.kind), d.id, d.plan.project, to_string(d.plan.env),
                 to_string(state));
}

std::optional<jenkins::BuildState> JenkinsDeployService::read_build(const DeployRecord& d) {
    auto build = jenkins_->build(d.plan.job, d.build_number);
    if (build) return build.value();
    spdlog::warn("deploy #{}: build unreadable: {}", d.id, build.error().message);
    return std::nullopt;
}

// known: the build as last read, so that it is not fetched again.
std::string JenkinsDeployService::committer_mention(const std::string& job, std::int64_t number,
                                                    const jenkins::BuildState* known) {
    if (number == 0) return "";
    std::string email;
    if (known) {
        email = known->author_email;
    } else if (const auto build = jenkins_->build(job, number)) {
        email = build.value().author_email;
    }
    if (email.empty()) return "\nNo committer known for " + job + ".";
    const std::string user = notifier_.user_for_email(email);
    if (user.empty()) return "\nLast commit by " + email + ".";
    return "\n<@" + user + ">, the last commit is yours: please have a look.";
}

void JenkinsDeployService::handle(const jenkins::BuildNotification& n) {
    auto deploy = store_.find_by_build(n.job, n.number);
    if (!deploy && n.queue_id != 0) deploy = store_.find_by_queue_id(n.job, n.queue_id);
    if (!deploy) deploy = awaiting_push(n);
    if (!deploy) return relay_foreign_build(n);
    if (is_finished(deploy->state) || deploy->finished) return;
    if (deploy->commit.empty()) deploy->commit = n.commit;
    if (deploy->build_number == 0 && n.number != 0) {
        const std::string url =
            n.full_url.empty() ? job_url(n.job) + std::to_string(n.number) + "/" : n.full_url;
        if (n.phase == "STARTED") return mark_started(*deploy, n.number, url);
        deploy->build_number = n.number;
        deploy->build_url = url;
    }
    if ((n.phase == "COMPLETED" || n.phase == "FINALIZED") && !n.status.empty())
        finish(*deploy, state_for_result(n.status), n.status, "");
}

void JenkinsDeployService::relay_foreign_build(const jenkins::BuildNotification& n) {
    if (n.phase != "COMPLETED" || n.status.empty()) return;
    const auto catalogue = catalogue_.current();
    for (const auto& project : catalogue->projects)
        for (const auto& [env, e] : project.environments) {
            if (e.jenkins_job != n.job) continue;
            const bool failed = n.status != "SUCCESS";
            std::string text = std::string(failed ? "❌" : "✅") + " Jenkins build of " +
                               project.slug + " " + to_string(env) + ": " +
                               (n.full_url.empty() ? n.job + " #" + std::to_string(n.number)
                                                   : "<" + n.full_url + "|" + n.job + " #" +
                                                         std::to_string(n.number) + ">") +
                               " " + n.status;
            if (!n.branch.empty()) text += " on `" + n.branch + "`";
            if (failed && watched_branch(n.branch)) text += committer_mention(n.job, n.number);
            if (const auto posted =
                    notifier_.post(project.channel, "", {text, Visibility::in_channel, {}});
                !posted)
                spdlog::warn("jenkins: build of {} not relayed: {}", n.job, posted.error().message);
            return;
        }
    spdlog::info("jenkins: notification for {} #{}, not a catalogued job; ignored", n.job,
                 n.number);
}

}  // namespace opsbot
