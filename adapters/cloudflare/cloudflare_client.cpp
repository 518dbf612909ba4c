#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/cloudflare/cloudflare_envelope.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::cloudflare {

using namespace detail;

namespace {

using nlohmann::json;

constexpr std::chrono::seconds kMaxRetryAfter{60};
// Cloudflare documents Retry-After on every 429; this is for a proxy's 429 without one.
constexpr std::chrono::seconds kDefaultRetryAfter{5};
// Cloudflare's error messages are one sentence each; longer text is noise in a chat reply.
constexpr std::size_t kMaxDetail = 300;

// Codes that are about the token itself, whatever the HTTP status: 10000
// "Authentication error" (403), 9109 "Invalid access token" / "Unauthorized
// to access requested resource", 9106 no credentials at all, and 6111
// "Invalid format for Authorization header" (inside 6003's error_chain, 400).
constexpr long kAuthCodes[] = {6111, 9106, 9109, 10000};
// "Could not route to /client/v4/zones/<id>/purge_cache, perhaps your object
// identifier is invalid?": there is no zone with that id.
constexpr long kNoRoute = 7003;

constexpr const char* kTokenHint =
    "create an API token (My Profile → API Tokens) with Zone → Cache Purge → Purge and "
    "Zone → Zone → Read on the zone, set CLOUDFLARE_API_TOKEN and restart opsbot";
constexpr const char* kStatusHint =
    "Cloudflare's API may be degraded (https://www.cloudflarestatus.com); try again in a few "
    "minutes";

struct CloudflareError {
    long code = 0;
    std::string message;
};

std::string with_slash(std::string url) {
    if (url.empty() || url.back() != '/') url += '/';
    return url;
}

}  // namespace

std::string detail::where(const HttpRequest& request) {
    return request.method + " " + request.url;
}

namespace {

std::string tries(int attempts) {
    return std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

}  // namespace

HttpRequest detail::make_request(const CloudflareConfig& config, std::string method,
                                 std::string path) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = with_slash(config.api_url) + path;
    request.timeout = config.timeout;
    request.headers = {{"Authorization", "Bearer " + trim(config.api_token)}};
    return request;
}

namespace {

HttpRequest purge_request(const CloudflareConfig& config, const std::string& zone_id,
                          const json& body) {
    auto request =
        make_request(config, "POST", "zones/" + percent_encode(trim(zone_id)) + "/purge_cache");
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
    return request;
}

// errors[] with each error's error_chain after it, in order.
void collect_errors(const json& list, std::vector<CloudflareError>& out) {
    if (!list.is_array()) return;
    for (const auto& item : list) {
        if (!item.is_object()) continue;
        CloudflareError error;
        if (const auto code = item.find("code"); code != item.end() && code->is_number_integer())
            error.code = code->get<long>();
        error.message = string_field(item, "message");
        if (error.code != 0 || !error.message.empty()) out.push_back(std::move(error));
        if (const auto chain = item.find("error_chain"); chain != item.end())
            collect_errors(*chain, out);
    }
}

std::vector<CloudflareError> errors_of(const json& body) {
    std::vector<CloudflareError> errors;
    if (body.is_object())
        if (const auto list = body.find("errors"); list != body.end())
            collect_errors(*list, errors);
    return errors;
}

bool has_code(const std::vector<CloudflareError>& errors, long code) {
    return std::any_of(errors.begin(), errors.end(),
                       [code](const CloudflareError& e) { return e.code == code; });
}

bool is_auth_error(const std::vector<CloudflareError>& errors) {
    return std::any_of(std::begin(kAuthCodes), std::end(kAuthCodes),
                       [&](long code) { return has_code(errors, code); });
}

// "1012 Request must contain one of …; 1011 …": one line, without the token
// should Cloudflare ever echo it back.
std::string describe(const std::vector<CloudflareError>& errors, const CloudflareConfig& config) {
    std::string text;
    for (const auto& error : errors) {
        if (!text.empty()) text += "; ";
        if (error.code != 0) text += std::to_string(error.code);
        if (error.code != 0 && !error.message.empty()) text += " ";
        text += error.message;
    }
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    const std::string token = trim(config.api_token);
    if (!token.empty())
        for (auto at = text.find(token); at != std::string::npos; at = text.find(token))
            text.replace(at, token.size(), "[token]");
    return shorten(trim(text), kMaxDetail);
}

// ": 10000 Authentication error", or nothing when Cloudflare said nothing.
std::string says(const std::vector<CloudflareError>& errors, const CloudflareConfig& config) {
    const std::string text = describe(errors, config);
    return text.empty() ? std::string() : ": " + text;
}

// Whole seconds, capped; the default when absent or an HTTP date.
std::chrono::seconds retry_after(const HttpResponse& response) {
    const std::string text = trim(response.header("Retry-After"));
    long seconds = 0;
    const auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || failed != std::errc{} || end != text.data() + text.size() || seconds < 0)
        return kDefaultRetryAfter;
    return std::min(std::chrono::seconds(seconds), kMaxRetryAfter);
}

}  // namespace

