#pragma once
// Jenkins over its REST API: trigger a job, follow its queue item to a build,
// read the build; create a job from a config.xml. Knows nothing of Slack or of opsbot's commands.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::jenkins {

struct JenkinsConfig {
    std::string base_url;   // JENKINS_URL, e.g. https://ci.example.com/ (trailing slash optional)
    std::string user;       // JENKINS_USER
    std::string api_token;  // JENKINS_API_TOKEN
    int max_attempts = 3;   // for 5xx and network errors
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds timeout{10'000};
};

struct TriggerRequest {
    std::string job;  // "acme-deploy-stage" or with folders "clients/acme/deploy-prod"
    std::map<std::string, std::string> params;  // empty: /build, else /buildWithParameters
};

struct QueuedBuild {
    std::string queue_url;  // absolute, from Location: …/queue/item/N/
    long queue_id = 0;
    bool already_queued = false;  // Jenkins answered 303: an identical build waits
};

struct QueueState {
    enum class Phase { waiting, started, cancelled, gone };
    Phase phase = Phase::waiting;
    long build_number = 0;  // when started
    std::string build_url;  // when started
    std::string why;        // Jenkins' reason while waiting ("Waiting for next available executor")
};

struct BuildState {
    long number = 0;
    std::string url;
    long queue_id = 0;
    bool building = false;
    std::string result;  // SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT; empty while building
    std::chrono::milliseconds duration{0};
    // When it started; the epoch when Jenkins did not say.
    std::chrono::system_clock::time_point timestamp{};
    std::string commit;        // from the build's SCM data when present
    std::string branch;        // likewise
    std::string author_email;  // committer of the last change, when Jenkins knows it
};

// Errors carry a user-facing message and a hint. Codes:
//   jenkins_auth (401/403: JENKINS_USER/JENKINS_API_TOKEN wrong, names them),
//   jenkins_job_missing (404: names the job), jenkins_job_disabled (409),
//   jenkins_unavailable (5xx after the retries), network (no answer after
//   the retries), bad_response (unparseable JSON, HTML where JSON was
//   expected, no Location header, any other unexpected status).
// Thread-safe: calls may run concurrently; only the crumb cache is shared.
class JenkinsClient {
public:
    JenkinsClient(HttpClient& http, JenkinsConfig config);

    // POST …/job/<a>/job/<b>/buildWithParameters (or /build), preemptive
    // basic auth. A 403 "No valid crumb" fetches /crumbIssuer/api/json and
    // retries once with the Jenkins-Crumb header and the session cookie.
    Result<QueuedBuild> trigger(const TriggerRequest& request);

    // GET <queue_url>api/json. A 404 (Jenkins forgot the item) is Phase::gone.
    Result<QueueState> queue_item(const QueuedBuild& queued);

    // The job's recent builds (GET …/api/json?tree=builds[number,url,queueId,…]):
    // the one started from this queue item, if any.
    Result<std::optional<BuildState>> find_build_by_queue_id(const std::string& job, long queue_id);
    // The newest of the job's recent builds whose git checkout (the git
    // plugin's lastBuiltRevision, in the same tree= query) is this commit:
    // the build Jenkins started by itself for a push. sha must be the full
    // 40 hex digits (bad_commit otherwise); its commit is the matched one.
    Result<std::optional<BuildState>> find_build_by_commit(const std::string& job,
                                                           const std::string& sha);

    // GET …/job/…/<number>/api/json.
    Result<BuildState> build(const std::string& job, long number);

    // POST <folder>/createItem?name=<leaf> with the config.xml (Content-Type
    // application/xml), crumb as for trigger. "clients/acme/deploy-prod"
    // creates deploy-prod in the folder clients/acme, which must exist.
    // Codes besides the common ones: jenkins_job_exists (400 "A job already
    // exists with the name …"), jenkins_folder_missing (404: names the
    // folder), jenkins_bad_config (another 400, with Jenkins' X-Error),
    // jenkins_bad_job_name (blank name, nothing sent).
    Status create_job(const std::string& job, const std::string& config_xml);
    // GET …/job/…/api/json: 200 true, 404 false, otherwise the error.
    Result<bool> job_exists(const std::string& job);
    // GET <JENKINS_URL>whoAmI/api/json: the user Jenkins sees, for opsbot
    // doctor. jenkins_auth when the credentials are refused or Jenkins
    // treats the caller as anonymous.
    Result<std::string> who_am_i();
    // The create_job request as it would be sent, for --dry-run.
    HttpRequest create_job_request(const std::string& job, const std::string& config_xml) const;

    // The trigger request exactly as it would be sent, for --dry-run
    // (describe_request redacts the Authorization header).
    HttpRequest trigger_request(const TriggerRequest& request) const;

    // "clients/acme/deploy-prod" → "job/clients/job/acme/job/deploy-prod/",
    // each segment percent-encoded.
    static std::string job_path(const std::string& job);
    // The browser URL of a job: base_url + job_path.
    std::string job_url(const std::string& job) const;

private:
    // The trigger POST with the cached crumb and cookie, if any.
    Result<HttpResponse> send_trigger(const TriggerRequest& request);
    // Any POST with the cached crumb and cookie, if any.
    Result<HttpResponse> send_with_crumb(HttpRequest request);
    // send_with_crumb; on "No valid crumb" fetch a crumb and retry once.
    // `what` names the target in the error when the fresh crumb is refused too.
    Result<HttpResponse> post_with_crumb(const HttpRequest& request, const std::string& what);
    // GET crumbIssuer/api/json and cache crumb and session cookie.
    Status fetch_crumb();

    HttpClient& http_;
    JenkinsConfig config_;
    // A shared_ptr keeps the client copyable and movable.
    std::shared_ptr<std::mutex> crumb_mutex_ = std::make_shared<std::mutex>();
    std::string crumb_header_;  // cached once fetched
    std::string crumb_value_;
    std::string session_cookie_;
};

// The same as the members, from the config alone: what a deploy would send
// and where a job lives, for dry runs when Jenkins is not configured.
HttpRequest trigger_request(const JenkinsConfig& config, const TriggerRequest& request);
std::string job_url(const JenkinsConfig& config, const std::string& job);
HttpRequest create_job_request(const JenkinsConfig& config, const std::string& job,
                               const std::string& config_xml);

// A Jenkins Notification plugin message (POST /hooks/jenkins). Parsed
// leniently: plugin versions differ, null fields are left out.
struct BuildNotification {
    std::string job;      // "name"; full name with folders when the plugin gives it
    std::string job_url;  // "url", relative
    std::string phase;    // QUEUED, STARTED, COMPLETED, FINALIZED
    std::string status;   // SUCCESS, FAILURE, …; empty before COMPLETED
    long number = 0;
    long queue_id = 0;     // 0 when absent
    std::string full_url;  // empty when Jenkins has no root URL set
    std::string branch;    // build.scm.branch, "origin/" prefix kept as sent
    std::string commit;
    std::vector<std::string> culprits;
    std::optional<std::chrono::system_clock::time_point> timestamp;  // epoch ms or ISO 8601
};

// Error code "bad_notification": not JSON, or no job name, build or phase.
Result<BuildNotification> parse_notification(std::string_view body);

// Constant-time comparison for shared webhook tokens. An empty expected token
// matches nothing, so an unset secret never lets a caller in.
bool tokens_equal(std::string_view expected, std::string_view given);

}  // namespace opsbot::jenkins
