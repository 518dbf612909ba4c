#include "tests/fakes/fake_jenkins.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::test {
namespace {

using json = nlohmann::json;
using Params = std::map<std::string, std::string>;

constexpr const char* kSessionCookie = "JSESSIONID.5d3e7f1a";
constexpr const char* kCrumbField = "Jenkins-Crumb";

// Jenkins takes parameters from the query string and from a form body alike.
Params params_of(const RecordedRequest& request) {
    Params params;
    if (const auto q = request.target.find('?'); q != std::string::npos)
        params = parse_form(std::string_view(request.target).substr(q + 1));
    if (request.header("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
        for (auto& [name, value] : parse_form(request.body)) params[name] = std::move(value);
    return params;
}

std::string last_segment(const std::string& job) {
    return job.substr(job.rfind('/') + 1);
}

// "clients/acme/deploy-prod" → "job/clients/job/acme/job/deploy-prod/"
std::string job_path(const std::string& job) {
    std::string path;
    for (const auto& part : split(job, '/')) path += "job/" + percent_encode(part) + "/";
    return path;
}

// Jetty's error page, which is what Jenkins answers errors with.
FakeResponse jetty_error(int status, const std::string& message, const std::string& uri) {
    const std::string code = std::to_string(status);
    std::string body =
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
        "<title>Error " +
        code + " " + message + "</title>\n</head>\n<body><h2>HTTP ERROR " + code + " " + message +
        "</h2>\n<table>\n<tr><th>URI:</th><td>" + uri + "</td></tr>\n<tr><th>STATUS:</th><td>" +
        code + "</td></tr>\n<tr><th>MESSAGE:</th><td>" + message +
        "</td></tr>\n<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n"
        "<hr/><a href=\"https://eclipse.org/jetty\">Powered by Jetty:// 10.0.18</a><hr/>\n\n"
        "</body>\n</html>\n";
    return FakeResponse{status, std::move(body), "text/html;charset=utf-8", {}};
}

// What nginx in front of a restarting Jenkins answers.
FakeResponse proxy_error(int status) {
    const std::string text =
        std::to_string(status) + (status == 502   ? " Bad Gateway"
                                  : status == 503 ? " Service Temporarily Unavailable"
                                  : status == 504 ? " Gateway Time-out"
                                                  : " Internal Server Error");
    return FakeResponse{
        status,
        "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
            "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        "text/html",
        {}};
}

FakeResponse json_response(const json& body) {
    return FakeResponse{200, body.dump(), "application/json;charset=utf-8", {}};
}

std::string cookie_value(const RecordedRequest& request, const std::string& name) {
    for (auto part : split(request.header("Cookie"), ';')) {
        part.erase(0, part.find_first_not_of(' '));
        if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    }
    return {};
}

std::string hex64(unsigned long long seed) {
    std::string out;
    for (int round = 0; round < 4; ++round) {
        // splitmix64: a crumb that looks random, reproducibly.
        seed += 0x9E3779B97F4A7C15ULL;
        unsigned long long z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        char chunk[17];
        std::snprintf(chunk, sizeof chunk, "%016llx", z);
        out += chunk;
    }
    return out;
}

std::string branch_as_git_branch(const std::string& branch) {
    return branch.rfind("refs/remotes/", 0) == 0 ? branch.substr(13) : branch;
}

// The Notification plugin's "yyyy-MM-dd'T'HH:mm:ss.Sz" in UTC, "UTC" → "+00:00".
std::string plugin_time(long long epoch_ms) {
    const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    return std::string(text) + "." + std::to_string(epoch_ms % 1000) + "+00:00";
}

// by_scm: Jenkins started it for a push (SCM polling or a push webhook).
json cause_action(bool by_scm = false) {
    if (by_scm)
        return {{"_class", "hudson.model.CauseAction"},
                {"causes", json::array({{{"_class", "hudson.triggers.SCMTrigger$SCMTriggerCause"},
                                         {"shortDescription", "Started by an SCM change"}}})}};
    return {
        {"_class", "hudson.model.CauseAction"},
        {"causes",
         json::array({{{"_class", "hudson.model.Cause$UserIdCause"},
                       {"shortDescription", std::string("Started by user ") + FakeJenkins::kUser},
                       {"userId", FakeJenkins::kUser},
                       {"userName", FakeJenkins::kUser}}})}};
}

json parameters_action(const Params& params) {
    json parameters = json::array();
    for (const auto& [key, value] : params)
        parameters.push_back(
            {{"_class", "hudson.model.StringParameterValue"}, {"name", key}, {"value", value}});
    return {{"_class", "hudson.model.ParametersAction"}, {"parameters", parameters}};
}

// The git plugin's record of what a build checked out.
json git_build_data(const FakeScm& scm, long number) {
    const json revision{{"SHA1", scm.commit},
                        {"branch", json::array({{{"SHA1", scm.commit}, {"name", scm.branch}}})}};
    return {{"_class", "hudson.plugins.git.util.BuildData"},
            {"buildsByBranchName",
             {{scm.branch,
               {{"buildNumber", number},
                {"buildResult", nullptr},
                {"marked", revision},
                {"revision", revision}}}}},
            {"lastBuiltRevision", revision},
            {"remoteUrls", json::array({scm.remote})},
            {"scmName", ""}};
}

json git_change(const FakeScm& scm, long long epoch_ms, const std::string& base_url) {
    return {{"_class", "hudson.plugins.git.GitChangeSet"},
            {"affectedPaths", json::array({"deploy/config.yml"})},
            {"commitId", scm.commit},
            {"timestamp", epoch_ms},
            {"author", {{"absoluteUrl", base_url + "user/alice"}, {"fullName", scm.author}}},
            {"authorEmail", scm.author_email},
            {"comment", "Release the new checkout\n"},
            {"id", scm.commit},
            {"msg", "Release the new checkout"}};
}

}  // namespace

FakeJenkins::FakeJenkins() {
    server_.route("*", "/", [this](const RecordedRequest& request) { return handle(request); });
}

jenkins::JenkinsConfig FakeJenkins::client_config() const {
    jenkins::JenkinsConfig config;
    config.base_url = base_url();
    config.user = kUser;
    config.api_token = kToken;
    config.max_attempts = 3;
    config.backoff_initial = std::chrono::milliseconds(1);
    config.timeout = std::chrono::seconds(5);
    return config;
}

std::string FakeJenkins::base_url() const {
    return server_.base_url() + "/";
}

void FakeJenkins::add_job(const std::string& job, long next_build_number) {
    std::lock_guard lock(mutex_);
    jobs_[job].next_number = next_build_number;
}

void FakeJenkins::add_folder(const std::string& folder) {
    std::lock_guard lock(mutex_);
    folders_.push_back(folder);
}

bool FakeJenkins::has_job(const std::string& job) const {
    std::lock_guard lock(mutex_);
    return jobs_.count(job) > 0;
}

std::string FakeJenkins::config_xml(const std::string& job) const {
    std::lock_guard lock(mutex_);
    const auto it = configs_.find(job);
    return it == configs_.end() ? std::string() : it->second;
}

bool FakeJenkins::folder_exists(const std::string& folder) const {
    if (folder.empty()) return true;
    if (std::find(folders_.begin(), folders_.end(), folder) != folders_.end()) return true;
    return std::any_of(jobs_.begin(), jobs_.end(),
                       [&](const auto& entry) { return entry.first.rfind(folder + "/", 0) == 0; });
}

FakeResponse FakeJenkins::create_item(const RecordedRequest& request, const std::string& folder) {
    const std::string path = request.path();
    if (request.method != "POST") return jetty_error(405, "Method Not Allowed", path);
    if (!folder_exists(folder)) return jetty_error(404, "Not Found", path);
    Params query;
    if (const auto q = request.target.find('?'); q != std::string::npos)
        query = parse_form(std::string_view(request.target).substr(q + 1));
    const std::string name = query.count("name") ? query.at("name") : std::string();
    const auto refuse = [&](const std::string& why) {
        auto response = jetty_error(400, why, path);
        response.headers.emplace_back("X-Error", why);
        return response;
    };
    if (name.empty()) return refuse("No name is specified");
    if (name.find_first_of("/\\?*%!@#$^&|<>[]:;") != std::string::npos)
        return refuse("'" + name + "' is an unsafe character");
    const std::string job = folder.empty() ? name : folder + "/" + name;
    if (jobs_.count(job) || folder_exists(job))
        return refuse("A job already exists with the name '" + name + "'");
    if (request.header("Content-Type").find("xml") == std::string::npos ||
        request.body.find('<') == std::string::npos)
        return refuse("No config.xml was given");
    configs_[job] = request.body;
    // A folder's config.xml makes a folder, as with the cloudbees-folder plugin.
    if (request.body.find("<com.cloudbees.hudson.plugins.folder.Folder") != std::string::npos)
        folders_.push_back(job);
    else
        jobs_[job] = Job{};
    return FakeResponse{200, "", "text/plain", {}};
}

void FakeJenkins::disable_job(const std::string& job, bool disabled) {
    std::lock_guard lock(mutex_);
    jobs_[job].disabled = disabled;
}

void FakeJenkins::set_timing(std::chrono::milliseconds queue_delay,
                             std::chrono::milliseconds build_duration) {
    std::lock_guard lock(mutex_);
    queue_delay_ = queue_delay;
    build_duration_ = build_duration;
}

void FakeJenkins::set_next_result(std::string result) {
    std::lock_guard lock(mutex_);
    next_result_ = std::move(result);
}

void FakeJenkins::set_scm(FakeScm scm) {
    std::lock_guard lock(mutex_);
    scm_ = std::move(scm);
}

void FakeJenkins::fail_next(int count, int status) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
    failure_status_ = status;
}

void FakeJenkins::refuse_all(bool refuse) {
    std::lock_guard lock(mutex_);
    refuse_all_ = refuse;
}

void FakeJenkins::require_crumb(bool required) {
    std::lock_guard lock(mutex_);
    require_crumb_ = required;
}

void FakeJenkins::forget_queue_items(bool forget) {
    std::lock_guard lock(mutex_);
    forget_ = forget;
}

void FakeJenkins::start_waiting_builds() {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto& item : queue_)
        if (!item.cancelled && item.build_number == 0) start(item, now);
}

