#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/curl_http_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "tests/fakes/fake_sentry.hpp"

using opsbot::CurlHttpClient;
using opsbot::describe_request;
using opsbot::sentry::create_project_request;
using opsbot::sentry::find_project_request;
using opsbot::sentry::project_keys_request;
using opsbot::sentry::SentryClient;
using opsbot::sentry::SentryConfig;
using opsbot::test::FakeSentry;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTeam = "platform";

// The real client over real HTTP to a fake Sentry on 127.0.0.1.
struct Sentry {
    FakeSentry fake;
    CurlHttpClient http;
    SentryClient client{http, fake.client_config()};

    Sentry() { fake.add_team(kTeam); }
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string host_of(const std::string& base_url) {
    return base_url.substr(base_url.find("://") + 3);
}

}  // namespace

TEST_CASE("sentry projects: find_project is nullopt for a missing project", "[sentry][projects]") {
    Sentry s;
    const auto found = s.client.find_project("shop");

    REQUIRE(found.ok());
    CHECK_FALSE(found.value().has_value());
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].request.method == "GET");
    CHECK(updates[0].request.target == "/api/0/projects/test-org/shop/");
    CHECK(updates[0].request.header("Authorization") == "Bearer sntrys_fake_token_0001");
    CHECK(updates[0].answered == 404);
}

TEST_CASE("sentry projects: find_project returns an existing project", "[sentry][projects]") {
    Sentry s;
    const std::string id = s.fake.add_project("shop", kTeam, "Shop");
    const auto found = s.client.find_project("shop");

    REQUIRE(found.ok());
    REQUIRE(found.value().has_value());
    CHECK(found.value()->slug == "shop");
    CHECK(found.value()->name == "Shop");
    CHECK(found.value()->id == id);
}

TEST_CASE("sentry projects: create_project creates it under the team", "[sentry][projects]") {
    Sentry s;
    const auto created = s.client.create_project(kTeam, "shop", "Shop", "python");

    REQUIRE(created.ok());
    CHECK(created.value().slug == "shop");
    CHECK(created.value().name == "Shop");
    CHECK_FALSE(created.value().id.empty());
    CHECK(s.fake.has_project("shop"));
    CHECK(s.fake.project_team("shop") == kTeam);
    CHECK(s.fake.project_platform("shop") == "python");

    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].request.method == "POST");
    CHECK(updates[0].request.target == "/api/0/teams/test-org/platform/projects/");
    CHECK(updates[0].request.header("Content-Type") == "application/json");
    CHECK(updates[0].body == json{{"name", "Shop"}, {"slug", "shop"}, {"platform", "python"}});
    CHECK(updates[0].answered == 201);

    SECTION("and find_project sees it afterwards") {
        const auto found = s.client.find_project("shop");
        REQUIRE(found.ok());
        REQUIRE(found.value().has_value());
        CHECK(found.value()->id == created.value().id);
    }
    SECTION("the platform defaults to other") {
        REQUIRE(s.client.create_project(kTeam, "admin", "Admin").ok());
        CHECK(s.fake.project_platform("admin") == "other");
    }
}

TEST_CASE("sentry projects: creating a taken slug is sentry_exists, sent once",
          "[sentry][projects]") {
    Sentry s;
    s.fake.add_project("shop", kTeam);
    const auto created = s.client.create_project(kTeam, "shop", "Shop again");

    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == "sentry_exists");
    CHECK(contains(created.error().message, "'shop' already exists"));
    CHECK(contains(created.error().message, "A project with this slug already exists."));
    CHECK(s.fake.project_name("shop") == "shop");
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].answered == 409);
}

TEST_CASE("sentry projects: an unknown team is sentry_not_found naming the team",
          "[sentry][projects]") {
    Sentry s;
    const auto created = s.client.create_project("nobody", "shop", "Shop");

    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == "sentry_not_found");
    CHECK(contains(created.error().message, "team 'nobody'"));
    CHECK_FALSE(s.fake.has_project("shop"));
}

TEST_CASE("sentry projects: project_dsn is the first active key's public DSN",
          "[sentry][projects]") {
    Sentry s;
    REQUIRE(s.client.create_project(kTeam, "shop", "Shop").ok());
    const auto dsn = s.client.project_dsn("shop");

    REQUIRE(dsn.ok());
    CHECK(dsn.value() == s.fake.dsn("shop"));
    const std::string id = s.client.find_project("shop").value()->id;
    const std::string expected_tail = "@" + host_of(s.fake.base_url()) + "/" + id;
    CHECK(dsn.value().rfind("http://", 0) == 0);
    CHECK(dsn.value().size() > expected_tail.size());
    CHECK(dsn.value().substr(dsn.value().size() - expected_tail.size()) == expected_tail);
    CHECK(contains(dsn.value(), "127.0.0.1"));
    CHECK_FALSE(contains(dsn.value(), ":" + std::string(FakeSentry::kToken)));

    const auto updates = s.fake.updates();
    CHECK(updates[1].request.target == "/api/0/projects/test-org/shop/keys/");
}

