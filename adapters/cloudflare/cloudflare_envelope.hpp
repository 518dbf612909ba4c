#pragma once
// Internal to the Cloudflare adapter: the request builder, the envelope
// reading with its error mapping and 429 retries, shared by the purge/zone
// calls (cloudflare_client.cpp) and the DNS calls (cloudflare_dns.cpp).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/cloudflare/cloudflare.hpp"
#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::cloudflare::detail {

// What a call is, for the messages: "the purge" reads "Cloudflare refused the purge: …".
struct Call {
    std::string what;  // "the purge", "the zone lookup for example.com"
    std::string hint;  // for Cloudflare's own refusals (success:false)
};

// "POST https://api.cloudflare.com/client/v4/zones/…"
std::string where(const HttpRequest& request);
// api_url + path, with the bearer token and the timeout.
HttpRequest make_request(const CloudflareConfig& config, std::string method, std::string path);
// cloudflare_config when the token or the API URL is unset.
Status config_error(const CloudflareConfig& config);
// cloudflare_zone_not_found when the zone id is blank.
std::optional<Error> zone_id_missing(const std::string& zone_id);
// One call: the envelope's result, or the mapped error; 429 waited out and retried.
Result<nlohmann::json> send(HttpClient& http, const CloudflareConfig& config,
                            const HttpRequest& request, const Call& call);

}  // namespace opsbot::cloudflare::detail
