#pragma once
// Deploys as records: what was asked, by whom, and how far the Jenkins build
// got. The deploy command starts one through a DeployService; the Jenkins
// webhook and the build poller move it along. Persistence keeps the records
// so that a restart picks up the builds that were running.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

// job: the environment's Jenkins job started by opsbot. release: develop
// promoted to master and pushed; the build Jenkins starts for the push is
// found by its commit. rollback: the job started with an older commit, after
// which the environment stays locked until someone unlocks it.
enum class DeployKind { job, release, rollback };
const char* to_string(DeployKind kind);
// What a record is called in chat: "deploy" (a job deploy), "release", "rollback".
const char* noun(DeployKind kind);
std::optional<DeployKind> parse_deploy_kind(std::string_view text);

enum class DeployState { queued, started, succeeded, failed, aborted, cancelled, lost };
const char* to_string(DeployState state);
std::optional<DeployState> parse_deploy_state(std::string_view text);
bool is_finished(DeployState state);

// What will be deployed: the part an approval is bound to.
struct DeployPlan {
    std::string project;
    Env env = Env::stage;
    std::string job;
    std::string ref;
    std::map<std::string, std::string> params;  // what Jenkins receives, ref included

    // Hex SHA-256 of every field: an approval for another plan is void.
    std::string digest() const;
};

// Builds the plan for a project's environment from the catalogue.
Result<DeployPlan> make_deploy_plan(const Catalogue& catalogue, const std::string& project, Env env,
                                    const std::string& ref);

struct DeployRecord {
    std::int64_t id = 0;
    std::string correlation_id;
    DeployKind kind = DeployKind::job;
    DeployPlan plan;
    // The commit this put live: a release's pushed SHA, a rollback's target,
    // or the SHA the Jenkins build reports. Empty until known.
    std::string commit;
    std::string replaced_commit;  // what was live before, when known
    std::string requested_by;     // Slack user id
    std::string requested_by_name;
    std::string approved_by;  // empty when no confirmation was needed
    std::string queue_url;
    std::int64_t queue_id = 0;
    std::int64_t build_number = 0;
    std::string build_url;
    DeployState state = DeployState::queued;
    std::string result;  // Jenkins' word: SUCCESS, FAILURE, ...
    std::string channel;
    std::string thread;     // the thread progress is reported in
    std::string status_ts;  // the status message updated as the build moves
    TimePoint created;
    std::optional<TimePoint> started;
    std::optional<TimePoint> finished;
    std::string error;
};

// "release #12"
std::string label(const DeployRecord& record);

class DeployStore {
public:
    virtual ~DeployStore() = default;
    virtual std::int64_t create(const DeployRecord& record) = 0;
    // Saves progress of a deploy that is not finished; finished ones are not touched.
    virtual void save_progress(const DeployRecord& record) = 0;
    // Marks it finished; true only for the call that did (webhook and poller race).
    virtual bool finish(const DeployRecord& record) = 0;
    virtual std::optional<DeployRecord> find(std::int64_t id) const = 0;
    virtual std::optional<DeployRecord> find_by_build(const std::string& job,
                                                      std::int64_t number) const = 0;
    virtual std::optional<DeployRecord> find_by_queue_id(const std::string& job,
                                                         std::int64_t queue_id) const = 0;
    virtual std::vector<DeployRecord> unfinished() const = 0;
    virtual std::vector<DeployRecord> recent(const std::string& project, int limit) const = 0;
    // Newest first: the succeeded deploys of one environment (what was live,
    // and when); a deploy whose build reported no commit has none.
    virtual std::vector<DeployRecord> live_history(const std::string& project, Env env,
                                                   int limit) const = 0;
};

// Who asked, and where to report.
struct DeployRequest {
    DeployKind kind = DeployKind::job;
    DeployPlan plan;
    std::string commit;           // a rollback's target SHA; a release's is known after the push
    std::string replaced_commit;  // what is live now, when known
    Actor requester;
    std::string approved_by;
    std::string channel;
    std::string thread;
    std::string correlation_id;
};

class DeployService {
public:
    virtual ~DeployService() = default;
    // Takes the environment's deploy lock, triggers the job and starts
    // following the build; the error says why not (lock held, Jenkins down).
    virtual Result<DeployRecord> start(const DeployRequest& request) = 0;
    // Releases, in three steps so that the lock is held across the push:
    // begin takes the lock and records the release without triggering
    // anything; pushed follows the build Jenkins starts for that commit;
    // abandon ends a release whose push did not happen (nothing went out).
    virtual Result<DeployRecord> begin_release(const DeployRequest& request) = 0;
    virtual void pushed(DeployRecord& release, const std::string& sha) = 0;
    virtual void abandon(DeployRecord& release, const std::string& error) = 0;
    // The exact request the trigger would send, for --dry-run.
    virtual std::string describe_trigger(const DeployPlan& plan) const = 0;
    virtual bool configured() const = 0;  // false: JENKINS_URL unset, runs are dry
    virtual std::string job_url(const std::string& job) const = 0;
};

}  // namespace opsbot