TEST_CASE("sentry projects: project_dsn skips inactive keys", "[sentry][projects]") {
    Sentry s;
    s.fake.add_key("api", false);  // a project whose first key is disabled
    SECTION("an active key after the disabled one") {
        const std::string second = s.fake.add_key("api", true);
        const auto dsn = s.client.project_dsn("api");
        REQUIRE(dsn.ok());
        CHECK(dsn.value() == second);
        CHECK(dsn.value() != s.fake.dsn("api"));
    }
    SECTION("no active key at all is sentry_no_dsn") {
        const auto dsn = s.client.project_dsn("api");
        REQUIRE_FALSE(dsn.ok());
        CHECK(dsn.error().code == "sentry_no_dsn");
    }
}

TEST_CASE("sentry projects: project_dsn of a missing project is sentry_not_found",
          "[sentry][projects]") {
    Sentry s;
    const auto dsn = s.client.project_dsn("nope");
    REQUIRE_FALSE(dsn.ok());
    CHECK(dsn.error().code == "sentry_not_found");
    CHECK(contains(dsn.error().message, "project 'nope'"));
}

TEST_CASE("sentry projects: a refused token is sentry_auth and never shows the token",
          "[sentry][projects]") {
    Sentry s;
    s.fake.add_project("shop", kTeam);
    const std::string wrong = "sntrys_wrong_token_9999";
    auto config = s.fake.client_config();
    config.auth_token = wrong;
    SentryClient client(s.http, config);

    const auto found = client.find_project("shop");
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().code == "sentry_auth");
    CHECK(contains(found.error().message, "(401)"));
    const auto created = client.create_project(kTeam, "new", "New");
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == "sentry_auth");
    const auto dsn = client.project_dsn("shop");
    REQUIRE_FALSE(dsn.ok());
    CHECK(dsn.error().code == "sentry_auth");
    for (const auto* error : {&found.error(), &created.error(), &dsn.error()}) {
        CHECK_FALSE(contains(error->message + error->hint, wrong));
        CHECK_FALSE(contains(error->message + error->hint, FakeSentry::kToken));
    }
    CHECK_FALSE(s.fake.has_project("new"));
}

TEST_CASE("sentry projects: unset configuration and empty slugs never reach Sentry",
          "[sentry][projects]") {
    Sentry s;
    auto config = s.fake.client_config();
    config.org.clear();
    SentryClient unconfigured(s.http, config);
    const auto found = unconfigured.find_project("shop");
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().code == "sentry_config");

    const auto empty = s.client.find_project(" ");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == "sentry_bad_slug");
    const auto no_team = s.client.create_project("", "shop", "Shop");
    REQUIRE_FALSE(no_team.ok());
    CHECK(no_team.error().code == "sentry_bad_slug");
    CHECK(s.fake.updates().empty());
}

TEST_CASE("sentry projects: a lookup retries once on 5xx, a create does not",
          "[sentry][projects]") {
    Sentry s;
    s.fake.add_project("shop", kTeam);
    s.fake.fail_next(1, 503);
    const auto found = s.client.find_project("shop");
    REQUIRE(found.ok());
    CHECK(found.value().has_value());

    s.fake.fail_next(1, 503);
    const auto created = s.client.create_project(kTeam, "new", "New");
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code == "sentry_unavailable");
    CHECK_FALSE(s.fake.has_project("new"));
    CHECK(s.fake.updates().size() == 3);
}

TEST_CASE("sentry projects: request builders for --dry-run", "[sentry][projects]") {
    SentryConfig config;
    config.base_url = "https://sentry.example.com/";
    config.auth_token = FakeSentry::kToken;
    config.org = "acme";

    const auto find = find_project_request(config, "shop");
    CHECK(find.method == "GET");
    CHECK(find.url == "https://sentry.example.com/api/0/projects/acme/shop/");
    const auto keys = project_keys_request(config, "shop");
    CHECK(keys.method == "GET");
    CHECK(keys.url == "https://sentry.example.com/api/0/projects/acme/shop/keys/");
    const auto create = create_project_request(config, "web team", "shop", "Shop");
    CHECK(create.method == "POST");
    CHECK(create.url == "https://sentry.example.com/api/0/teams/acme/web%20team/projects/");
    CHECK(json::parse(create.body) ==
          json{{"name", "Shop"}, {"slug", "shop"}, {"platform", "other"}});

    const auto shown = describe_request(create);
    CHECK(contains(shown, "POST https://sentry.example.com/api/0/teams/acme/"));
    CHECK(contains(shown, R"("slug":"shop")"));
    CHECK_FALSE(contains(shown, FakeSentry::kToken));
}
