#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/cloudflare/cloudflare_envelope.hpp"
#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::cloudflare {
namespace {

using detail::Call;
using nlohmann::json;

// Cloudflare's refusals of a duplicate: 81053 "An A, AAAA, or CNAME record with
// that host already exists." and 81057 "The record already exists."
constexpr const char* kExistsCodes[] = {"81053", "81057"};

constexpr const char* kDnsHint =
    "check the record against the zone's DNS page in the Cloudflare dashboard; the token needs "
    "Zone → DNS → Edit on the zone";
constexpr const char* kApiHint =
    "check that CLOUDFLARE_API_URL is Cloudflare's v4 API (https://api.cloudflare.com/client/v4/)";

std::string to_upper(std::string text) {
    for (auto& c : text)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return text;
}

// "Direct.Example.com." → "direct.example.com", as Cloudflare stores names.
std::string record_name(const std::string& name) {
    std::string out = to_lower(trim(name));
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

std::string records_path(const std::string& zone_id) {
    return "zones/" + percent_encode(trim(zone_id)) + "/dns_records";
}

std::optional<DnsRecord> record_from(const json& item) {
    if (!item.is_object()) return std::nullopt;
    DnsRecord record;
    record.id = string_field(item, "id");
    record.type = string_field(item, "type");
    record.name = string_field(item, "name");
    record.content = string_field(item, "content");
    const auto proxied = item.find("proxied");
    record.proxied = proxied != item.end() && proxied->is_boolean() && proxied->get<bool>();
    if (record.id.empty() || record.type.empty() || record.name.empty()) return std::nullopt;
    return record;
}

bool is_duplicate(const Error& error) {
    if (error.code != "cloudflare_error") return false;
    for (const char* code : kExistsCodes)
        if (error.message.find(code) != std::string::npos) return true;
    return false;
}

}  // namespace

HttpRequest dns_list_request(const CloudflareConfig& config, const std::string& zone_id,
                             const std::string& name) {
    // name= is an exact match; one page of 100 is more than one name ever has.
    return detail::make_request(
        config, "GET",
        records_path(zone_id) + "?name=" + percent_encode(record_name(name)) + "&per_page=100");
}

HttpRequest dns_create_request(const CloudflareConfig& config, const std::string& zone_id,
                               const DnsRecord& record) {
    auto request = detail::make_request(config, "POST", records_path(zone_id));
    request.headers.emplace_back("Content-Type", "application/json");
    const json body{{"type", to_upper(trim(record.type))},
                    {"name", record_name(record.name)},
                    {"content", trim(record.content)},
                    {"proxied", record.proxied},
                    {"ttl", 1}};
    request.body = body.dump();
    return request;
}

HttpRequest dns_update_request(const CloudflareConfig& config, const std::string& zone_id,
                               const DnsRecord& record) {
    auto request = detail::make_request(
        config, "PATCH", records_path(zone_id) + "/" + percent_encode(trim(record.id)));
    request.headers.emplace_back("Content-Type", "application/json");
    const json body{{"type", to_upper(trim(record.type))},
                    {"name", record_name(record.name)},
                    {"content", trim(record.content)},
                    {"proxied", record.proxied}};
    request.body = body.dump();
    return request;
}

Result<std::vector<DnsRecord>> CloudflareClient::find_records(const std::string& zone_id,
                                                              const std::string& name) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto missing = detail::zone_id_missing(zone_id)) return *missing;
    const std::string wanted = record_name(name);
    if (wanted.empty())
        return Error{"cloudflare_dns_invalid", "no DNS record name was given",
                     "give the full name, e.g. direct.example.com"};
    const auto request = dns_list_request(config_, zone_id, wanted);
    const auto result =
        detail::send(http_, config_, request, Call{"the DNS lookup for " + wanted, kDnsHint});
    if (!result.ok()) return result.error();
    if (!result.value().is_array())
        return Error{"bad_response", "Cloudflare sent no record list for " + detail::where(request),
                     kApiHint};
    std::vector<DnsRecord> records;
    for (const auto& item : result.value()) {
        auto record = record_from(item);
        // The filter is Cloudflare's; checking again costs nothing.
        if (record && record_name(record->name) == wanted) records.push_back(std::move(*record));
    }
    return records;
}

Result<DnsRecord> CloudflareClient::create_record(const std::string& zone_id,
                                                  const DnsRecord& record) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto missing = detail::zone_id_missing(zone_id)) return *missing;
    if (trim(record.type).empty() || record_name(record.name).empty() ||
        trim(record.content).empty())
        return Error{"cloudflare_dns_invalid",
                     "a DNS record needs a type, a name and a content (got '" + record.type +
                         "', '" + record.name + "', '" + record.content + "')",
                     "e.g. A example.com 203.0.113.10"};
    const std::string label = to_upper(trim(record.type)) + " record " + record_name(record.name);
    const auto request = dns_create_request(config_, zone_id, record);
    const auto result = detail::send(http_, config_, request, Call{"the " + label, kDnsHint});
    if (!result.ok()) {
        Error error = result.error();
        if (is_duplicate(error)) {
            error.code = "cloudflare_record_exists";
            error.hint =
                "the zone already has a record with that name: look it up first and "
                "keep it, or delete it in the Cloudflare dashboard";
        }
        return error;
    }
    auto created = record_from(result.value());
    if (!created)
        return Error{"bad_response",
                     "Cloudflare accepted " + detail::where(request) + " but sent no record",
                     kApiHint};
    return std::move(*created);
}

Result<DnsRecord> CloudflareClient::update_record(const std::string& zone_id,
                                                  const DnsRecord& record) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    if (auto missing = detail::zone_id_missing(zone_id)) return *missing;
    if (trim(record.id).empty() || trim(record.content).empty())
        return Error{"cloudflare_dns_invalid",
                     "a DNS record update needs the record's id and its new content (got '" +
                         record.id + "', '" + record.content + "')",
                     "look the record up first (find_records)"};
    const std::string label = to_upper(trim(record.type)) + " record " + record_name(record.name);
    const auto request = dns_update_request(config_, zone_id, record);
    const auto result =
        detail::send(http_, config_, request, Call{"the update of the " + label, kDnsHint});
    if (!result.ok()) return result.error();
    auto updated = record_from(result.value());
    if (!updated)
        return Error{"bad_response",
                     "Cloudflare accepted " + detail::where(request) + " but sent no record",
                     kApiHint};
    return std::move(*updated);
}

}  // namespace opsbot::cloudflare