void FakeJenkins::finish_running_builds() {
    std::lock_guard lock(mutex_);
    advance();
    const auto now = Clock::now();
    for (auto& [name, job] : jobs_)
        for (auto& build : job.builds) build.ends = std::min(build.ends, now);
}

bool FakeJenkins::cancel_queue_item(long queue_id) {
    std::lock_guard lock(mutex_);
    advance();
    for (auto& item : queue_) {
        if (item.id != queue_id || item.cancelled || item.build_number != 0) continue;
        item.cancelled = true;
        return true;
    }
    return false;
}

std::vector<FakeJenkinsBuild> FakeJenkins::builds(const std::string& job) const {
    std::lock_guard lock(mutex_);
    advance();
    std::vector<FakeJenkinsBuild> out;
    if (const auto it = jobs_.find(job); it != jobs_.end())
        for (const auto& build : it->second.builds) out.push_back(snapshot(job, build));
    return out;
}

std::size_t FakeJenkins::waiting_items() const {
    std::lock_guard lock(mutex_);
    advance();
    return static_cast<std::size_t>(std::count_if(queue_.begin(), queue_.end(), [](const auto& i) {
        return !i.cancelled && i.build_number == 0;
    }));
}

std::vector<RecordedRequest> FakeJenkins::triggers() const {
    std::vector<RecordedRequest> out;
    for (auto& request : server_.requests()) {
        const auto path = request.path();
        const bool build = path.size() > 6 && path.compare(path.size() - 6, 6, "/build") == 0;
        const bool with_params = path.find("/buildWithParameters") != std::string::npos;
        if (request.method == "POST" && (build || with_params)) out.push_back(std::move(request));
    }
    return out;
}

