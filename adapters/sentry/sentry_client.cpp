#include "adapters/sentry/sentry.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/sentry/sentry_http.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::sentry {

using detail::answer_error;
using detail::config_error;
using detail::sentry_says;
using detail::where;
using detail::without_trailing_slashes;

namespace {

using nlohmann::json;

// One retry: a status change is idempotent, and a Sentry deploy or a load
// balancer hiccup rarely lasts longer than this.
constexpr int kAttempts = 2;
constexpr std::chrono::milliseconds kBackoff{250};
// Sentry's error details are one sentence; longer text is HTML or a stack.
constexpr std::size_t kMaxDetail = 200;

constexpr const char* kTokenHint =
    "create a token with the event:write scope (Settings → Developer Settings → Internal "
    "Integration, or a personal auth token), set SENTRY_AUTH_TOKEN and restart opsbot";

// Sentry (Django REST framework) answers errors as {"detail": "..."}, and
// validation errors as {"field": ["..."]}. One line either way, without the
// token should Sentry ever echo it back.
std::string error_detail(const HttpResponse& response, const std::string& token) {
    const auto body = json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return {};
    std::string detail;
    if (const auto it = body.find("detail"); it != body.end() && it->is_string()) {
        detail = it->get<std::string>();
    } else {
        for (const auto& [field, value] : body.items()) {
            const json* message = &value;
            if (value.is_array() && !value.empty()) message = &value.front();
            if (!message->is_string()) continue;
            detail = field + ": " + message->get<std::string>();
            break;
        }
    }
    std::replace_if(
        detail.begin(), detail.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    if (!token.empty())
        for (auto at = detail.find(token); at != std::string::npos; at = detail.find(token))
            detail.replace(at, token.size(), "[token]");
    return shorten(trim(detail), kMaxDetail);
}

// Retry-After in seconds; 0 when absent or an HTTP date.
long retry_after_seconds(const HttpResponse& response) {
    const std::string value = trim(response.header("Retry-After"));
    if (value.empty() || value.size() > 9 ||
        value.find_first_not_of("0123456789") != std::string::npos)
        return 0;
    return std::stol(value);
}

std::string tries(int attempts) {
    return std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

Error unavailable(const Result<HttpResponse>& last, int attempts, const HttpRequest& request,
                  const SentryConfig& config) {
    const std::string hint = "Sentry may be down or overloaded; check " +
                             without_trailing_slashes(config.base_url) +
                             " and try again in a minute";
    if (!last.ok())
        return Error{"sentry_unavailable",
                     "Sentry did not answer " + where(request) + " (" + tries(attempts) +
                         "): " + last.error().message,
                     hint};
    return Error{"sentry_unavailable",
                 "Sentry is unavailable: it answered " + status_text(last.value().status) + " to " +
                     where(request) + " (" + tries(attempts) + ")" +
                     sentry_says(last.value(), config),
                 hint};
}

}  // namespace

namespace detail {

std::string without_trailing_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string sentry_says(const HttpResponse& response, const SentryConfig& config) {
    const std::string detail = error_detail(response, config.auth_token);
    return detail.empty() ? std::string() : " (Sentry: \"" + detail + "\")";
}

std::string where(const HttpRequest& request) {
    return request.method + " " + request.url;
}

Status config_error(const SentryConfig& config) {
    std::string missing;
    if (trim(config.org).empty()) missing = "SENTRY_ORG";
    if (trim(config.auth_token).empty())
        missing += missing.empty() ? "SENTRY_AUTH_TOKEN" : " and SENTRY_AUTH_TOKEN";
    if (missing.empty()) return success();
    const bool both = missing.find(" and ") != std::string::npos;
    return Error{"sentry_config",
                 "Sentry is not configured: " + missing + (both ? " are" : " is") + " not set",
                 "set SENTRY_ORG to the organization slug and SENTRY_AUTH_TOKEN to a token with "
                 "the event:write scope, then restart opsbot"};
}

Result<HttpResponse> send_with_retry(HttpClient& http, const HttpRequest& request,
                                     const SentryConfig& config, int attempts) {
    auto response = http.send(request);
    for (int attempt = 1; !response.ok() || response.value().status >= 500; ++attempt) {
        if (attempt >= attempts) return unavailable(response, attempt, request, config);
        std::this_thread::sleep_for(kBackoff);
        response = http.send(request);
    }
    return response;
}

Error answer_error(const HttpResponse& response, const HttpRequest& request,
                   const SentryConfig& config, const std::string& issue_id) {
    const int status = response.status;
    const std::string says = sentry_says(response, config);
    if (status == 401)
        return Error{"sentry_auth", "Sentry rejected SENTRY_AUTH_TOKEN (401)" + says, kTokenHint};
    if (status == 403)
        return Error{"sentry_auth",
                     "Sentry refused SENTRY_AUTH_TOKEN (403) for issue " + issue_id +
                         ": the token needs the event:write scope in SENTRY_ORG '" + config.org +
                         "'" + says,
                     kTokenHint};
    if (status == 404)
        return Error{"sentry_not_found",
                     "Sentry has no issue " + issue_id + " in organization '" + config.org +
                         "' (SENTRY_ORG)" + says,
                     "check the issue id, and that SENTRY_ORG is the organization slug as it "
                     "appears in Sentry's URLs"};
    if (status == 429) {
        const long seconds = retry_after_seconds(response);
        const std::string when =
            seconds > 0 ? std::to_string(seconds) + (seconds == 1 ? " second" : " seconds")
                        : std::string("a minute");
        return Error{"sentry_rate_limited",
                     "Sentry is rate-limiting opsbot (429): retry after " + when + says,
                     "wait " + when + " and try again"};
    }
    return Error{"bad_response",
                 "Sentry answered " + std::to_string(status) + " to " + where(request) + says,
                 "check SENTRY_URL and the command's options"};
}

}  // namespace detail

HttpRequest update_issue_request(const SentryConfig& config, const std::string& issue_id,
                                 const IssueUpdate& update) {
    HttpRequest request;
    request.method = "PUT";
    request.url = without_trailing_slashes(config.base_url) + "/api/0/organizations/" +
                  percent_encode(config.org) + "/issues/" + percent_encode(issue_id) + "/";
    request.timeout = config.timeout;
    request.headers = {{"Authorization", "Bearer " + config.auth_token},
                       {"Content-Type", "application/json"}};
    json body;
    switch (update.change) {
        case IssueChange::resolve:
            body = {{"status", "resolved"}};
            break;
        case IssueChange::ignore:
            body = {{"status", "ignored"}};
            break;
        case IssueChange::mute:
            body = {{"status", "ignored"},
                    {"statusDetails", {{"ignoreDuration", update.mute_for.count()}}}};
            break;
    }
    request.body = body.dump();
    return request;
}

SentryClient::SentryClient(HttpClient& http, SentryConfig config)
    : http_(http), config_(std::move(config)) {}

Status SentryClient::update_issue(const std::string& issue_id, const IssueUpdate& update) {
    if (auto configured = config_error(config_); !configured.ok()) return configured;
    // An empty id would address the organization's bulk endpoint
    // (PUT …/issues/ updates every issue), so it never goes out.
    if (trim(issue_id).empty())
        return Error{"sentry_not_found", "no Sentry issue id was given",
                     "give the issue's numeric id, as in …/issues/<id>/"};
    const auto request = update_issue_request(config_, issue_id, update);
    const auto response = detail::send_with_retry(http_, request, config_, kAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (answer.status >= 200 && answer.status < 300) return success();
    return answer_error(answer, request, config_, issue_id);
}

}  // namespace opsbot::sentry
