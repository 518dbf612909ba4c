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
using opsbot::cloudflare::kMaxUrlsPerPurge;
using opsbot::cloudflare::purge_everything_request;
using opsbot::cloudflare::purge_files_requests;
using opsbot::cloudflare::zone_lookup_request;
using opsbot::test::FakeCloudflare;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kZone = "023e105f4ecef8ad9ca31a8372d0c353";
constexpr const char* kDomain = "example.com";
constexpr const char* kPurgePath = "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache";

// A client over real HTTP to a fake Cloudflare on 127.0.0.1.
struct Cloudflare {
    FakeCloudflare fake;
    CurlHttpClient http;
    CloudflareClient client{http, fake.client_config()};

    Cloudflare() {
        fake.add_zone(kZone, kDomain);
        fake.add_zone("9a7806061c88ada191ed06f989cc3dac", "example.org");
    }
};

std::vector<std::string> urls(std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 1; i <= count; ++i)
        out.push_back("https://www.example.com/assets/" + std::to_string(i) + ".css");
    return out;
}

std::string error_text(const opsbot::Error& error) {
    return error.message + " | " + error.hint;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cloudflare: find_zone looks the zone up by name with the bearer token", "[cloudflare]") {
    Cloudflare cf;
    const auto zone = cf.client.find_zone(kDomain);

    REQUIRE(zone.ok());
    CHECK(zone.value() == kZone);
    const auto requests = cf.fake.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "GET");
    CHECK(requests[0].target == "/client/v4/zones?name=example.com");
    CHECK(requests[0].header("Authorization") == "Bearer cf-fake-token-0001");

    SECTION("the domain is matched as Cloudflare stores zone names") {
        const auto again = cf.client.find_zone(" Example.COM. ");
        REQUIRE(again.ok());
        CHECK(again.value() == kZone);
        CHECK(cf.fake.requests().back().target == "/client/v4/zones?name=example.com");
    }
}

TEST_CASE("cloudflare: a domain with no zone names it and says what to do", "[cloudflare]") {
    Cloudflare cf;
    const auto zone = cf.client.find_zone("www.example.net");

    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == "cloudflare_zone_not_found");
    CHECK(zone.error().message ==
          "Cloudflare has no zone www.example.net that CLOUDFLARE_API_TOKEN can see");
    CHECK(contains(zone.error().hint, "cloudflare_zone:"));
    CHECK(contains(zone.error().hint, "Zone → Zone → Read"));
    CHECK(cf.fake.requests().size() == 1);
}

TEST_CASE("cloudflare: purge everything posts purge_everything as JSON", "[cloudflare]") {
    Cloudflare cf;
    const auto purged = cf.client.purge_everything(kZone);

    REQUIRE(purged.ok());
    CHECK(purged.value() == kZone);  // Cloudflare's result.id for a purge is the zone's id
    const auto purges = cf.fake.purges();
    REQUIRE(purges.size() == 1);
    CHECK(purges[0].request.method == "POST");
    CHECK(purges[0].request.target == kPurgePath);
    CHECK(purges[0].request.header("Authorization") == "Bearer cf-fake-token-0001");
    CHECK(purges[0].request.header("Content-Type") == "application/json");
    CHECK(purges[0].zone_id == kZone);
    CHECK(purges[0].body == json{{"purge_everything", true}});
    CHECK(purges[0].answered == 200);
}

TEST_CASE("cloudflare: 45 URLs go in two calls of 30 and 15", "[cloudflare]") {
    Cloudflare cf;
    const auto all = urls(45);
    const auto purged = cf.client.purge_files(kZone, all);

    REQUIRE(purged.ok());
    CHECK(purged.value() == std::string(kZone) + "," + kZone);
    const auto purges = cf.fake.purges();
    REQUIRE(purges.size() == 2);
    CHECK(purges[0].body ==
          json{{"files", std::vector<std::string>(all.begin(), all.begin() + 30)}});
    CHECK(purges[1].body == json{{"files", std::vector<std::string>(all.begin() + 30, all.end())}});
    for (const auto& purge : purges) {
        CHECK(purge.request.target == kPurgePath);
        CHECK(purge.answered == 200);
    }

    SECTION("exactly 30 is one call") {
        REQUIRE(cf.client.purge_files(kZone, urls(30)).ok());
        CHECK(cf.fake.purges().size() == 3);
    }
    SECTION("no URLs is no call") {
        const auto none = cf.client.purge_files(kZone, {});
        REQUIRE(none.ok());
        CHECK(none.value().empty());
        CHECK(cf.fake.purges().size() == 2);
    }
}

