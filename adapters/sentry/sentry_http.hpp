#pragma once
// Internal to the Sentry adapter: what its API calls share (the config check,
// sending with a retry, and turning Sentry's answers into user-facing Errors).
// Not for use outside adapters/sentry.

#include <string>

#include "adapters/sentry/sentry.hpp"
#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::sentry::detail {

std::string without_trailing_slashes(std::string url);

// " (Sentry: \"Invalid token\")", or nothing when Sentry gave no detail; one
// line, without the token should Sentry ever echo it back.
std::string sentry_says(const HttpResponse& response, const SentryConfig& config);

// A request to /api/0/<path> with the bearer token.
HttpRequest api_request(const SentryConfig& config, const std::string& method,
                        const std::string& path);
// "projects/<org>/<slug>/"
std::string project_path(const SentryConfig& config, const std::string& slug);

// "METHOD url", for messages.
std::string where(const HttpRequest& request);

// sentry_config when SENTRY_ORG or SENTRY_AUTH_TOKEN is unset.
Status config_error(const SentryConfig& config);

// Sends `request` up to `attempts` times while there is no answer or a 5xx;
// the answer (any status below 500) or a sentry_unavailable Error.
Result<HttpResponse> send_with_retry(HttpClient& http, const HttpRequest& request,
                                     const SentryConfig& config, int attempts);

// A non-2xx answer about issue `issue_id`: sentry_auth (401/403),
// sentry_not_found (404), sentry_rate_limited (429), bad_response otherwise.
Error answer_error(const HttpResponse& response, const HttpRequest& request,
                   const SentryConfig& config, const std::string& issue_id);

}  // namespace opsbot::sentry::detail