std::size_t FakeJenkins::crumbs_issued() const {
    std::lock_guard lock(mutex_);
    return crumbs_.size();
}

bool FakeJenkins::wait_for_result(const std::string& job, long number,
                                  std::chrono::milliseconds timeout) const {
    return FakeHttpServer::wait_until(
        [&] {
            for (const auto& build : builds(job))
                if (build.number == number && !build.building) return true;
            return false;
        },
        timeout);
}

// ---- time ----------------------------------------------------------------

void FakeJenkins::advance() const {
    const auto now = Clock::now();
    for (auto& item : queue_)
        if (!item.cancelled && item.build_number == 0 && item.starts <= now)
            start(item, item.starts);
}

void FakeJenkins::start(QueueItem& item, Clock::time_point at) const {
    auto& job = jobs_[item.job];
    Build build;
    build.number = job.next_number++;
    build.queue_id = item.id;
    build.params = item.params;
    build.started = at;
    build.ends = at + item.duration;
    build.result = item.result;
    build.scm = item.scm;
    build.by_scm = item.by_scm;
    job.builds.push_back(build);
    item.build_number = build.number;
}

long long FakeJenkins::epoch_ms(Clock::time_point time) const {
    const auto system =
        system_origin_ +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(time - steady_origin_);
    return std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
}

