#pragma once
// Cloudflare over its v4 API: find a zone by domain, purge a zone's cache
// whole or by URL. Answers come in Cloudflare's envelope (success, errors[],
// messages[], result). Knows nothing of Slack or of opsbot's commands.

#include <chrono>
#include <string>
#include <vector>

#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::cloudflare {

struct CloudflareConfig {
    std::string api_url = "https://api.cloudflare.com/client/v4/";  // CLOUDFLARE_API_URL
    std::string api_token;                                          // CLOUDFLARE_API_TOKEN (Bearer)
    int max_rate_limit_retries = 3;  // 429: wait Retry-After (capped at 60 s) and retry
    std::chrono::milliseconds timeout{10'000};
};

inline constexpr std::size_t kMaxUrlsPerPurge = 30;

// The requests, for --dry-run and for the client. purge_files_requests splits
// the URLs into calls of at most kMaxUrlsPerPurge.
HttpRequest zone_lookup_request(const CloudflareConfig& config, const std::string& domain);
HttpRequest purge_everything_request(const CloudflareConfig& config, const std::string& zone_id);
std::vector<HttpRequest> purge_files_requests(const CloudflareConfig& config,
                                              const std::string& zone_id,
                                              const std::vector<std::string>& urls);

class CloudflareClient {
public:
    CloudflareClient(HttpClient& http, CloudflareConfig config);

    // Errors carry a user-facing message and hint, with Cloudflare's error
    // codes and messages ("Cloudflare refused the purge: 1012 Request must
    // contain one of …"). Codes: cloudflare_auth (401/403, or error 10000:
    // names CLOUDFLARE_API_TOKEN and the Zone.Cache Purge permission, never the
    // token), cloudflare_zone_not_found (names the domain), cloudflare_error
    // (success:false with the errors), cloudflare_rate_limited (still 429 after
    // the retries), cloudflare_unavailable (5xx or no answer), cloudflare_config
    // (token unset), bad_response.
    Result<std::string> find_zone(const std::string& domain);
    // The zone's purge id per call, joined by "," (Cloudflare returns result.id).
    Result<std::string> purge_everything(const std::string& zone_id);
    Result<std::string> purge_files(const std::string& zone_id, const std::vector<std::string>& urls);

    const CloudflareConfig& config() const { return config_; }

private:
    HttpClient& http_;
    CloudflareConfig config_;
};

}  // namespace opsbot::cloudflare
