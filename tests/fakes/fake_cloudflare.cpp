#include "tests/fakes/fake_cloudflare.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/encoding.hpp"
#include "core/http.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::test {
namespace {

using json = nlohmann::json;

constexpr const char* kApiPrefix = "/client/v4/";

json error_item(int code, const std::string& message) {
    return {{"code", code}, {"message", message}};
}

// Cloudflare's envelope around a failure.
FakeResponse refusal(int status, json errors) {
    const json body{{"success", false},
                    {"errors", std::move(errors)},
                    {"messages", json::array()},
                    {"result", nullptr}};
    return FakeResponse{status, body.dump(), "application/json", {}};
}

FakeResponse refusal(int status, int code, const std::string& message) {
    return refusal(status, json::array({error_item(code, message)}));
}

FakeResponse ok(json result, json result_info = nullptr) {
    json body{{"success", true},
              {"errors", json::array()},
              {"messages", json::array()},
              {"result", std::move(result)}};
    if (!result_info.is_null()) body["result_info"] = std::move(result_info);
    return FakeResponse{200, body.dump(), "application/json", {}};
}

// What Cloudflare's edge answers when the API behind it fails.
FakeResponse gateway_error(int status) {
    const std::string text = status_text(status);
    return FakeResponse{status,
                        "<!DOCTYPE html>\n<html>\n<head><title>" + text +
                            "</title></head>\n<body>\n<center><h1>" + text +
                            "</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n",
                        "text/html",
                        {}};
}

FakeResponse failure(int status) {
    if (status >= 500) return gateway_error(status);
    if (status == 401 || status == 403) return refusal(status, 10000, "Authentication error");
    if (status == 404) return refusal(status, 7003, "Could not route to the requested resource");
    return refusal(status, 1000, "Request failed");
}

FakeResponse no_route(const std::string& path) {
    return refusal(400, json::array({error_item(7003, "Could not route to " + path +
                                                          ", perhaps your object identifier is "
                                                          "invalid?"),
                                     error_item(7000, "No route for that URI")}));
}

// "…?name=example.com&status=active" → {name: example.com, status: active}
std::map<std::string, std::string> query_of(const RecordedRequest& request) {
    const auto q = request.target.find('?');
    if (q == std::string::npos) return {};
    return parse_form(std::string_view(request.target).substr(q + 1));
}

// "Bearer " and a token of the characters Cloudflare's tokens are made of.
bool well_formed(const std::string& authorization) {
    const std::string prefix = "Bearer ";
    if (authorization.rfind(prefix, 0) != 0 || authorization.size() == prefix.size()) return false;
    return std::all_of(
        authorization.begin() + static_cast<long>(prefix.size()), authorization.end(),
        [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

bool purge_key_given(const json& body, const char* key) {
    const auto it = body.find(key);
    return it != body.end() && it->is_array() && !it->empty();
}

// "Direct.Example.com." → "direct.example.com", as Cloudflare stores names.
std::string dns_name(const std::string& name) {
    std::string out = to_lower(trim(name));
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

bool address_type(const std::string& type) {
    return type == "A" || type == "AAAA" || type == "CNAME";
}

json record_json(const FakeCloudflareRecord& record) {
    return {{"id", record.id},
            {"zone_id", record.zone_id},
            {"zone_name", ""},
            {"type", record.type},
            {"name", record.name},
            {"content", record.content},
            {"proxiable", address_type(record.type)},
            {"proxied", record.proxied},
            {"ttl", record.ttl},
            {"locked", false},
            {"meta", {{"auto_added", false}, {"managed_by_apps", false}}},
            {"comment", nullptr},
            {"tags", json::array()},
            {"created_on", "2024-01-15T09:30:00.000000Z"},
            {"modified_on", "2024-01-15T09:30:00.000000Z"}};
}

}  // namespace

FakeCloudflare::FakeCloudflare() {
    server_.route("*", "/", [this](const RecordedRequest& request) { return handle(request); });
}

std::string FakeCloudflare::base_url() const {
    return server_.base_url();
}

cloudflare::CloudflareConfig FakeCloudflare::client_config() const {
    cloudflare::CloudflareConfig config;
    config.api_url = api_url();
    config.api_token = kToken;
    config.max_rate_limit_retries = 3;
    config.timeout = std::chrono::seconds(5);
    return config;
}

std::string FakeCloudflare::api_url() const {
    return server_.base_url() + kApiPrefix;
}

void FakeCloudflare::add_zone(const std::string& id, const std::string& name,
                              const std::string& status) {
    std::lock_guard lock(mutex_);
    zones_[id] = Zone{name, status};
}

std::string FakeCloudflare::add_record(const std::string& zone_id, const std::string& type,
                                       const std::string& name, const std::string& content,
                                       bool proxied) {
    std::lock_guard lock(mutex_);
    FakeCloudflareRecord record{next_record_id(), zone_id, type, dns_name(name),
                                content,          proxied, 1};
    records_.push_back(record);
    return record.id;
}

std::vector<FakeCloudflareRecord> FakeCloudflare::records(const std::string& zone_id) const {
    std::lock_guard lock(mutex_);
    std::vector<FakeCloudflareRecord> out;
    for (const auto& record : records_)
        if (record.zone_id == zone_id) out.push_back(record);
    return out;
}

std::string FakeCloudflare::next_record_id() {
    // 32 hex digits that differ from one record to the next, reproducibly.
    ++record_counter_;
    const unsigned long long a = record_counter_ * 0x9E3779B97F4A7C15ULL;
    const unsigned long long b = (record_counter_ + 7) * 0xBF58476D1CE4E5B9ULL;
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", a, b);
    return text;
}

std::vector<FakeCloudflarePurge> FakeCloudflare::purges() const {
    std::lock_guard lock(mutex_);
    return purges_;
}

void FakeCloudflare::rate_limit_next(int count, int retry_after_seconds) {
    std::lock_guard lock(mutex_);
    rate_limits_left_ = count;
    retry_after_ = retry_after_seconds;
}

void FakeCloudflare::fail_next(int count, int status) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
    failure_status_ = status;
}

void FakeCloudflare::fail_next_with_error(int code, std::string message, int status, int after) {
    std::lock_guard lock(mutex_);
    errors_next_.push_back(ErrorNext{code, std::move(message), status, after});
}

// ---- HTTP ----------------------------------------------------------------

FakeResponse FakeCloudflare::handle(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    const std::string path = request.path();
    const auto parts = split(path, '/');
    const bool purge_path = parts.size() == 5 && parts[0] == "client" && parts[1] == "v4" &&
                            parts[2] == "zones" && parts[4] == "purge_cache";
    if (!purge_path || request.method != "POST") return answer(request);
    FakeCloudflarePurge record;
    record.request = request;
    record.zone_id = percent_decode(parts[3], false);
    record.body = json::parse(request.body, nullptr, false);
    auto response = answer(request);
    if (response.status == 0) response = purge(request, record);
    record.answered = response.status;
    purges_.push_back(std::move(record));
    return response;
}

// The failure modes and the token; status 0 lets a purge through to purge().
FakeResponse FakeCloudflare::answer(const RecordedRequest& request) {
    if (rate_limits_left_ > 0) {
        --rate_limits_left_;
        auto response = refusal(429, 971, "Please wait and consider throttling your request speed");
        response.headers.emplace_back("Retry-After", std::to_string(retry_after_));
        return response;
    }
    if (failures_left_ > 0) {
        --failures_left_;
        return failure(failure_status_);
    }
    const std::string authorization = request.header("Authorization");
    if (!well_formed(authorization))
        return refusal(
            400, json::array(
                     {{{"code", 6003},
                       {"message", "Invalid request headers"},
                       {"error_chain", json::array({error_item(6111,
                                                               "Invalid format for Authorization "
                                                               "header")})}}}));
    if (authorization != std::string("Bearer ") + kToken)
        return refusal(403, 10000, "Authentication error");
    if (!errors_next_.empty() && errors_next_.front().after > 0) {
        --errors_next_.front().after;
    } else if (!errors_next_.empty()) {
        const auto next = errors_next_.front();
        errors_next_.erase(errors_next_.begin());
        return refusal(next.status, next.code, next.message);
    }
    const std::string path = request.path();
    if (path == std::string(kApiPrefix) + "zones" && request.method == "GET")
        return list_zones(request);
    if (path == std::string(kApiPrefix) + "user/tokens/verify" && request.method == "GET")
        return ok({{"id", "ed17574386854bf78a67040be0a770b0"},
                   {"status", "active"},
                   {"not_before", nullptr},
                   {"expires_on", nullptr}});
    if (request.method == "POST" && path.rfind(std::string(kApiPrefix) + "zones/", 0) == 0 &&
        path.size() > 12 && path.compare(path.size() - 12, 12, "/purge_cache") == 0)
        return FakeResponse{0, "", "", {}};
    const auto parts = split(path, '/');
    if (parts.size() == 5 && parts[2] == "zones" && parts[4] == "dns_records" &&
        (request.method == "GET" || request.method == "POST"))
        return dns(request, percent_decode(parts[3], false));
    if (parts.size() == 6 && parts[2] == "zones" && parts[4] == "dns_records" &&
        request.method == "PATCH")
        return update_record(request, percent_decode(parts[3], false),
                             percent_decode(parts[5], false));
    return no_route(path);
}

FakeResponse FakeCloudflare::dns(const RecordedRequest& request, const std::string& zone_id) {
    if (zones_.find(zone_id) == zones_.end()) return no_route(request.path());
    if (request.method == "GET") return list_records(request, zone_id);
    return create_record(request, zone_id);
}

FakeResponse FakeCloudflare::list_records(const RecordedRequest& request,
                                          const std::string& zone_id) const {
    const auto query = query_of(request);
    const auto name = query.find("name");
    const auto type = query.find("type");
    json result = json::array();
    for (const auto& record : records_) {
        if (record.zone_id != zone_id) continue;
        if (name != query.end() && dns_name(name->second) != record.name) continue;
        if (type != query.end() && type->second != record.type) continue;
        result.push_back(record_json(record));
    }
    const auto count = result.size();
    return ok(std::move(result), {{"page", 1},
                                  {"per_page", 100},
                                  {"total_pages", count == 0 ? 0 : 1},
                                  {"count", count},
                                  {"total_count", count}});
}

FakeResponse FakeCloudflare::create_record(const RecordedRequest& request,
                                           const std::string& zone_id) {
    const auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return refusal(400, 9207, "Request body is invalid.");
    FakeCloudflareRecord record;
    record.zone_id = zone_id;
    record.type = string_field(body, "type");
    record.name = dns_name(string_field(body, "name"));
    record.content = string_field(body, "content");
    if (const auto proxied = body.find("proxied"); proxied != body.end() && proxied->is_boolean())
        record.proxied = proxied->get<bool>();
    if (const auto ttl = body.find("ttl"); ttl != body.end() && ttl->is_number_integer())
        record.ttl = ttl->get<int>();
    if (record.type.empty()) return refusal(400, 9000, "DNS record type is invalid.");
    if (record.name.empty())
        return refusal(400, 9005, "DNS record name is required.");  // code not documented
    if (record.content.empty()) return refusal(400, 9006, "DNS record content is required.");
    if (record.proxied && !address_type(record.type))
        return refusal(400, 9004, "This record type cannot be proxied.");
    for (const auto& other : records_) {
        if (other.zone_id != zone_id || other.name != record.name) continue;
        if (other.type == record.type && other.content == record.content)
            return refusal(400, 81057, "Record already exists.");
        // A CNAME shares its name with nothing else among A, AAAA and CNAME.
        if (address_type(record.type) && address_type(other.type) &&
            (record.type == "CNAME" || other.type == "CNAME"))
            return refusal(400, 81053,
                           "An A, AAAA, or CNAME record with that host already exists.");
    }
    record.id = next_record_id();
    records_.push_back(record);
    return ok(record_json(record));
}

FakeResponse FakeCloudflare::update_record(const RecordedRequest& request,
                                           const std::string& zone_id, const std::string& id) {
    const auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return refusal(400, 9207, "Request body is invalid.");
    for (auto& record : records_) {
        if (record.zone_id != zone_id || record.id != id) continue;
        if (const auto content = body.find("content");
            content != body.end() && content->is_string())
            record.content = content->get<std::string>();
        if (const auto proxied = body.find("proxied");
            proxied != body.end() && proxied->is_boolean())
            record.proxied = proxied->get<bool>();
        return ok(record_json(record));
    }
    return refusal(404, 81044, "Record does not exist.");
}

FakeResponse FakeCloudflare::list_zones(const RecordedRequest& request) const {
    const auto query = query_of(request);
    const auto name = query.find("name");
    const auto status = query.find("status");
    json result = json::array();
    for (const auto& [id, zone] : zones_) {
        // name= is an exact, case-insensitive match unless an operator prefix is given.
        if (name != query.end() && to_lower(name->second) != to_lower(zone.name)) continue;
        if (status != query.end() && status->second != zone.status) continue;
        result.push_back(zone_json(id, zone));
    }
    const auto count = result.size();
    return ok(std::move(result), {{"page", 1},
                                  {"per_page", 20},
                                  {"total_pages", count == 0 ? 0 : 1},
                                  {"count", count},
                                  {"total_count", count}});
}

FakeResponse FakeCloudflare::purge(const RecordedRequest& request, FakeCloudflarePurge& record) {
    if (zones_.find(record.zone_id) == zones_.end()) return no_route(request.path());
    const json& body = record.body;
    if (body.is_discarded() || !body.is_object())
        return refusal(400, 6007, "Malformed JSON in request body");
    if (const auto everything = body.find("purge_everything");
        everything != body.end() && everything->is_boolean() && everything->get<bool>())
        return ok({{"id", record.zone_id}});
    if (purge_key_given(body, "files")) {
        const auto& files = body["files"];
        if (files.size() > kMaxFiles)
            // Cloudflare's exact code and text for this are not documented.
            return refusal(400, 1011,
                           "Too many files: no more than " + std::to_string(kMaxFiles) +
                               " files can be purged in one request");
        for (const auto& file : files) {
            // A URL, or {"url": …, "headers": {…}} for a custom cache key.
            const bool url = file.is_string() ||
                             (file.is_object() && file.contains("url") && file["url"].is_string());
            if (!url) return refusal(400, 1012, "Invalid file entry: " + file.dump());
        }
        return ok({{"id", record.zone_id}});
    }
    if (purge_key_given(body, "tags") || purge_key_given(body, "hosts") ||
        purge_key_given(body, "prefixes"))
        return ok({{"id", record.zone_id}});
    return refusal(400, 1012,
                   "Request must contain one of \"purge_everything\", \"files\", \"tags\", "
                   "\"hosts\" or \"prefixes\"");
}

json FakeCloudflare::zone_json(const std::string& id, const Zone& zone) const {
    return {{"id", id},
            {"name", zone.name},
            {"status", zone.status},
            {"paused", false},
            {"type", "full"},
            {"development_mode", 0},
            {"name_servers", json::array({"ada.ns.cloudflare.com", "bob.ns.cloudflare.com"})},
            {"original_name_servers", json::array({"ns1.example-registrar.com"})},
            {"created_on", "2024-01-15T09:30:00.000000Z"},
            {"modified_on", "2024-01-15T09:45:00.000000Z"},
            {"activated_on", "2024-01-15T09:45:00.000000Z"},
            {"account", {{"id", "01a7362d577a6c3019a474fd6f485823"}, {"name", "Agency"}}},
            {"owner", {{"id", nullptr}, {"type", "user"}, {"email", nullptr}}},
            {"permissions", json::array({"#zone:read", "#cache_purge:edit"})},
            {"plan",
             {{"id", "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee"},
              {"name", "Free Website"},
              {"price", 0},
              {"currency", "USD"},
              {"frequency", ""},
              {"is_subscribed", false},
              {"can_subscribe", false},
              {"legacy_id", "free"},
              {"legacy_discount", false},
              {"externally_managed", false}}}};
}

}  // namespace opsbot::test
