#pragma once
// A fake Jenkins on 127.0.0.1, over real HTTP: jobs in folders, triggers
// that queue, queue items that turn into builds after a delay, builds that
// finish with a chosen result, basic auth, CSRF crumbs, and failure modes;
// createItem with a config.xml (400 "A job already exists with the name" on
// a duplicate, as Jenkins answers).
// JSON follows what Jenkins (and its git plugin) send. Time moves by itself:
// states are worked out from the clock when asked, so no thread runs jobs.
//
//   FakeJenkins jenkins;
//   jenkins.add_job("clients/acme/deploy-prod");
//   jenkins.set_timing(50ms, 200ms);
//   ... JenkinsConfig{jenkins.base_url(), FakeJenkins::kUser, FakeJenkins::kToken}

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/jenkins/jenkins_client.hpp"
#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

struct FakeJenkinsBuild {
    std::string job;  // "clients/acme/deploy-prod"
    long number = 0;
    long queue_id = 0;
    std::map<std::string, std::string> params;
    bool building = false;
    std::string result;  // empty while building
    std::chrono::milliseconds duration{0};
    std::string url;  // absolute, ends with "/"
};

// What the next builds check out; Jenkins reads it from the git plugin.
struct FakeScm {
    std::string commit = "c6d86dc654b12425e706bcf951adfe5a8627a517";
    std::string branch = "refs/remotes/origin/master";
    std::string author = "Alice Martin";
    std::string author_email = "alice@example.com";
    std::string remote = "git@github.com:agency/acme.git";
};

class FakeJenkins {
public:
    static constexpr const char* kUser = "opsbot";
    // The shape of a Jenkins API token: "11" and 32 hex digits.
    static constexpr const char* kToken = "11d5e3f4a9b8c7d6e5f4a3b2c1d0e9f8a7";

    FakeJenkins();
    FakeJenkins(const FakeJenkins&) = delete;
    FakeJenkins& operator=(const FakeJenkins&) = delete;

    // "http://127.0.0.1:<port>/": with the trailing slash, like Jenkins' root URL.
    std::string base_url() const;
    // How a JenkinsClient reaches this fake: URL, user, token, quick retries.
    jenkins::JenkinsConfig client_config() const;
    FakeHttpServer& server() { return server_; }
    const FakeHttpServer& server() const { return server_; }
    // Every request received, in order (FakeHttpServer records them).
    std::vector<RecordedRequest> requests() const { return server_.requests(); }

    // Jobs. Folders are implied by the slashes.
    void add_job(const std::string& job, long next_build_number = 1);
    void disable_job(const std::string& job, bool disabled = true);
    // An empty folder, for createItem into it.
    void add_folder(const std::string& folder);
    bool has_job(const std::string& job) const;
    // The config.xml a job was created with by createItem; "" for add_job's jobs.
    std::string config_xml(const std::string& job) const;

    // For builds triggered from now on: time in the queue, then time running.
    void set_timing(std::chrono::milliseconds queue_delay,
                    std::chrono::milliseconds build_duration);
    // The next triggered build ends with this result (SUCCESS, FAILURE,
    // UNSTABLE, ABORTED); later ones go back to SUCCESS.
    void set_next_result(std::string result);
    void set_scm(FakeScm scm);

    // Failure modes. The next `count` requests answer `status` (a proxy's
    // 5xx page), before any other check.
    void fail_next(int count, int status = 503);
    // Every request answers 401, as when the API token was revoked.
    void refuse_all(bool refuse);
    // POSTs need the Jenkins-Crumb header and the session cookie that
    // GET /crumbIssuer/api/json hands out; else 403 "No valid crumb...".
    void require_crumb(bool required);
    // Items that left the queue (started or cancelled) answer 404, as Jenkins
    // does about five minutes after.
    void forget_queue_items(bool forget);

    // Jenkins reacting to a push by itself (SCM polling or a push webhook):
    // a build of the job with no queue item of opsbot's, whose git data
    // report this commit. It moves through the timing set above and ends with
    // the next result, like a triggered build. Returns its queue item id.
    long start_scm_build(const std::string& job, const std::string& sha,
                         const std::string& branch = "refs/remotes/origin/master");

