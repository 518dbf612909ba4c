#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/jenkins/jenkins_http.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::jenkins {

using namespace detail;

namespace {

using nlohmann::json;

constexpr std::string_view kNoValidCrumb = "No valid crumb was included in the request";
constexpr const char* kCredentialsHint =
    "check JENKINS_USER and JENKINS_API_TOKEN: create a token under <JENKINS_URL>/me/configure "
    "(API Token) and restart opsbot";

}  // namespace

std::string detail::with_slash(std::string url) {
    if (url.empty() || url.back() != '/') url += '/';
    return url;
}

namespace {

// "https://ci.example.com/jenkins/" → "https://ci.example.com"
std::string origin(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    return std::string(url.substr(0, url.find('/', start)));
}

// Errors name the URL without its query: trees and parameters are noise there.
}  // namespace

std::string detail::where(const HttpRequest& request) {
    return request.method + " " + request.url.substr(0, request.url.find('?'));
}

HttpRequest detail::make_request(const JenkinsConfig& config, std::string method, std::string url) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.timeout = config.timeout;
    // Preemptive: Jenkins answers 403, not a 401 challenge, to a request without credentials.
    request.headers = {
        {"Authorization", "Basic " + base64_encode(config.user + ":" + config.api_token)},
        {"Accept", "application/json"}};
    return request;
}

namespace {

Error exhausted(const Result<HttpResponse>& last, int attempts, const HttpRequest& request,
                const JenkinsConfig& config) {
    const std::string tries = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    if (!last.ok())
        return Error{"network",
                     "Jenkins did not answer after " + tries + ": " + last.error().message,
                     last.error().hint};
    return Error{"jenkins_unavailable",
                 "Jenkins is unavailable: it answered " + status_text(last.value().status) +
                     " to " + tries + " (" + where(request) + ")",
                 "Jenkins may be restarting or overloaded; check " + with_slash(config.base_url) +
                     " in a browser and try again in a few minutes"};
}

// 5xx and no answer at all are worth retrying: Jenkins restarts, proxies
// hiccup. Repeating a trigger is safe because Jenkins merges an identical
// queued build into the waiting one (303).
}  // namespace

Result<HttpResponse> detail::send_with_retries(HttpClient& http, const JenkinsConfig& config,
                                               const HttpRequest& request) {
    const int attempts = std::max(config.max_attempts, 1);
    auto delay = config.backoff_initial;
    for (int attempt = 1;; ++attempt) {
        auto response = http.send(request);
        if (response.ok() && response.value().status < 500) return response;
        if (attempt >= attempts) return exhausted(response, attempts, request, config);
        std::this_thread::sleep_for(delay);
        delay *= 2;
    }
}

namespace {

Error auth_error(const JenkinsConfig& config, int status, const std::string& what) {
    if (status == 401)
        return Error{
            "jenkins_auth",
            "Jenkins rejected JENKINS_USER/JENKINS_API_TOKEN (401 for user '" + config.user + "')",
            kCredentialsHint};
    return Error{"jenkins_auth",
                 "Jenkins refused user '" + config.user + "' (403) on " + what +
                     ": a missing permission, or JENKINS_USER/JENKINS_API_TOKEN wrong",
                 "give the user Job/Read and Job/Build on the job, and check JENKINS_USER and "
                 "JENKINS_API_TOKEN"};
}

}  // namespace

Error detail::unexpected(const HttpResponse& response, const HttpRequest& request) {
    return Error{"bad_response",
                 "Jenkins answered " + std::to_string(response.status) + " to " + where(request),
                 "check JENKINS_URL and the Jenkins logs"};
}

// The statuses every call maps the same way; 404 and the happy path are the caller's.
std::optional<Error> detail::common_error(const HttpResponse& response, const HttpRequest& request,
                                          const JenkinsConfig& config, const std::string& what) {
    if (response.status == 401 || response.status == 403)
        return auth_error(config, response.status, what);
    if (response.status < 200 || response.status >= 300) return unexpected(response, request);
    return std::nullopt;
}

