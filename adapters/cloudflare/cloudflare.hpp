#pragma once
// Cloudflare over its v4 API: find a zone by domain, purge a zone's cache
// whole or by URL, find and create DNS records. Answers come in Cloudflare's envelope (success,
// errors[], messages[], result). Knows nothing of Slack or of opsbot's commands.

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

// A DNS record as Cloudflare lists it. id is empty until Cloudflare created it.
struct DnsRecord {
    std::string id;
    std::string type;     // A, AAAA, CNAME, TXT, …
    std::string name;     // the full name, "direct.example.com"
    std::string content;  // an IP address for A, a host name for CNAME
    bool proxied = false;
};

// The requests, for --dry-run and for the client. purge_files_requests splits
// the URLs into calls of at most kMaxUrlsPerPurge.
HttpRequest zone_lookup_request(const CloudflareConfig& config, const std::string& domain);
HttpRequest purge_everything_request(const CloudflareConfig& config, const std::string& zone_id);
std::vector<HttpRequest> purge_files_requests(const CloudflareConfig& config,
                                              const std::string& zone_id,
                                              const std::vector<std::string>& urls);
// GET zones/<zone>/dns_records?name=<name> (an exact match, every type).
HttpRequest dns_list_request(const CloudflareConfig& config, const std::string& zone_id,
                             const std::string& name);
// POST zones/<zone>/dns_records {type, name, content, proxied, ttl: 1 (automatic)}.
HttpRequest dns_create_request(const CloudflareConfig& config, const std::string& zone_id,
                               const DnsRecord& record);
// PATCH zones/<zone>/dns_records/<record.id> {type, name, content, proxied}.
HttpRequest dns_update_request(const CloudflareConfig& config, const std::string& zone_id,
                               const DnsRecord& record);

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
    Result<std::string> purge_files(const std::string& zone_id,
                                    const std::vector<std::string>& urls);

    // The zone's records named `name` (any type; empty when there are none),
    // for idempotent creation: look, then create what is missing. Names are
    // compared lowercase and without the root dot.
    Result<std::vector<DnsRecord>> find_records(const std::string& zone_id,
                                                const std::string& name);
    // Creates the record (ttl automatic) and returns it as Cloudflare stored
    // it, with its id. cloudflare_record_exists when Cloudflare refuses a
    // duplicate (81053 "An A, AAAA, or CNAME record with that host already
    // exists", 81057 "The record already exists"); cloudflare_dns_invalid when
    // type, name or content is blank (nothing is sent).
    Result<DnsRecord> create_record(const std::string& zone_id, const DnsRecord& record);
    // Changes the record whose id is record.id (its content, to move an A
    // record to a new server) and returns it as Cloudflare stored it.
    Result<DnsRecord> update_record(const std::string& zone_id, const DnsRecord& record);
    // GET user/tokens/verify: the token's status ("active"), for opsbot doctor.
    Result<std::string> verify_token();

    const CloudflareConfig& config() const { return config_; }

private:
    HttpClient& http_;
    CloudflareConfig config_;
};

}  // namespace opsbot::cloudflare