std::string FakeJenkins::job_url(const std::string& job) const {
    return base_url() + job_path(job);
}

FakeJenkinsBuild FakeJenkins::snapshot(const std::string& job, const Build& build) const {
    const bool building = Clock::now() < build.ends;
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        (building ? Clock::now() : build.ends) - build.started);
    return FakeJenkinsBuild{job,
                            build.number,
                            build.queue_id,
                            build.params,
                            building,
                            building ? "" : build.result,
                            building ? std::chrono::milliseconds(0) : duration,
                            job_url(job) + std::to_string(build.number) + "/"};
}

// ---- HTTP ----------------------------------------------------------------

FakeResponse FakeJenkins::handle(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    advance();
    if (auto refused = gate(request); refused.status != 0) return refused;
    return route(request);
}

FakeResponse FakeJenkins::gate(const RecordedRequest& request) {
    if (failures_left_ > 0) {
        --failures_left_;
        return proxy_error(failure_status_);
    }
    const std::string expected =
        std::string("Basic ") + base64_encode(std::string(kUser) + ":" + kToken);
    const std::string given = request.header("Authorization");
    // No credentials at all: Jenkins does not challenge, anonymous just lacks the permission.
    if (given.empty() && !refuse_all_) {
        auto response = jetty_error(403, "Authentication required", request.path());
        response.headers.emplace_back("X-You-Are-Authenticated-As", "anonymous");
        return response;
    }
    if (refuse_all_ || given != expected) {
        auto response = jetty_error(401, "Unauthorized", request.path());
        response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Jenkins\"");
        return response;
    }
    if (require_crumb_ && request.method == "POST") {
        const auto crumb = crumbs_.find(cookie_value(request, kSessionCookie));
        if (crumb == crumbs_.end() || request.header(kCrumbField) != crumb->second)
            return jetty_error(403, "No valid crumb was included in the request", request.path());
    }
    return FakeResponse{0, "", "", {}};
}

FakeResponse FakeJenkins::route(const RecordedRequest& request) {
    const std::string path = request.path();
    if (path == "/crumbIssuer/api/json" && request.method == "GET") return issue_crumb();
    if (path == "/whoAmI/api/json" && request.method == "GET")
        return json_response({{"_class", "hudson.security.WhoAmI"},
                              {"anonymous", false},
                              {"authenticated", true},
                              {"name", kUser}});
    if (path == "/queue/cancelItem" && request.method == "POST") return cancel(request);
    if (path == "/createItem") return create_item(request, "");
    const auto parts = split(path, '/');
    if (parts.size() == 5 && parts[0] == "queue" && parts[1] == "item" && parts[3] == "api" &&
        parts[4] == "json" && request.method == "GET")
        return queue_api(std::atol(parts[2].c_str()));
    std::string job;
    std::size_t i = 0;
    for (; i + 1 < parts.size() && parts[i] == "job"; i += 2)
        job += (job.empty() ? "" : "/") + percent_decode(parts[i + 1], false);
    if (job.empty()) return jetty_error(404, "Not Found", path);
    std::string rest;
    for (; i < parts.size(); ++i) rest += (rest.empty() ? "" : "/") + parts[i];
    if (rest == "createItem") return create_item(request, job);
    return job_route(request, job, rest);
}