Status detail::config_error(const CloudflareConfig& config) {
    if (trim(config.api_token).empty())
        return Error{"cloudflare_config",
                     "Cloudflare is not configured: CLOUDFLARE_API_TOKEN is not set", kTokenHint};
    if (trim(config.api_url).empty())
        return Error{"cloudflare_config",
                     "Cloudflare is not configured: CLOUDFLARE_API_URL is empty",
                     "leave CLOUDFLARE_API_URL unset for https://api.cloudflare.com/client/v4/, "
                     "then restart opsbot"};
    return success();
}

namespace {

Error auth_error(int status, const std::vector<CloudflareError>& errors,
                 const CloudflareConfig& config, const Call& call) {
    return Error{"cloudflare_auth",
                 "Cloudflare refused CLOUDFLARE_API_TOKEN (" + std::to_string(status) + ") for " +
                     call.what + says(errors, config),
                 kTokenHint};
}

Error no_answer(const Error& error, const HttpRequest& request, const CloudflareConfig& config) {
    return Error{"cloudflare_unavailable",
                 "Cloudflare did not answer " + where(request) + ": " + error.message,
                 "check the network and CLOUDFLARE_API_URL (" + with_slash(config.api_url) + "); " +
                     kStatusHint};
}

Error rate_limited(const HttpResponse& response, int attempts,
                   const std::vector<CloudflareError>& errors, const CloudflareConfig& config,
                   const Call& call) {
    std::string asks;
    if (!trim(response.header("Retry-After")).empty()) {
        const auto wait = retry_after(response).count();
        asks = "Cloudflare asks for " + std::to_string(wait) +
               (wait == 1 ? " second" : " seconds") + " more; ";
    }
    return Error{"cloudflare_rate_limited",
                 "Cloudflare is rate-limiting opsbot (429) for " + call.what + " after " +
                     tries(attempts) + says(errors, config),
                 asks +
                     "Cloudflare allows 1,200 API calls in five minutes per user, and fewer "
                     "purges (5 a minute on the Free plan), then blocks calls for a while: wait "
                     "a few minutes and try again"};
}

// The envelope's result when success is true; otherwise the error the
// status and Cloudflare's errors[] say.
Result<json> read_envelope(const HttpResponse& response, const HttpRequest& request,
                           const CloudflareConfig& config, const Call& call) {
    const auto body = json::parse(response.body, nullptr, false);
    const bool envelope = !body.is_discarded() && body.is_object();
    const auto errors = envelope ? errors_of(body) : std::vector<CloudflareError>{};
    const int status = response.status;
    if (status == 401 || status == 403 || is_auth_error(errors))
        return auth_error(status, errors, config, call);
    if (status >= 500)
        return Error{"cloudflare_unavailable",
                     "Cloudflare is unavailable: it answered " + status_text(status) + " to " +
                         where(request) + says(errors, config),
                     kStatusHint};
    if (has_code(errors, kNoRoute))
        return Error{"cloudflare_zone_not_found",
                     "Cloudflare has no zone at " + where(request) + says(errors, config),
                     "check cloudflare_zone: in the catalogue: it is the 32-character Zone ID "
                     "from the zone's Overview page, not the domain"};
    if (!envelope) {
        const auto first = response.body.find_first_not_of(" \t\r\n");
        const bool html = first != std::string::npos && response.body[first] == '<';
        return Error{
            "bad_response",
            "Cloudflare answered " + std::to_string(status) + " to " + where(request) +
                (html ? " with HTML where JSON was expected" : " with JSON that could not be read"),
            "check that CLOUDFLARE_API_URL is Cloudflare's v4 API "
            "(https://api.cloudflare.com/client/v4/) and that no proxy answers for it"};
    }
    const auto success = body.find("success");
    if (success == body.end() || !success->is_boolean())
        return Error{"bad_response",
                     "Cloudflare answered " + std::to_string(status) + " to " + where(request) +
                         " without its success flag",
                     "check that CLOUDFLARE_API_URL is Cloudflare's v4 API "
                     "(https://api.cloudflare.com/client/v4/)"};
    if (!success->get<bool>())
        return Error{"cloudflare_error",
                     "Cloudflare refused " + call.what +
                         (errors.empty() ? " (" + std::to_string(status) + ", no reason given)"
                                         : says(errors, config)),
                     call.hint};
    if (status < 200 || status >= 300)
        return Error{"bad_response",
                     "Cloudflare answered " + std::to_string(status) + " to " + where(request),
                     "check CLOUDFLARE_API_URL"};
    const auto result = body.find("result");
    return result == body.end() ? json(nullptr) : *result;
}

}  // namespace

