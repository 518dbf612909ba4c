#pragma once
// Sentry: its webhooks (integration platform and the legacy WebHooks plugin)
// read into plain SentryAlert values, their signatures checked, and the few
// API calls opsbot makes (resolve, ignore, mute an issue). Knows nothing of
// Slack or of opsbot's commands.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/alerts.hpp"
#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::sentry {

// One webhook, reduced to what a relay shows and keys on: core's Alert, so
// that the relay and the store never see Sentry's JSON.
using SentryAlert = Alert;

// Parses the body of an integration-platform webhook whose
// Sentry-Hook-Resource header is `resource`. An Error (code "bad_payload" or
// "unsupported_resource") says what is missing.
Result<SentryAlert> parse_webhook(std::string_view resource, std::string_view body);

// The legacy per-project WebHooks plugin payload (project, project_name,
// culprit, message, url, level, event, id).
Result<SentryAlert> parse_legacy_webhook(std::string_view body);

// Sentry-Hook-Signature: hex HMAC-SHA256 of the raw body with the client
// secret; compared in constant time. False for an empty secret or signature.
bool verify_signature(std::string_view client_secret, std::string_view body,
                      std::string_view signature);
// The signature Sentry would send (for tests, fakes and benchmarks).
std::string sign(std::string_view client_secret, std::string_view body);

struct SentryConfig {
    std::string base_url = "https://sentry.io";  // SENTRY_URL
    std::string auth_token;                      // SENTRY_AUTH_TOKEN (event:write)
    std::string org;                             // SENTRY_ORG (slug)
    std::chrono::milliseconds timeout{10'000};
};

enum class IssueChange { resolve, ignore, mute };

struct IssueUpdate {
    IssueChange change = IssueChange::resolve;
    std::chrono::minutes mute_for{60};  // for mute: ignoreDuration
};

// PUT {base}/api/0/organizations/{org}/issues/{id}/ with the status body;
// what --dry-run shows, and what SentryClient sends.
HttpRequest update_issue_request(const SentryConfig& config, const std::string& issue_id,
                                 const IssueUpdate& update);

// A Sentry project as opsbot keeps it: the slug it is addressed by, its
// display name and its numeric id (as text, as Sentry sends it).
struct SentryProject {
    std::string slug, name, id;
};

// The requests SentryClient sends for projects; what --dry-run shows.
HttpRequest find_project_request(const SentryConfig& config, const std::string& slug);
HttpRequest create_project_request(const SentryConfig& config, const std::string& team,
                                   const std::string& slug, const std::string& name,
                                   const std::string& platform = "other");
HttpRequest project_keys_request(const SentryConfig& config, const std::string& slug);

// An issue alert rule that notifies a service (opsbot's integration slug).
struct AlertRuleSpec {
    std::string name = "opsbot";
    std::string service;  // SENTRY_APP_SLUG
    int frequency_minutes = 5;
};
HttpRequest alert_rules_request(const SentryConfig& config, const std::string& slug);
HttpRequest create_alert_rule_request(const SentryConfig& config, const std::string& slug,
                                      const AlertRuleSpec& rule);

class SentryClient {
public:
    SentryClient(HttpClient& http, SentryConfig config);

    // Errors carry a user-facing message and hint. Codes: sentry_auth
    // (401/403: SENTRY_AUTH_TOKEN refused or lacking event:write),
    // sentry_not_found (404: no such issue in SENTRY_ORG), sentry_rate_limited
    // (429, with Retry-After in the message), sentry_unavailable (5xx or no
    // answer), sentry_config (SENTRY_ORG or SENTRY_AUTH_TOKEN unset),
    // bad_response (any other answer, e.g. 400, with Sentry's detail).
    Status update_issue(const std::string& issue_id, const IssueUpdate& update);

    // Projects (groundwork for /newproject). The token needs project:read for
    // the lookups and project:write (or team:admin) to create. Besides the
    // codes above: sentry_exists (409: the slug is taken in SENTRY_ORG),
    // sentry_no_dsn (the project has no active client key), sentry_bad_slug
    // (an empty slug, or an empty team for create_project).

    // GET /api/0/projects/{org}/{slug}/: the project, or nullopt on 404.
    Result<std::optional<SentryProject>> find_project(const std::string& slug);
    // POST /api/0/teams/{org}/{team}/projects/ with {"name","slug","platform"}.
    // Sent once (no retry), so that a create that went through is never sent
    // twice; a caller that wants idempotence treats sentry_exists as "look it
    // up with find_project".
    Result<SentryProject> create_project(const std::string& team, const std::string& slug,
                                         const std::string& name,
                                         const std::string& platform = "other");
    // GET /api/0/projects/{org}/{slug}/keys/: dsn.public of the first active
    // client key.
    Result<std::string> project_dsn(const std::string& slug);

    // GET /api/0/organizations/{org}/: the organization's name, for opsbot
    // doctor. sentry_not_found when SENTRY_ORG is unknown to the token.
    Result<std::string> organization();

    // GET/POST /api/0/projects/{org}/{slug}/rules/: the id of the rule named
    // `name`, or nullopt; creating is sent once, like create_project.
    Result<std::optional<std::string>> find_alert_rule(const std::string& slug,
                                                       const std::string& name);
    Result<std::string> create_alert_rule(const std::string& slug, const AlertRuleSpec& rule);

    const SentryConfig& config() const { return config_; }

private:
    HttpClient& http_;
    SentryConfig config_;
};

}  // namespace opsbot::sentry