TEST_CASE("cloudflare: the fake refuses what Cloudflare refuses", "[cloudflare]") {
    Cloudflare cf;
    CurlHttpClient http;
    opsbot::HttpRequest request;
    request.method = "POST";
    request.url = cf.fake.base_url() + kPurgePath;
    request.headers = {{"Authorization", "Bearer cf-fake-token-0001"},
                       {"Content-Type", "application/json"}};

    SECTION("31 files in one call") {
        request.body = json{{"files", urls(31)}}.dump();
        const auto answer = http.send(request);
        REQUIRE(answer.ok());
        CHECK(answer.value().status == 400);
        CHECK(json::parse(answer.value().body)["errors"][0]["code"] == 1011);
    }
    SECTION("neither purge_everything nor files") {
        request.body = "{}";
        const auto answer = http.send(request);
        REQUIRE(answer.ok());
        CHECK(answer.value().status == 400);
        CHECK(json::parse(answer.value().body)["errors"][0]["code"] == 1012);
    }
}

TEST_CASE("cloudflare: Cloudflare's refusal shows its code and message", "[cloudflare]") {
    Cloudflare cf;

    SECTION("a 400 with success false") {
        cf.fake.fail_next_with_error(1012,
                                     "Request must contain one of \"purge_everything\", "
                                     "\"files\", \"tags\", \"hosts\" or \"prefixes\"");
        const auto purged = cf.client.purge_files(kZone, urls(2));
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_error");
        CHECK(purged.error().message ==
              "Cloudflare refused the purge: 1012 Request must contain one of "
              "\"purge_everything\", \"files\", \"tags\", \"hosts\" or \"prefixes\"");
        CHECK_FALSE(purged.error().hint.empty());
    }
    SECTION("a 200 with success false") {
        cf.fake.fail_next_with_error(1015, "Zone is not active", 200);
        const auto purged = cf.client.purge_everything(kZone);
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_error");
        CHECK(purged.error().message == "Cloudflare refused the purge: 1015 Zone is not active");
    }
    SECTION("the second of two calls refused says the first went through") {
        cf.fake.fail_next_with_error(1012, "Invalid url", 400, 1);
        const auto purged = cf.client.purge_files(kZone, urls(31));
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_error");
        CHECK(purged.error().message ==
              "Cloudflare refused the purge: 1012 Invalid url (call 2 of 2; 30 of 31 URLs were "
              "purged before it)");
        const auto purges = cf.fake.purges();
        REQUIRE(purges.size() == 2);
        CHECK(purges[0].answered == 200);
        CHECK(purges[1].answered == 400);
    }
    SECTION("an unknown zone id is cloudflare_zone_not_found") {
        const auto purged = cf.client.purge_everything("ffffffffffffffffffffffffffffffff");
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_zone_not_found");
        CHECK(contains(purged.error().message, "7003 Could not route to"));
        CHECK(contains(purged.error().hint, "cloudflare_zone:"));
    }
}

TEST_CASE("cloudflare: a 429 is waited out for Retry-After, then retried", "[cloudflare]") {
    Cloudflare cf;
    cf.fake.rate_limit_next(1, 1);
    const auto started = std::chrono::steady_clock::now();
    const auto purged = cf.client.purge_everything(kZone);
    const auto waited = std::chrono::steady_clock::now() - started;

    REQUIRE(purged.ok());
    CHECK(purged.value() == kZone);
    CHECK(waited >= 1s);
    const auto purges = cf.fake.purges();
    REQUIRE(purges.size() == 2);
    CHECK(purges[0].answered == 429);
    CHECK(purges[1].answered == 200);
    CHECK(purges[1].body == purges[0].body);
}

