#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/http/curl_http_client.hpp"
#include "tests/fakes/fake_cloudflare.hpp"

using opsbot::CurlHttpClient;
using opsbot::describe_request;
using opsbot::cloudflare::CloudflareClient;
using opsbot::cloudflare::CloudflareConfig;
using opsbot::cloudflare::dns_create_request;
using opsbot::cloudflare::dns_list_request;
using opsbot::cloudflare::DnsRecord;
using opsbot::test::FakeCloudflare;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kZone = "023e105f4ecef8ad9ca31a8372d0c353";
constexpr const char* kOtherZone = "9a7806061c88ada191ed06f989cc3dac";
constexpr const char* kRecordsPath =
    "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records";

struct Cloudflare {
    FakeCloudflare fake;
    CurlHttpClient http;
    CloudflareClient client{http, fake.client_config()};

    Cloudflare() {
        fake.add_zone(kZone, "example.com");
        fake.add_zone(kOtherZone, "example.org");
    }
};

bool has_header(const opsbot::HttpRequest& request, const std::string& name,
                const std::string& value) {
    for (const auto& [key, text] : request.headers)
        if (key == name && text == value) return true;
    return false;
}

DnsRecord record(std::string type, std::string name, std::string content, bool proxied) {
    DnsRecord out;
    out.type = std::move(type);
    out.name = std::move(name);
    out.content = std::move(content);
    out.proxied = proxied;
    return out;
}

}  // namespace

TEST_CASE("cloudflare dns: the requests are what Cloudflare documents", "[cloudflare][dns]") {
    CloudflareConfig config;
    config.api_url = "https://api.cloudflare.com/client/v4";
    config.api_token = "secret-token";

    const auto list = dns_list_request(config, kZone, "Direct.Example.com.");
    CHECK(list.method == "GET");
    CHECK(list.url == std::string("https://api.cloudflare.com/client/v4/zones/") + kZone +
                          "/dns_records?name=direct.example.com&per_page=100");

    const auto create =
        dns_create_request(config, kZone, record("a", " example.com ", "203.0.113.10", true));
    CHECK(create.method == "POST");
    CHECK(create.url ==
          std::string("https://api.cloudflare.com/client/v4/zones/") + kZone + "/dns_records");
    CHECK(has_header(create, "Content-Type", "application/json"));
    CHECK(json::parse(create.body) == json{{"type", "A"},
                                           {"name", "example.com"},
                                           {"content", "203.0.113.10"},
                                           {"proxied", true},
                                           {"ttl", 1}});
    // Dry runs show the request without the token.
    CHECK(describe_request(create).find("secret-token") == std::string::npos);
}

TEST_CASE("cloudflare dns: find_records returns the zone's records of that name",
          "[cloudflare][dns]") {
    Cloudflare cf;
    const auto id = cf.fake.add_record(kZone, "A", "example.com", "203.0.113.10", true);
    cf.fake.add_record(kZone, "CNAME", "www.example.com", "example.com", true);
    cf.fake.add_record(kOtherZone, "A", "example.com", "198.51.100.1");

    const auto found = cf.client.find_records(kZone, "Example.COM.");
    REQUIRE(found.ok());
    REQUIRE(found.value().size() == 1);
    CHECK(found.value()[0].id == id);
    CHECK(found.value()[0].type == "A");
    CHECK(found.value()[0].name == "example.com");
    CHECK(found.value()[0].content == "203.0.113.10");
    CHECK(found.value()[0].proxied);

    const auto none = cf.client.find_records(kZone, "direct.example.com");
    REQUIRE(none.ok());
    CHECK(none.value().empty());

    const auto requests = cf.fake.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].method == "GET");
    CHECK(requests[0].path() == kRecordsPath);
    CHECK(requests[0].header("Authorization") == std::string("Bearer ") + FakeCloudflare::kToken);
}