FakeResponse FakeJenkins::job_route(const RecordedRequest& request, const std::string& job,
                                    const std::string& rest) {
    const std::string path = request.path();
    if (jobs_.find(job) == jobs_.end()) {
        if (folder_exists(job) && rest == "api/json") return folder_api(job);
        return jetty_error(404, "Not Found", path);
    }
    if (rest == "build" || rest == "buildWithParameters") {
        if (request.method != "POST") return jetty_error(405, "Method Not Allowed", path);
        return trigger(request, job);
    }
    if (rest == "api/json") return job_api(job, params_of(request)["tree"]);
    const auto parts = split(rest, '/');
    if (parts.size() == 3 && parts[1] == "api" && parts[2] == "json") {
        if (parts[0] == "lastBuild") {
            const auto& builds = jobs_.at(job).builds;
            return builds.empty() ? jetty_error(404, "Not Found", path)
                                  : build_api(job, builds.back().number);
        }
        if (parts[0].find_first_not_of("0123456789") == std::string::npos)
            return build_api(job, std::atol(parts[0].c_str()));
    }
    return jetty_error(404, "Not Found", path);
}

FakeResponse FakeJenkins::issue_crumb() {
    const std::string session =
        "node0" + hex64(static_cast<unsigned long long>(++session_counter_)).substr(0, 24) +
        ".node0";
    const std::string crumb = hex64(static_cast<unsigned long long>(session_counter_) * 7919ULL);
    crumbs_[session] = crumb;
    auto response = json_response({{"_class", "hudson.security.csrf.DefaultCrumbIssuer"},
                                   {"crumb", crumb},
                                   {"crumbRequestField", kCrumbField}});
    response.headers.emplace_back(
        "Set-Cookie", std::string(kSessionCookie) + "=" + session + "; Path=/; HttpOnly");
    return response;
}

FakeResponse FakeJenkins::trigger(const RecordedRequest& request, const std::string& job) {
    if (jobs_.at(job).disabled)
        return jetty_error(409, "java.io.IOException: " + job + " is not buildable",
                           request.path());
    const Params params = params_of(request);
    for (const auto& item : queue_) {
        if (item.job != job || item.params != params || item.cancelled || item.build_number != 0)
            continue;
        // An identical build already waits: Jenkins folds this one into it.
        return FakeResponse{
            303,
            "",
            "text/plain",
            {{"Location", base_url() + "queue/item/" + std::to_string(item.id) + "/"}}};
    }
    const long id = enqueue(job, params, scm_).id;
    advance();  // no delay: it starts at once
    return FakeResponse{201,
                        "",
                        "text/plain",
                        {{"Location", base_url() + "queue/item/" + std::to_string(id) + "/"}}};
}

FakeJenkins::QueueItem& FakeJenkins::enqueue(const std::string& job,
                                             std::map<std::string, std::string> params,
                                             FakeScm scm) {
    const auto now = Clock::now();
    QueueItem item;
    item.id = ++queue_counter_;
    item.job = job;
    item.params = std::move(params);
    item.queued = now;
    item.starts = now + queue_delay_;
    item.duration = build_duration_;
    item.result = next_result_.empty() ? "SUCCESS" : next_result_;
    item.scm = std::move(scm);
    next_result_.clear();
    queue_.push_back(item);
    return queue_.back();
}

long FakeJenkins::start_scm_build(const std::string& job, const std::string& sha,
                                  const std::string& branch) {
    std::lock_guard lock(mutex_);
    jobs_[job];  // a job Jenkins has, even if the test did not add it
    FakeScm scm = scm_;
    scm.commit = sha;
    scm.branch = branch;
    auto& item = enqueue(job, {}, scm);
    item.by_scm = true;
    const long id = item.id;
    advance();
    return id;
}

FakeResponse FakeJenkins::cancel(const RecordedRequest& request) {
    const auto params = params_of(request);
    const auto id = params.count("id") ? std::atol(params.at("id").c_str()) : 0L;
    for (auto& item : queue_)
        if (item.id == id && !item.cancelled && item.build_number == 0) item.cancelled = true;
    return FakeResponse{204, "", "text/plain", {}};
}