TEST_CASE("cloudflare: still 429 after the retries is cloudflare_rate_limited", "[cloudflare]") {
    Cloudflare cf;
    auto config = cf.fake.client_config();
    config.max_rate_limit_retries = 1;
    CloudflareClient client(cf.http, config);
    cf.fake.rate_limit_next(100, 1);

    const auto purged = client.purge_everything(kZone);
    REQUIRE_FALSE(purged.ok());
    CHECK(purged.error().code == "cloudflare_rate_limited");
    CHECK(purged.error().message ==
          "Cloudflare is rate-limiting opsbot (429) for the purge after 2 attempts: 971 Please "
          "wait and consider throttling your request speed");
    CHECK(contains(purged.error().hint, "Cloudflare asks for 1 second more"));
    CHECK(cf.fake.purges().size() == 2);
}

TEST_CASE("cloudflare: a refused token is cloudflare_auth and never shows the token",
          "[cloudflare]") {
    Cloudflare cf;
    auto config = cf.fake.client_config();

    SECTION("a wrong token: 403, 10000 Authentication error") {
        config.api_token = "cf-wrong-token-9999";
        CloudflareClient client(cf.http, config);
        const auto purged = client.purge_everything(kZone);
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_auth");
        CHECK(purged.error().message ==
              "Cloudflare refused CLOUDFLARE_API_TOKEN (403) for the purge: 10000 "
              "Authentication error");
        CHECK(contains(purged.error().hint, "CLOUDFLARE_API_TOKEN"));
        CHECK(contains(purged.error().hint, "Cache Purge"));
        CHECK_FALSE(contains(error_text(purged.error()), "cf-wrong-token-9999"));
        CHECK(cf.fake.purges().at(0).answered == 403);
    }
    SECTION("a 403 from fail_next") {
        cf.fake.fail_next(1, 403);
        const auto zone = cf.client.find_zone(kDomain);
        REQUIRE_FALSE(zone.ok());
        CHECK(zone.error().code == "cloudflare_auth");
        CHECK(contains(zone.error().message, "CLOUDFLARE_API_TOKEN (403) for the zone lookup"));
        CHECK_FALSE(contains(error_text(zone.error()), FakeCloudflare::kToken));
    }
    SECTION("a malformed token: 400, 6003 with 6111 in its error_chain") {
        config.api_token = "two words";
        CloudflareClient client(cf.http, config);
        const auto zone = client.find_zone(kDomain);
        REQUIRE_FALSE(zone.ok());
        CHECK(zone.error().code == "cloudflare_auth");
        CHECK(zone.error().message ==
              "Cloudflare refused CLOUDFLARE_API_TOKEN (400) for the zone lookup for "
              "example.com: 6003 Invalid request headers; 6111 Invalid format for "
              "Authorization header");
        CHECK_FALSE(contains(error_text(zone.error()), "two words"));
    }
}

TEST_CASE("cloudflare: 5xx and no answer are cloudflare_unavailable", "[cloudflare]") {
    SECTION("a 503 page") {
        Cloudflare cf;
        cf.fake.fail_next(1, 503);
        const auto purged = cf.client.purge_everything(kZone);
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_unavailable");
        CHECK(purged.error().message ==
              "Cloudflare is unavailable: it answered 503 Service "
              "Unavailable to POST " +
                  cf.fake.base_url() + kPurgePath);
        CHECK(contains(purged.error().hint, "cloudflarestatus.com"));
        CHECK(cf.fake.purges().size() == 1);  // no retry: a person reads the error
    }
    SECTION("connection refused") {
        CurlHttpClient http;
        CloudflareConfig config;
        config.api_url = "http://127.0.0.1:1/client/v4/";  // nothing listens there
        config.api_token = FakeCloudflare::kToken;
        config.timeout = 5s;
        CloudflareClient client(http, config);
        const auto zone = client.find_zone(kDomain);
        REQUIRE_FALSE(zone.ok());
        CHECK(zone.error().code == "cloudflare_unavailable");
        CHECK(zone.error().message.rfind("Cloudflare did not answer GET "
                                         "http://127.0.0.1:1/client/v4/zones?name=example.com: ",
                                         0) == 0);
        CHECK(contains(zone.error().hint, "CLOUDFLARE_API_URL"));
        CHECK_FALSE(contains(error_text(zone.error()), FakeCloudflare::kToken));
    }
}