TEST_CASE("cloudflare dns: create_record creates it and returns its id", "[cloudflare][dns]") {
    Cloudflare cf;
    const auto created =
        cf.client.create_record(kZone, record("A", "example.com", "203.0.113.10", true));
    REQUIRE(created.ok());
    CHECK(created.value().id.size() == 32);
    CHECK(created.value().type == "A");
    CHECK(created.value().name == "example.com");
    CHECK(created.value().proxied);

    const auto direct = cf.client.create_record(
        kZone, record("CNAME", "direct.example.com", "srv1.agency.net", false));
    REQUIRE(direct.ok());
    CHECK(direct.value().id != created.value().id);
    CHECK_FALSE(direct.value().proxied);

    const auto stored = cf.fake.records(kZone);
    REQUIRE(stored.size() == 2);
    CHECK(stored[0].id == created.value().id);
    CHECK(stored[0].ttl == 1);
    CHECK(stored[1].content == "srv1.agency.net");
    CHECK(cf.fake.records(kOtherZone).empty());

    // Looking again finds what was created: the second run of /newproject skips it.
    const auto found = cf.client.find_records(kZone, "direct.example.com");
    REQUIRE(found.ok());
    REQUIRE(found.value().size() == 1);
    CHECK(found.value()[0].id == direct.value().id);
}

TEST_CASE("cloudflare dns: a duplicate is cloudflare_record_exists with Cloudflare's code",
          "[cloudflare][dns]") {
    Cloudflare cf;
    cf.fake.add_record(kZone, "A", "example.com", "203.0.113.10", true);

    SECTION("the same record again: 81057") {
        const auto again =
            cf.client.create_record(kZone, record("A", "example.com", "203.0.113.10", true));
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().code == "cloudflare_record_exists");
        CHECK(again.error().message.find("81057") != std::string::npos);
        CHECK(again.error().message.find("A record example.com") != std::string::npos);
    }
    SECTION("a CNAME where an A is: 81053") {
        const auto clash =
            cf.client.create_record(kZone, record("CNAME", "example.com", "other.net", false));
        REQUIRE_FALSE(clash.ok());
        CHECK(clash.error().code == "cloudflare_record_exists");
        CHECK(clash.error().message.find("81053") != std::string::npos);
    }
    CHECK(cf.fake.records(kZone).size() == 1);
}

TEST_CASE("cloudflare dns: errors map as for the other calls", "[cloudflare][dns]") {
    Cloudflare cf;

    SECTION("unknown zone") {
        const auto found = cf.client.find_records("0000000000000000000000000000dead", "a.com");
        REQUIRE_FALSE(found.ok());
        CHECK(found.error().code == "cloudflare_zone_not_found");
    }
    SECTION("a bad token") {
        auto config = cf.fake.client_config();
        config.api_token = "wrong-token";
        CloudflareClient client{cf.http, config};
        const auto created =
            client.create_record(kZone, record("A", "example.com", "203.0.113.10", true));
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == "cloudflare_auth");
        CHECK(created.error().message.find("wrong-token") == std::string::npos);
    }
    SECTION("Cloudflare's own refusal") {
        cf.fake.fail_next_with_error(9005, "Content for A record must be a valid IPv4 address.");
        const auto created =
            cf.client.create_record(kZone, record("A", "example.com", "not-an-ip", false));
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == "cloudflare_error");
        CHECK(created.error().message.find("9005") != std::string::npos);
    }
    SECTION("a proxy's 5xx") {
        cf.fake.fail_next(1, 502);
        const auto found = cf.client.find_records(kZone, "example.com");
        REQUIRE_FALSE(found.ok());
        CHECK(found.error().code == "cloudflare_unavailable");
    }
    SECTION("a 429 is waited out") {
        cf.fake.rate_limit_next(1, 0);
        const auto found = cf.client.find_records(kZone, "example.com");
        REQUIRE(found.ok());
    }
    SECTION("blank fields and blank zones are never sent") {
        const auto blank = cf.client.create_record(kZone, record("A", "example.com", " ", false));
        REQUIRE_FALSE(blank.ok());
        CHECK(blank.error().code == "cloudflare_dns_invalid");
        const auto no_zone = cf.client.find_records(" ", "example.com");
        REQUIRE_FALSE(no_zone.ok());
        CHECK(no_zone.error().code == "cloudflare_zone_not_found");
        CHECK(cf.fake.requests().empty());
    }
}