Result<json> detail::parse_json(const HttpResponse& response, const HttpRequest& request) {
    auto parsed = json::parse(response.body, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) return parsed;
    const auto first = response.body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && response.body[first] == '<')
        return Error{"bad_response",
                     "Jenkins sent HTML where JSON was expected (" + where(request) + ")",
                     "check that JENKINS_URL is the Jenkins root and that no login page or "
                     "proxy sits in front of it"};
    return Error{"bad_response",
                 "Jenkins sent JSON that could not be read (" + where(request) + ")",
                 "the answer may have been cut off; try again, or check the Jenkins logs"};
}

long detail::number_of(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<long>() : 0;
}

bool detail::flag_of(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

namespace {

QueueState queue_from_json(const json& item) {
    QueueState state;
    if (flag_of(item, "cancelled")) {
        state.phase = QueueState::Phase::cancelled;
        return state;
    }
    const auto executable = item.find("executable");
    if (executable != item.end() && executable->is_object()) {
        state.phase = QueueState::Phase::started;
        state.build_number = number_of(*executable, "number");
        state.build_url = string_field(*executable, "url");
        return state;
    }
    state.why = string_field(item, "why");
    return state;
}

// "…/queue/item/42/" → 42; 0 when the Location is not a queue item.
long queue_id_of(const std::string& location) {
    const std::string marker = "/queue/item/";
    const auto at = location.find(marker);
    if (at == std::string::npos) return 0;
    long id = 0;
    for (std::size_t i = at + marker.size(); i < location.size() && location[i] != '/'; ++i) {
        if (location[i] < '0' || location[i] > '9' || id > 100'000'000'000'000) return 0;
        id = id * 10 + (location[i] - '0');
    }
    return id;
}

Result<QueuedBuild> queued_from(const HttpResponse& response, const HttpRequest& request,
                                const JenkinsConfig& config) {
    std::string location = response.header("Location");
    const long id = queue_id_of(location);
    if (id <= 0)
        return Error{"bad_response",
                     "Jenkins accepted " + where(request) +
                         " but named no queue item (Location: '" + location + "')",
                     "a proxy may rewrite redirects; check JENKINS_URL and the Jenkins version"};
    if (starts_with(location, "/")) location = origin(config.base_url) + location;
    return QueuedBuild{with_slash(location), id, response.status == 303};
}

bool crumb_refused(const Result<HttpResponse>& response) {
    return response.ok() && response.value().status == 403 &&
           response.value().body.find(kNoValidCrumb) != std::string::npos;
}

// Every Set-Cookie "name=value", ready for a Cookie header.
std::string cookies_of(const HttpResponse& response) {
    std::string out;
    for (const auto& [name, value] : response.headers) {
        if (to_lower(name) != "set-cookie") continue;
        if (!out.empty()) out += "; ";
        out += trim(std::string_view(value).substr(0, value.find(';')));
    }
    return out;
}

}  // namespace

JenkinsClient::JenkinsClient(HttpClient& http, JenkinsConfig config)
    : http_(http), config_(std::move(config)) {
    config_.base_url = with_slash(config_.base_url);
}

std::string JenkinsClient::job_path(const std::string& job) {
    std::string path;
    std::size_t start = 0;
    while (start <= job.size()) {
        const auto end = std::min(job.find('/', start), job.size());
        if (end > start) path += "job/" + percent_encode(job.substr(start, end - start)) + "/";
        start = end + 1;
    }
    return path;
}

std::string job_url(const JenkinsConfig& config, const std::string& job) {
    return with_slash(config.base_url) + JenkinsClient::job_path(job);
}

HttpRequest trigger_request(const JenkinsConfig& config, const TriggerRequest& request) {
    const bool with_params = !request.params.empty();
    auto http = make_request(
        config, "POST",
        job_url(config, request.job) + (with_params ? "buildWithParameters" : "build"));
    if (with_params) {
        http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        http.body = form_encode(request.params);
    }
    return http;
}

std::string JenkinsClient::job_url(const std::string& job) const {
    return jenkins::job_url(config_, job);
}

HttpRequest JenkinsClient::trigger_request(const TriggerRequest& request) const {
    return jenkins::trigger_request(config_, request);
}

Result<HttpResponse> JenkinsClient::send_trigger(const TriggerRequest& request) {
    return send_with_crumb(trigger_request(request));
}

Result<HttpResponse> JenkinsClient::send_with_crumb(HttpRequest http) {
    {
        std::lock_guard lock(*crumb_mutex_);
        if (!crumb_header_.empty()) http.headers.emplace_back(crumb_header_, crumb_value_);
        if (!session_cookie_.empty()) http.headers.emplace_back("Cookie", session_cookie_);
    }
    return send_with_retries(http_, config_, http);
}

Status JenkinsClient::fetch_crumb() {
    const auto request = make_request(config_, "GET", config_.base_url + "crumbIssuer/api/json");
    const auto response = send_with_retries(http_, config_, request);
    if (!response.ok()) return response.error();
    if (auto error = common_error(response.value(), request, config_, "the CSRF crumb issuer"))
        return *error;
    const auto body = parse_json(response.value(), request);
    if (!body.ok()) return body.error();
    const std::string field = string_field(body.value(), "crumbRequestField");
    const std::string crumb = string_field(body.value(), "crumb");
    if (field.empty() || crumb.empty())
        return Error{"bad_response", "Jenkins' crumb issuer sent no crumb (" + where(request) + ")",
                     "check the CSRF protection settings in Manage Jenkins → Security"};
    std::lock_guard lock(*crumb_mutex_);
    crumb_header_ = field;
    crumb_value_ = crumb;
    session_cookie_ = cookies_of(response.value());
    return success();
}

Result<HttpResponse> JenkinsClient::post_with_crumb(const HttpRequest& request,
                                                    const std::string& what) {
    auto response = send_with_crumb(request);
    // No crumb yet, or the cached one belongs to an expired session: fetch one, retry once.
    if (crumb_refused(response)) {
        if (const auto fetched = fetch_crumb(); !fetched.ok()) return fetched.error();
        response = send_with_crumb(request);
        if (crumb_refused(response))
            return Error{"jenkins_auth", "Jenkins refused a fresh CSRF crumb for " + what,
                         "a proxy may drop the session cookie; check it, or enable proxy "
                         "compatibility under Manage Jenkins → Security → CSRF Protection"};
    }
    return response;
}

Result<QueuedBuild> JenkinsClient::trigger(const TriggerRequest& request) {
    auto response = post_with_crumb(trigger_request(request), request.job);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    const auto sent = trigger_request(request);
    if (answer.status == 201 || answer.status == 303) return queued_from(answer, sent, config_);
    if (answer.status == 404)
        return Error{"jenkins_job_missing", "Jenkins has no job " + request.job,
                     "check jenkins_job in the catalogue against " + job_url(request.job)};
    if (answer.status == 409)
        return Error{"jenkins_job_disabled", "the Jenkins job " + request.job + " is disabled",
                     "enable it at " + job_url(request.job) + " or ask whoever disabled it"};
    if (auto error = common_error(answer, sent, config_, request.job)) return *error;
    return unexpected(answer, sent);
}

Result<QueueState> JenkinsClient::queue_item(const QueuedBuild& queued) {
    std::string url = with_slash(queued.queue_url);
    if (queued.queue_url.empty())
        url = config_.base_url + "queue/item/" + std::to_string(queued.queue_id) + "/";
    const auto request = make_request(config_, "GET", url + "api/json");
    const auto response = send_with_retries(http_, config_, request);
    if (!response.ok()) return response.error();
    // Jenkins keeps a started item for about five minutes, then forgets it.
    if (response.value().status == 404) return QueueState{QueueState::Phase::gone, 0, {}, {}};
    if (auto error = common_error(response.value(), request, config_, "the build queue"))
        return *error;
    const auto body = parse_json(response.value(), request);
    if (!body.ok()) return body.error();
    return queue_from_json(body.value());
}

Result<std::string> JenkinsClient::who_am_i() {
    const auto request =
        make_request(config_, "GET", with_slash(config_.base_url) + "whoAmI/api/json");
    const auto response = send_with_retries(http_, config_, request);
    if (!response.ok()) return response.error();
    if (auto error = common_error(response.value(), request, config_, "whoAmI")) return *error;
    const auto parsed = parse_json(response.value(), request);
    if (!parsed.ok()) return parsed.error();
    if (flag_of(parsed.value(), "anonymous") || !flag_of(parsed.value(), "authenticated"))
        return Error{"jenkins_auth", "Jenkins treats opsbot as anonymous (" + where(request) + ")",
                     kCredentialsHint};
    return string_field(parsed.value(), "name");
}

}  // namespace opsbot::jenkins
