// Reading builds: one by number, or the one among a job's recent builds that
// came from a queue item or checked out a commit (a push Jenkins built by
// itself has no queue item of opsbot's, only the git plugin's record).

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/jenkins/jenkins_http.hpp"
#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::jenkins {

using namespace detail;

namespace {

using nlohmann::json;

// How far back a search looks: Jenkins lists builds newest first.
constexpr const char* kRecent = "{0,50}";

// The git plugin's BuildData actions (pipelines with shared libraries carry
// several; the first is the job's own checkout): each lastBuiltRevision.
std::vector<const json*> revisions_of(const json& build) {
    std::vector<const json*> out;
    const auto actions = build.find("actions");
    if (actions == build.end() || !actions->is_array()) return out;
    for (const auto& action : *actions) {
        if (!action.is_object()) continue;
        const auto revision = action.find("lastBuiltRevision");
        if (revision != action.end() && revision->is_object()) out.push_back(&*revision);
    }
    return out;
}

void read_revision(const json& revision, BuildState& state) {
    state.commit = string_field(revision, "SHA1");
    const auto branches = revision.find("branch");
    if (branches == revision.end() || !branches->is_array() || branches->empty()) return;
    std::string name = string_field(branches->front(), "name");
    // "refs/remotes/origin/master" → "origin/master", as GIT_BRANCH and the
    // Notification plugin write it.
    if (starts_with(name, "refs/remotes/")) name.erase(0, 13);
    state.branch = name;
}

// Pipelines list "changeSets", freestyle jobs one "changeSet".
void read_author(const json& build, BuildState& state) {
    std::vector<const json*> lists;
    if (const auto sets = build.find("changeSets"); sets != build.end() && sets->is_array())
        for (const auto& set : *sets) lists.push_back(&set);
    if (const auto set = build.find("changeSet"); set != build.end()) lists.push_back(&*set);
    for (auto list = lists.rbegin(); list != lists.rend(); ++list) {
        if (!(*list)->is_object()) continue;
        const auto items = (*list)->find("items");
        if (items == (*list)->end() || !items->is_array() || items->empty()) continue;
        state.author_email = string_field(items->back(), "authorEmail");
        return;
    }
}

BuildState build_from_json(const json& build) {
    BuildState state;
    state.number = number_of(build, "number");
    state.url = string_field(build, "url");
    state.queue_id = number_of(build, "queueId");
    state.building = flag_of(build, "building");
    state.result = string_field(build, "result");
    state.duration = std::chrono::milliseconds(number_of(build, "duration"));
    if (const auto started = number_of(build, "timestamp"); started > 0)
        state.timestamp = std::chrono::system_clock::time_point(std::chrono::milliseconds(started));
    if (const auto revisions = revisions_of(build); !revisions.empty())
        read_revision(*revisions.front(), state);
    read_author(build, state);
    return state;
}

bool is_full_sha(std::string_view sha) {
    return sha.size() == 40 && std::all_of(sha.begin(), sha.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

// GET …/api/json?tree=builds[<fields>]{0,50}: the job's recent builds, newest first.
Result<std::vector<json>> recent_builds(HttpClient& http, const JenkinsConfig& config,
                                        const std::string& job, const std::string& fields) {
    const auto request = make_request(config, "GET",
                                      job_url(config, job) + "api/json?tree=" +
                                          percent_encode("builds[" + fields + "]" + kRecent));
    const auto response = send_with_retries(http, config, request);
    if (!response.ok()) return response.error();
    if (response.value().status == 404)
        return Error{"jenkins_job_missing", "Jenkins has no job " + job,
                     "check jenkins_job in the catalogue against " + job_url(config, job)};
    if (auto error = common_error(response.value(), request, config, job)) return *error;
    const auto body = parse_json(response.value(), request);
    if (!body.ok()) return body.error();
    std::vector<json> builds;
    const auto listed = body.value().find("builds");
    if (listed == body.value().end() || !listed->is_array()) return builds;
    for (const auto& build : *listed)
        if (build.is_object()) builds.push_back(build);
    return builds;
}

}  // namespace

Result<std::optional<BuildState>> JenkinsClient::find_build_by_queue_id(const std::string& job,
                                                                        long queue_id) {
    const auto builds =
        recent_builds(http_, config_, job, "number,url,queueId,building,result,duration");
    if (!builds) return builds.error();
    for (const auto& build : builds.value())
        if (number_of(build, "queueId") == queue_id)
            return std::optional<BuildState>{build_from_json(build)};
    return std::optional<BuildState>{};
}

Result<std::optional<BuildState>> JenkinsClient::find_build_by_commit(const std::string& job,
                                                                      const std::string& sha) {
    if (!is_full_sha(sha))
        return Error{"bad_commit", "'" + sha + "' is not a full commit SHA (40 hex digits)",
                     "builds are matched on the whole SHA; abbreviated ones could match others"};
    const auto builds = recent_builds(http_, config_, job,
                                      "number,url,queueId,building,result,duration,timestamp,"
                                      "actions[lastBuiltRevision[SHA1,branch[name]]]");
    if (!builds) return builds.error();
    const std::string wanted = to_lower(sha);
    for (const auto& build : builds.value())
        for (const auto* revision : revisions_of(build)) {
            if (to_lower(string_field(*revision, "SHA1")) != wanted) continue;
            auto state = build_from_json(build);
            read_revision(*revision, state);  // the matching checkout, not a library's
            return std::optional<BuildState>{state};
        }
    return std::optional<BuildState>{};
}

Result<BuildState> JenkinsClient::build(const std::string& job, long number) {
    const auto request =
        make_request(config_, "GET", job_url(job) + std::to_string(number) + "/api/json");
    const auto response = send_with_retries(http_, config_, request);
    if (!response.ok()) return response.error();
    if (response.value().status == 404)
        return Error{"jenkins_job_missing",
                     "Jenkins has no build #" + std::to_string(number) + " of " + job,
                     "check the job at " + job_url(job) + "; old builds may have been discarded"};
    if (auto error = common_error(response.value(), request, config_, job)) return *error;
    const auto body = parse_json(response.value(), request);
    if (!body.ok()) return body.error();
    return build_from_json(body.value());
}

}  // namespace opsbot::jenkins