// One call: a 429 waited out (Retry-After, capped) and retried up to
// max_rate_limit_retries times; nothing else is retried, since Cloudflare
// rarely fails and a person reads the error.
Result<json> detail::send(HttpClient& http, const CloudflareConfig& config,
                          const HttpRequest& request, const Call& call) {
    const int retries = std::max(config.max_rate_limit_retries, 0);
    for (int attempt = 1;; ++attempt) {
        const auto response = http.send(request);
        if (!response.ok()) return no_answer(response.error(), request, config);
        const auto& answer = response.value();
        if (answer.status != 429) return read_envelope(answer, request, config, call);
        if (attempt > retries) {
            const auto body = json::parse(answer.body, nullptr, false);
            return rate_limited(answer, attempt, errors_of(body), config, call);
        }
        const auto wait = retry_after(answer);
        spdlog::warn("cloudflare: 429 for {}: waiting {} s (Retry-After), retry {} of {}",
                     where(request), wait.count(), attempt, retries);
        std::this_thread::sleep_for(wait);
    }
}

namespace {

Result<std::string> purge_id(const json& result, const HttpRequest& request) {
    if (auto id = string_field(result, "id"); !id.empty()) return id;
    return Error{"bad_response", "Cloudflare accepted " + where(request) + " but sent no result id",
                 "check that CLOUDFLARE_API_URL is Cloudflare's v4 API "
                 "(https://api.cloudflare.com/client/v4/)"};
}

// "example.com." or " Example.COM" → "example.com": zone names are lowercase, without the root dot.
std::string zone_name(const std::string& domain) {
    std::string name = to_lower(trim(domain));
    while (!name.empty() && name.back() == '.') name.pop_back();
    return name;
}

}  // namespace

std::optional<Error> detail::zone_id_missing(const std::string& zone_id) {
    // An empty id would make the URL zones//purge_cache; never sent.
    if (!trim(zone_id).empty()) return std::nullopt;
    return Error{"cloudflare_zone_not_found", "no Cloudflare zone id was given",
                 "set cloudflare_zone: in the catalogue to the zone's 32-character Zone ID, or "
                 "leave it out to look the zone up by domain"};
}

namespace {

constexpr const char* kPurgeHint =
    "purge URLs must be full URLs (https://…) on this zone's hostnames; Cloudflare's message "
    "says what it refused";

}  // namespace

HttpRequest zone_lookup_request(const CloudflareConfig& config, const std::string& domain) {
    // name= is an exact match by default; one zone per name per account.
    return make_request(config, "GET", "zones?name=" + percent_encode(zone_name(domain)));
}

HttpRequest purge_everything_request(const CloudflareConfig& config, const std::string& zone_id) {
    return purge_request(config, zone_id, {{"purge_everything", true}});
}

std::vector<HttpRequest> purge_files_requests(const CloudflareConfig& config,
                                              const std::string& zone_id,
                                              const std::vector<std::string>& urls) {
    std::vector<HttpRequest> requests;
    for (std::size_t start = 0; start < urls.size(); start += kMaxUrlsPerPurge) {
        const auto end = std::min(start + kMaxUrlsPerPurge, urls.size());
        json files = json::array();
        for (auto i = start; i < end; ++i) files.push_back(urls[i]);
        requests.push_back(purge_request(config, zone_id, {{"files", std::move(files)}}));
    }
    return requests;
}