    // Moving time by hand instead of waiting for it.
    void start_waiting_builds();            // every waiting queue item starts now
    void finish_running_builds();           // every running build ends now with its result
    bool cancel_queue_item(long queue_id);  // false when not waiting

    // What happened. Builds oldest first.
    std::vector<FakeJenkinsBuild> builds(const std::string& job) const;
    std::size_t waiting_items() const;
    std::vector<RecordedRequest> triggers() const;  // POSTs to build and buildWithParameters
    std::size_t crumbs_issued() const;
    bool wait_for_result(const std::string& job, long number,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    // A Notification plugin message about an existing build, for tests to POST
    // to opsbot. status "" leaves it out, as the plugin does before COMPLETED.
    std::string notification_json(const std::string& job, long number, const std::string& phase,
                                  const std::string& status = "") const;

private:
    using Clock = std::chrono::steady_clock;
    struct Build {
        long number = 0;
        long queue_id = 0;
        std::map<std::string, std::string> params;
        Clock::time_point started;
        Clock::time_point ends;
        std::string result;  // reported once it ends
        FakeScm scm;
        bool by_scm = false;  // started by Jenkins for a push, not by a trigger
    };
    struct Job {
        bool disabled = false;
        long next_number = 1;
        std::vector<Build> builds;
    };
    struct QueueItem {
        long id = 0;
        std::string job;
        std::map<std::string, std::string> params;
        Clock::time_point queued;
        Clock::time_point starts;
        std::chrono::milliseconds duration{0};
        std::string result;
        FakeScm scm;
        bool by_scm = false;
        bool cancelled = false;
        long build_number = 0;  // once started
    };

    FakeResponse handle(const RecordedRequest& request);
    FakeResponse gate(const RecordedRequest& request);  // failure modes, auth, crumb
    FakeResponse route(const RecordedRequest& request);
    FakeResponse job_route(const RecordedRequest& request, const std::string& job,
                           const std::string& rest);
    FakeResponse issue_crumb();
    FakeResponse create_item(const RecordedRequest& request, const std::string& folder);
    bool folder_exists(const std::string& folder) const;
    FakeResponse trigger(const RecordedRequest& request, const std::string& job);
    // A queue item with the current timing and next result; the caller holds the mutex.
    QueueItem& enqueue(const std::string& job, std::map<std::string, std::string> params,
                       FakeScm scm);
    FakeResponse queue_api(long id) const;
    FakeResponse job_api(const std::string& job, const std::string& tree) const;
    // A build's actions as a tree= query for lastBuiltRevision returns them.
    nlohmann::json revision_actions(const Build& build) const;
    FakeResponse folder_api(const std::string& folder) const;
    FakeResponse build_api(const std::string& job, long number) const;
    FakeResponse cancel(const RecordedRequest& request);
    // Queue items whose time came start. Const because looking lets time pass.
    void advance() const;
    void start(QueueItem& item, Clock::time_point at) const;
    std::string job_url(const std::string& job) const;
    long long epoch_ms(Clock::time_point time) const;
    FakeJenkinsBuild snapshot(const std::string& job, const Build& build) const;

    const Clock::time_point steady_origin_ = Clock::now();
    const std::chrono::system_clock::time_point system_origin_ = std::chrono::system_clock::now();
    mutable std::mutex mutex_;
    // Mutable: advance() lets time pass even in const accessors.
    mutable std::map<std::string, Job> jobs_;
    mutable std::vector<QueueItem> queue_;
    std::map<std::string, std::string> crumbs_;   // session id → crumb
    std::map<std::string, std::string> configs_;  // job → config.xml, from createItem
    std::vector<std::string> folders_;            // besides those implied by jobs
    std::chrono::milliseconds queue_delay_{0};
    std::chrono::milliseconds build_duration_{0};
    std::string next_result_;
    FakeScm scm_;
    int failures_left_ = 0;
    int failure_status_ = 503;
    bool refuse_all_ = false;
    bool require_crumb_ = false;
    bool forget_ = false;
    long queue_counter_ = 0;
    long session_counter_ = 0;
    // Last: destroyed first, so its thread stops before the state it reads goes.
    FakeHttpServer server_;
};

}  // namespace opsbot::test
