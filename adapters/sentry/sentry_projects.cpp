// Sentry projects: look one up, create one under a team, read its DSN. The
// groundwork of /newproject's Sentry step; errors share sentry_client.cpp's
// mapping through sentry_http.hpp.

#include <nlohmann/json.hpp>

#include "adapters/sentry/sentry.hpp"
#include "adapters/sentry/sentry_http.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::sentry {

namespace detail {

HttpRequest api_request(const SentryConfig& config, const std::string& method,
                        const std::string& path) {
    HttpRequest request;
    request.method = method;
    request.url = detail::without_trailing_slashes(config.base_url) + "/api/0/" + path;
    request.timeout = config.timeout;
    request.headers = {{"Authorization", "Bearer " + config.auth_token}};
    return request;
}

std::string project_path(const SentryConfig& config, const std::string& slug) {
    return "projects/" + percent_encode(config.org) + "/" + percent_encode(slug) + "/";
}

}  // namespace detail

namespace {

using detail::api_request;
using detail::project_path;

using nlohmann::json;

// Lookups are safe to repeat; a create is sent once (see sentry.hpp).
constexpr int kReadAttempts = 2;
constexpr int kCreateAttempts = 1;

constexpr const char* kProjectTokenHint =
    "give SENTRY_AUTH_TOKEN the project:read and project:write scopes (or team:admin on the "
    "team), then restart opsbot";

Status check_slug(const std::string& slug) {
    if (!trim(slug).empty()) return success();
    return Error{"sentry_bad_slug", "no Sentry project slug was given",
                 "give the project's slug, as in …/projects/<org>/<slug>/"};
}

// 401, 403 and 404 about a project (or, with `team`, a team); anything else
// as for issues (429 with its wait, bad_response with Sentry's detail).
Error project_error(const HttpResponse& response, const HttpRequest& request,
                    const SentryConfig& config, const std::string& slug,
                    const std::string& team = {}) {
    const std::string says = detail::sentry_says(response, config);
    const std::string what = team.empty() ? "project '" + slug + "'" : "team '" + team + "'";
    switch (response.status) {
        case 401:
            return Error{"sentry_auth", "Sentry rejected SENTRY_AUTH_TOKEN (401)" + says,
                         kProjectTokenHint};
        case 403:
            return Error{"sentry_auth",
                         "Sentry refused SENTRY_AUTH_TOKEN (403) for " + what + " in SENTRY_ORG '" +
                             config.org + "'" + says,
                         kProjectTokenHint};
        case 404:
            return Error{"sentry_not_found",
                         "Sentry has no " + what + " in organization '" + config.org +
                             "' (SENTRY_ORG)" + says,
                         team.empty() ? "check the project slug and SENTRY_ORG"
                                      : "check SENTRY_TEAM and SENTRY_ORG: they are slugs, as "
                                        "in Sentry's URLs"};
        default:
            return detail::answer_error(response, request, config, slug);
    }
}

Error unexpected_body(const HttpRequest& request, const std::string& what) {
    return Error{"bad_response", "Sentry answered " + detail::where(request) + " without " + what,
                 "check that SENTRY_URL points at Sentry's API"};
}

std::string text_of(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
    return {};
}

Result<SentryProject> parse_project(const HttpResponse& response, const HttpRequest& request) {
    const auto body = json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return unexpected_body(request, "a project");
    SentryProject project{text_of(body, "slug"), text_of(body, "name"), text_of(body, "id")};
    if (project.slug.empty() || project.id.empty())
        return unexpected_body(request, "the project's slug and id");
    return project;
}

bool ok_status(int status) {
    return status >= 200 && status < 300;
}

}  // namespace

HttpRequest find_project_request(const SentryConfig& config, const std::string& slug) {
    return api_request(config, "GET", project_path(config, slug));
}