TEST_CASE("cloudflare: HTML or a foreign JSON answer is bad_response", "[cloudflare]") {
    Cloudflare cf;
    cf.fake.server().route("GET", "/client/v4/zones", [](const auto&) {
        return opsbot::test::FakeResponse{
            200, "<html><body>Sign in</body></html>", "text/html", {}};
    });
    const auto zone = cf.client.find_zone(kDomain);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == "bad_response");
    CHECK(contains(zone.error().message, "with HTML where JSON was expected"));
}

TEST_CASE("cloudflare: without CLOUDFLARE_API_TOKEN nothing is sent", "[cloudflare]") {
    Cloudflare cf;
    auto config = cf.fake.client_config();
    config.api_token = "  ";
    CloudflareClient client(cf.http, config);

    const auto zone = client.find_zone(kDomain);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == "cloudflare_config");
    CHECK(zone.error().message == "Cloudflare is not configured: CLOUDFLARE_API_TOKEN is not set");
    CHECK(contains(zone.error().hint, "CLOUDFLARE_API_TOKEN"));
    CHECK(client.purge_everything(kZone).error().code == "cloudflare_config");
    CHECK(client.purge_files(kZone, urls(3)).error().code == "cloudflare_config");
    CHECK(cf.fake.requests().empty());

    SECTION("an empty zone id is refused before it is sent") {
        const auto purged = cf.client.purge_everything("");
        REQUIRE_FALSE(purged.ok());
        CHECK(purged.error().code == "cloudflare_zone_not_found");
        CHECK(cf.fake.requests().empty());
    }
}

TEST_CASE("cloudflare: the dry-run requests", "[cloudflare]") {
    CloudflareConfig config;  // the real API URL
    config.api_token = FakeCloudflare::kToken;
    config.timeout = 3s;

    SECTION("zone lookup") {
        const auto request = zone_lookup_request(config, "shop.example.co.uk");
        CHECK(request.method == "GET");
        CHECK(request.url == "https://api.cloudflare.com/client/v4/zones?name=shop.example.co.uk");
        CHECK(request.timeout == 3s);
        REQUIRE(request.headers.size() == 1);
        CHECK(request.headers[0] ==
              std::pair<std::string, std::string>{"Authorization", "Bearer cf-fake-token-0001"});
        CHECK(request.body.empty());
    }
    SECTION("purge everything, with the token redacted when described") {
        const auto request = purge_everything_request(config, kZone);
        CHECK(request.method == "POST");
        CHECK(request.url ==
              "https://api.cloudflare.com/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/"
              "purge_cache");
        CHECK(request.body == R"({"purge_everything":true})");
        REQUIRE(request.headers.size() == 2);
        CHECK(request.headers[1] ==
              std::pair<std::string, std::string>{"Content-Type", "application/json"});
        CHECK_FALSE(contains(describe_request(request), FakeCloudflare::kToken));
    }
    SECTION("an API URL without its trailing slash") {
        config.api_url = "https://cf-proxy.example.com/client/v4";
        CHECK(purge_everything_request(config, kZone).url ==
              "https://cf-proxy.example.com/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/"
              "purge_cache");
    }
    SECTION("files split into calls of at most 30") {
        CHECK(kMaxUrlsPerPurge == 30);
        CHECK(purge_files_requests(config, kZone, {}).empty());
        const auto one = purge_files_requests(config, kZone, {"https://example.com/a b.css"});
        REQUIRE(one.size() == 1);
        CHECK(one[0].body == R"({"files":["https://example.com/a b.css"]})");
        for (const std::size_t count : {1u, 29u, 30u, 31u, 60u, 61u, 95u}) {
            const auto all = urls(count);
            const auto requests = purge_files_requests(config, kZone, all);
            REQUIRE(requests.size() == (count + 29) / 30);
            std::vector<std::string> sent;
            for (const auto& request : requests) {
                CHECK(request.method == "POST");
                CHECK(request.url.ends_with("/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"));
                const auto files = json::parse(request.body).at("files");
                CHECK(files.size() <= 30);
                for (const auto& file : files) sent.push_back(file.get<std::string>());
            }
            CHECK(sent == all);  // every URL once, in order
        }
    }
}
