#pragma once
// Deploys through Jenkins: takes the environment's deploy lock, triggers the
// job, then follows the queue item and the build on a thread of its own
// until it ends, updating one status message and writing the audit log.
// Releases trigger nothing: the build Jenkins starts for the pushed commit
// is found by that commit. A rollback ends holding a rollback lock.
// Jenkins notifications (the webhook) are handed to the same thread, so the
// two paths never race; whichever sees the end first reports it, once.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "adapters/jenkins/jenkins_client.hpp"
#include "core/audit.hpp"
#include "core/catalogue_source.hpp"
#include "core/deploys.hpp"
#include "core/leases.hpp"
#include "core/locks.hpp"
#include "core/notifier.hpp"

namespace opsbot {

struct DeployServiceOptions {
    std::chrono::milliseconds poll_interval{5'000};
    // A build that has not ended by then is reported lost and its lock freed.
    std::chrono::milliseconds build_timeout{std::chrono::minutes(60)};
    // Jenkins forgets left queue items after ~5 minutes; by then the build
    // must be found among the job's builds.
    std::chrono::milliseconds queue_grace{std::chrono::minutes(10)};
    // How long a release's push may take to start a build: a job that polls
    // its repository every 15 minutes needs that long.
    std::chrono::milliseconds push_grace{std::chrono::minutes(30)};
};

class JenkinsDeployService final : public DeployService {
public:
    // jenkins null: JENKINS_URL is unset and every deploy is a dry run.
    JenkinsDeployService(jenkins::JenkinsClient* jenkins, const jenkins::JenkinsConfig& config,
                         LockStore& locks, DeployStore& store, AuditStore& audit,
                         Notifier& notifier, const CatalogueSource& catalogue, const Clock& clock,
                         DeployServiceOptions options = {});
    ~JenkinsDeployService() override;

    Result<DeployRecord> start(const DeployRequest& request) override;
    Result<DeployRecord> begin_release(const DeployRequest& request) override;
    void pushed(DeployRecord& release, const std::string& sha) override;
    void abandon(DeployRecord& release, const std::string& error) override;
    std::string describe_trigger(const DeployPlan& plan) const override;
    bool configured() const override { return jenkins_ != nullptr; }
    std::string job_url(const std::string& job) const override;

    // Follows the deploys a previous run left unfinished; starts the thread.
    void resume();
    // From the webhook thread: queued, returns at once. Any replica handles
    // the webhooks it receives: a deploy's finish is conditional, so it is
    // reported once whichever replica sees its end first.
    void on_notification(const jenkins::BuildNotification& notification);
    void stop();
    // With replicas: only the holder of the "deploys" lease polls Jenkins,
    // its writes fenced by the grant; nullopt: this replica no longer holds
    // it. Never called (console mode): this process polls.
    void follow_under(std::optional<LeaseGrant> grant);

private:
    void run();
    void follow(const std::optional<LeaseGrant>& grant);
    bool following() const;
    std::optional<Lock> take_deploy_lock(const DeployRequest& request, const std::string& reason,
                                         TimePoint now);
    DeployRecord new_record(const DeployRequest& request, DeployKind kind, TimePoint now);
    void poll(DeployRecord deploy);
    void poll_push(DeployRecord& release);
    bool is_push_build(const DeployRecord& release, const jenkins::BuildState& build) const;
    std::optional<DeployRecord> awaiting_push(const jenkins::BuildNotification& notification);
    void poll_queue(DeployRecord& deploy);
    void poll_build(DeployRecord& deploy);
    void mark_started(DeployRecord& deploy, std::int64_t number, const std::string& url);
    void finish(DeployRecord& deploy, DeployState state, const std::string& result,
                const std::string& error, const jenkins::BuildState* build = nullptr);
    std::optional<jenkins::BuildState> read_build(const DeployRecord& deploy);
    std::string settle_lock(const DeployRecord& deploy);
    void handle(const jenkins::BuildNotification& notification);
    void relay_foreign_build(const jenkins::BuildNotification& notification);
    std::string committer_mention(const std::string& job, std::int64_t number,
                                  const jenkins::BuildState* known = nullptr);
    void update_status(DeployRecord& deploy);
    void audit(const DeployRecord& deploy, Outcome outcome, const std::string& ref,
               const std::string& error);
    jenkins::JenkinsConfig shown_config() const;

    jenkins::JenkinsClient* jenkins_;
    jenkins::JenkinsConfig config_;
    LockStore& locks_;
    DeployStore& store_;
    AuditStore& audit_;
    Notifier& notifier_;
    const CatalogueSource& catalogue_;
    const Clock& clock_;
    DeployServiceOptions options_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<jenkins::BuildNotification> notifications_;
    bool stopping_ = false;
    bool poll_now_ = false;
    bool leased_ = false;              // replicas: polls only under grant_
    std::optional<LeaseGrant> grant_;  // the "deploys" lease, while held
    std::thread thread_;
};

}  // namespace opsbot