FakeResponse FakeJenkins::queue_api(long id) const {
    const auto it = std::find_if(queue_.begin(), queue_.end(),
                                 [&](const QueueItem& item) { return item.id == id; });
    const std::string path = "/queue/item/" + std::to_string(id) + "/api/json";
    if (it == queue_.end()) return jetty_error(404, "Not Found", path);
    const bool left = it->cancelled || it->build_number != 0;
    if (left && forget_) return jetty_error(404, "Not Found", path);
    std::string params_text;  // Jenkins' own rendering: "\nKEY=value" per parameter
    for (const auto& [key, value] : it->params) params_text += "\n" + key + "=" + value;
    json item{{"actions", json::array({cause_action(it->by_scm), parameters_action(it->params)})},
              {"blocked", false},
              {"buildable", !left},
              {"id", it->id},
              {"inQueueSince", epoch_ms(it->queued)},
              {"params", params_text},
              {"stuck", false},
              {"task",
               {{"_class", "hudson.model.FreeStyleProject"},
                {"name", last_segment(it->job)},
                {"url", job_url(it->job)},
                {"color", "blue"}}},
              {"url", "queue/item/" + std::to_string(it->id) + "/"},
              {"why", nullptr}};
    if (!left) {
        item["_class"] = "hudson.model.Queue$BuildableItem";
        item["why"] = "Waiting for next available executor";
        item["timestamp"] = epoch_ms(it->starts);
        item["pending"] = false;
        return json_response(item);
    }
    item["_class"] = "hudson.model.Queue$LeftItem";
    item["cancelled"] = it->cancelled;
    item["executable"] = nullptr;
    if (!it->cancelled)
        item["executable"] = {{"_class", "hudson.model.FreeStyleBuild"},
                              {"number", it->build_number},
                              {"url", job_url(it->job) + std::to_string(it->build_number) + "/"}};
    return json_response(item);
}

FakeResponse FakeJenkins::folder_api(const std::string& folder) const {
    json jobs = json::array();
    for (const auto& [name, job] : jobs_) {
        if (name.rfind(folder + "/", 0) != 0) continue;
        const auto child = name.substr(folder.size() + 1);
        const auto first = child.substr(0, child.find('/'));
        const bool nested = child.find('/') != std::string::npos;
        jobs.push_back({{"_class", nested ? "com.cloudbees.hudson.plugins.folder.Folder"
                                          : "hudson.model.FreeStyleProject"},
                        {"name", first},
                        {"url", job_url(folder + "/" + first)}});
    }
    return json_response({{"_class", "com.cloudbees.hudson.plugins.folder.Folder"},
                          {"name", last_segment(folder)},
                          {"fullName", folder},
                          {"url", job_url(folder)},
                          {"jobs", jobs}});
}

// tree: the tree= query. Like Jenkins, builds carry their actions only when
// asked, each reduced to what was asked (here the git plugin's
// lastBuiltRevision) and its _class.
FakeResponse FakeJenkins::job_api(const std::string& job, const std::string& tree) const {
    const auto& record = jobs_.at(job);
    const bool with_revisions = tree.find("lastBuiltRevision") != std::string::npos;
    json builds = json::array();
    for (auto it = record.builds.rbegin(); it != record.builds.rend(); ++it) {
        const auto build = snapshot(job, *it);
        json entry{{"_class", "hudson.model.FreeStyleBuild"},
                   {"number", build.number},
                   {"url", build.url},
                   {"queueId", build.queue_id},
                   {"building", build.building},
                   {"duration", build.duration.count()},
                   {"timestamp", epoch_ms(it->started)},
                   {"result", build.result.empty() ? json(nullptr) : json(build.result)}};
        if (with_revisions) entry["actions"] = revision_actions(*it);
        builds.push_back(entry);
    }
    const bool in_queue = std::any_of(queue_.begin(), queue_.end(), [&](const QueueItem& item) {
        return item.job == job && !item.cancelled && item.build_number == 0;
    });
    json last = nullptr;
    if (!record.builds.empty())
        last = {{"number", record.builds.back().number},
                {"url", job_url(job) + std::to_string(record.builds.back().number) + "/"}};
    return json_response({{"_class", "hudson.model.FreeStyleProject"},
                          {"name", last_segment(job)},
                          {"fullName", job},
                          {"url", job_url(job)},
                          {"buildable", !record.disabled},
                          {"color", record.disabled ? "disabled" : "blue"},
                          {"inQueue", in_queue},
                          {"nextBuildNumber", record.next_number},
                          {"lastBuild", last},
                          {"builds", builds}});
}