CloudflareClient::CloudflareClient(HttpClient& http, CloudflareConfig config)
    : http_(http), config_(std::move(config)) {}

Result<std::string> CloudflareClient::find_zone(const std::string& domain) {
    if (auto configured = config_error(config_); !configured.ok()) return configured.error();
    const std::string name = zone_name(domain);
    const std::string catalogue_hint =
        "add cloudflare_zone: <Zone ID> to the project in the catalogue, or give "
        "CLOUDFLARE_API_TOKEN the Zone → Zone → Read permission on the zone; a zone is the "
        "registered domain (example.com, not www.example.com)";
    if (name.empty())
        return Error{"cloudflare_zone_not_found", "no domain was given to find a Cloudflare zone",
                     catalogue_hint};
    const auto request = zone_lookup_request(config_, name);
    const auto result = send(http_, config_, request,
                             {"the zone lookup for " + name,
                              "check the domain in the catalogue and CLOUDFLARE_API_URL"});
    if (!result.ok()) return result.error();
    if (!result.value().is_array())
        return Error{"bad_response", "Cloudflare sent no zone list for " + where(request),
                     "check that CLOUDFLARE_API_URL is Cloudflare's v4 API "
                     "(https://api.cloudflare.com/client/v4/)"};
    for (const auto& zone : result.value()) {
        if (!zone.is_object()) continue;
        const auto zone_name_it = zone.find("name");
        const auto id = zone.find("id");
        if (zone_name_it == zone.end() || !zone_name_it->is_string() || id == zone.end() ||
            !id->is_string() || id->get<std::string>().empty())
            continue;
        if (to_lower(zone_name_it->get<std::string>()) == name) return id->get<std::string>();
    }
    // A token without Zone:Read on the zone sees an empty list, not a 403.
    return Error{"cloudflare_zone_not_found",
                 "Cloudflare has no zone " + name + " that CLOUDFLARE_API_TOKEN can see",
                 catalogue_hint};
}

Result<std::string> CloudflareClient::purge_everything(const std::string& zone_id) {
    if (auto configured = config_error(config_); !configured.ok()) return configured.error();
    if (auto missing = zone_id_missing(zone_id)) return *missing;
    const auto request = purge_everything_request(config_, zone_id);
    const auto result = send(http_, config_, request, {"the purge", kPurgeHint});
    if (!result.ok()) return result.error();
    return purge_id(result.value(), request);
}

Result<std::string> CloudflareClient::purge_files(const std::string& zone_id,
                                                  const std::vector<std::string>& urls) {
    if (auto configured = config_error(config_); !configured.ok()) return configured.error();
    if (auto missing = zone_id_missing(zone_id)) return *missing;
    const auto requests = purge_files_requests(config_, zone_id, urls);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto result = send(http_, config_, requests[i], {"the purge", kPurgeHint});
        auto id = result.ok() ? purge_id(result.value(), requests[i])
                              : Result<std::string>(result.error());
        if (!id.ok()) {
            Error error = id.error();
            // Earlier calls went through: say so, or the user purges them again blind.
            if (requests.size() > 1)
                error.message += " (call " + std::to_string(i + 1) + " of " +
                                 std::to_string(requests.size()) + "; " +
                                 std::to_string(i * kMaxUrlsPerPurge) + " of " +
                                 std::to_string(urls.size()) + " URLs were purged before it)";
            return error;
        }
        ids.push_back(std::move(id).value());
    }
    return join(ids, ",");
}

Result<std::string> CloudflareClient::verify_token() {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    const auto request = detail::make_request(config_, "GET", "user/tokens/verify");
    const auto result =
        detail::send(http_, config_, request,
                     detail::Call{"the token check",
                                  "create an API token in Cloudflare (My Profile → API "
                                  "Tokens) and set CLOUDFLARE_API_TOKEN"});
    if (!result.ok()) return result.error();
    const std::string status =
        result.value().is_object() ? result.value().value("status", "") : std::string();
    if (status != "active")
        return Error{"cloudflare_auth",
                     "Cloudflare says CLOUDFLARE_API_TOKEN is " +
                         (status.empty() ? std::string("not active") : status),
                     "create a new API token and set CLOUDFLARE_API_TOKEN"};
    return status;
}

}  // namespace opsbot::cloudflare