HttpRequest create_project_request(const SentryConfig& config, const std::string& team,
                                   const std::string& slug, const std::string& name,
                                   const std::string& platform) {
    auto request = api_request(
        config, "POST",
        "teams/" + percent_encode(config.org) + "/" + percent_encode(team) + "/projects/");
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = json{{"name", name}, {"slug", slug}, {"platform", platform}}.dump();
    return request;
}

HttpRequest project_keys_request(const SentryConfig& config, const std::string& slug) {
    return api_request(config, "GET", project_path(config, slug) + "keys/");
}

Result<std::optional<SentryProject>> SentryClient::find_project(const std::string& slug) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto valid = check_slug(slug); !valid.ok()) return valid.error();
    const auto request = find_project_request(config_, slug);
    const auto response = detail::send_with_retry(http_, request, config_, kReadAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (answer.status == 404) return std::optional<SentryProject>{};
    if (!ok_status(answer.status)) return project_error(answer, request, config_, slug);
    auto project = parse_project(answer, request);
    if (!project.ok()) return project.error();
    return std::optional<SentryProject>{std::move(project).value()};
}

Result<SentryProject> SentryClient::create_project(const std::string& team, const std::string& slug,
                                                   const std::string& name,
                                                   const std::string& platform) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto valid = check_slug(slug); !valid.ok()) return valid.error();
    if (trim(team).empty())
        return Error{"sentry_bad_slug", "no Sentry team was given for project '" + slug + "'",
                     "set SENTRY_TEAM to the slug of the team that owns new projects"};
    const auto request =
        create_project_request(config_, team, slug, name.empty() ? slug : name, platform);
    const auto response = detail::send_with_retry(http_, request, config_, kCreateAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (answer.status == 409)
        return Error{"sentry_exists",
                     "Sentry project '" + slug + "' already exists in organization '" +
                         config_.org + "'" + detail::sentry_says(answer, config_),
                     "use the existing project, or choose another slug"};
    if (!ok_status(answer.status)) return project_error(answer, request, config_, slug, team);
    return parse_project(answer, request);
}

Result<std::string> SentryClient::project_dsn(const std::string& slug) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto valid = check_slug(slug); !valid.ok()) return valid.error();
    const auto request = project_keys_request(config_, slug);
    const auto response = detail::send_with_retry(http_, request, config_, kReadAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (!ok_status(answer.status)) return project_error(answer, request, config_, slug);
    const auto keys = json::parse(answer.body, nullptr, false);
    if (keys.is_discarded() || !keys.is_array()) return unexpected_body(request, "a list of keys");
    for (const auto& key : keys) {
        if (!key.is_object() || !key.value("isActive", false)) continue;
        const auto dsn = key.find("dsn");
        if (dsn == key.end() || !dsn->is_object()) continue;
        if (std::string text = text_of(*dsn, "public"); !text.empty()) return text;
    }
    return Error{"sentry_no_dsn", "Sentry project '" + slug + "' has no active client key",
                 "create or enable a client key in the project's settings (Client Keys (DSN))"};
}

Result<std::string> SentryClient::organization() {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    const auto request =
        api_request(config_, "GET", "organizations/" + percent_encode(config_.org) + "/");
    const auto response = detail::send_with_retry(http_, request, config_, kReadAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (answer.status == 404)
        return Error{"sentry_not_found",
                     "Sentry has no organization '" + config_.org +
                         "' (SENTRY_ORG) that SENTRY_AUTH_TOKEN can see" +
                         detail::sentry_says(answer, config_),
                     "set SENTRY_ORG to the organization slug as it appears in Sentry's URLs"};
    if (!ok_status(answer.status)) return detail::answer_error(answer, request, config_, "");
    const auto body = json::parse(answer.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("slug"))
        return Error{"bad_response", "Sentry sent no organization for " + detail::where(request),
                     "check SENTRY_URL"};
    return body.value("name", config_.org);
}

}  // namespace opsbot::sentry