json FakeJenkins::revision_actions(const Build& build) const {
    const json branch{{"SHA1", build.scm.commit}, {"name", build.scm.branch}};
    return json::array(
        {{{"_class", "hudson.model.CauseAction"}},
         {{"_class", "hudson.plugins.git.util.BuildData"},
          {"lastBuiltRevision", {{"SHA1", build.scm.commit}, {"branch", json::array({branch})}}}},
         {{"_class", "hudson.plugins.git.GitTagAction"}},
         json::object()});
}

FakeResponse FakeJenkins::build_api(const std::string& job, long number) const {
    const auto& builds = jobs_.at(job).builds;
    const auto it = std::find_if(builds.begin(), builds.end(),
                                 [&](const Build& b) { return b.number == number; });
    if (it == builds.end())
        return jetty_error(404, "Not Found",
                           "/" + job_path(job) + std::to_string(number) + "/api/json");
    const auto state = snapshot(job, *it);
    const json actions = json::array({parameters_action(it->params), cause_action(it->by_scm),
                                      git_build_data(it->scm, it->number), json::object()});
    const json change = git_change(it->scm, epoch_ms(it->started) - 60'000, base_url());
    return json_response(
        {{"_class", "hudson.model.FreeStyleBuild"},
         {"actions", actions},
         {"artifacts", json::array()},
         {"building", state.building},
         {"description", nullptr},
         {"displayName", "#" + std::to_string(it->number)},
         {"duration", state.duration.count()},
         {"estimatedDuration", state.duration.count()},
         {"executor",
          state.building ? json::object({{"_class", "hudson.model.Executor"}}) : json(nullptr)},
         {"fullDisplayName", job + " #" + std::to_string(it->number)},
         {"id", std::to_string(it->number)},
         {"keepLog", false},
         {"number", it->number},
         {"queueId", it->queue_id},
         {"result", state.result.empty() ? json(nullptr) : json(state.result)},
         {"timestamp", epoch_ms(it->started)},
         {"url", state.url},
         {"builtOn", ""},
         {"changeSets", json::array({{{"_class", "hudson.plugins.git.GitChangeSetList"},
                                      {"items", json::array({change})},
                                      {"kind", "git"}}})},
         {"culprits", json::array({{{"absoluteUrl", base_url() + "user/alice"},
                                    {"fullName", it->scm.author}}})}});
}

std::string FakeJenkins::notification_json(const std::string& job, long number,
                                           const std::string& phase,
                                           const std::string& status) const {
    std::lock_guard lock(mutex_);
    advance();
    long queue_id = 0;
    long long started = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    long long duration = 0;
    FakeScm scm = scm_;
    Params params;
    if (const auto found = jobs_.find(job); found != jobs_.end()) {
        for (const auto& build : found->second.builds) {
            if (build.number != number) continue;
            queue_id = build.queue_id;
            started = epoch_ms(build.started);
            duration = phase == "STARTED" ? 0 : snapshot(job, build).duration.count();
            scm = build.scm;
            params = build.params;
        }
    }
    json build{{"full_url", job_url(job) + std::to_string(number) + "/"},
               {"number", number},
               {"queue_id", queue_id},
               {"timestamp", plugin_time(started)},
               {"duration", duration},
               {"phase", phase},
               {"url", job_path(job) + std::to_string(number) + "/"},
               {"scm",
                {{"url", scm.remote},
                 {"branch", branch_as_git_branch(scm.branch)},
                 {"commit", scm.commit},
                 {"changes", json::array({"deploy/config.yml"})},
                 {"culprits", json::array({"alice"})}}},
               {"parameters", params},
               {"log", ""},
               {"notes", ""},
               {"artifacts", json::object()}};
    if (!status.empty()) build["status"] = status;
    return json{{"name", last_segment(job)},
                {"display_name", last_segment(job)},
                {"url", job_path(job)},
                {"build", build}}
        .dump();
}

}  // namespace opsbot::test
