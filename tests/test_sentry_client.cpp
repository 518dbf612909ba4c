#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/curl_http_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "tests/fakes/fake_sentry.hpp"

using opsbot::CurlHttpClient;
using opsbot::describe_request;
using opsbot::sentry::IssueChange;
using opsbot::sentry::IssueUpdate;
using opsbot::sentry::SentryClient;
using opsbot::sentry::SentryConfig;
using opsbot::sentry::update_issue_request;
using opsbot::test::FakeResponse;
using opsbot::test::FakeSentry;
using opsbot::test::RecordedRequest;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kIssue = "4509123456";
constexpr const char* kIssuePath = "/api/0/organizations/test-org/issues/4509123456/";

// A client over real HTTP to a fake Sentry on 127.0.0.1.
struct Sentry {
    FakeSentry fake;
    CurlHttpClient http;
    SentryClient client{http, fake.client_config()};

    Sentry() { fake.add_issue(kIssue, "backend"); }
};

IssueUpdate mute_for(std::chrono::minutes minutes) {
    return IssueUpdate{IssueChange::mute, minutes};
}

std::string error_text(const opsbot::Error& error) {
    return error.message + " | " + error.hint;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("sentry client: resolve sends PUT with bearer auth and a JSON status",
          "[sentry][client]") {
    Sentry s;
    const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});

    REQUIRE(done.ok());
    CHECK(s.fake.status(kIssue) == "resolved");
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    const RecordedRequest& sent = updates[0].request;
    CHECK(sent.method == "PUT");
    CHECK(sent.target == kIssuePath);
    CHECK(sent.header("Authorization") == "Bearer sntrys_fake_token_0001");
    CHECK(sent.header("Content-Type") == "application/json");
    CHECK(updates[0].org == "test-org");
    CHECK(updates[0].issue_id == kIssue);
    CHECK(updates[0].body == json{{"status", "resolved"}});
    CHECK(updates[0].answered == 200);
}

TEST_CASE("sentry client: ignore sets the status to ignored, with no duration",
          "[sentry][client]") {
    Sentry s;
    const auto done = s.client.update_issue(kIssue, {IssueChange::ignore});

    REQUIRE(done.ok());
    CHECK(s.fake.status(kIssue) == "ignored");
    CHECK(s.fake.ignore_minutes(kIssue) == 0);
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].request.method == "PUT");
    CHECK(updates[0].request.target == kIssuePath);
    CHECK(updates[0].body == json{{"status", "ignored"}});
}

TEST_CASE("sentry client: mute ignores the issue for ignoreDuration minutes", "[sentry][client]") {
    Sentry s;
    const auto done = s.client.update_issue(kIssue, mute_for(60min));

    REQUIRE(done.ok());
    CHECK(s.fake.status(kIssue) == "ignored");
    CHECK(s.fake.ignore_minutes(kIssue) == 60);
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].request.header("Authorization") == "Bearer sntrys_fake_token_0001");
    CHECK(updates[0].request.header("Content-Type") == "application/json");
    CHECK(updates[0].body ==
          json{{"status", "ignored"}, {"statusDetails", {{"ignoreDuration", 60}}}});
    CHECK(updates[0].body["statusDetails"]["ignoreDuration"].is_number_integer());

    SECTION("a later resolve ends the mute") {
        REQUIRE(s.client.update_issue(kIssue, {IssueChange::resolve}).ok());
        CHECK(s.fake.status(kIssue) == "resolved");
        CHECK(s.fake.ignore_minutes(kIssue) == 0);
    }
    SECTION("a day is 1440 minutes") {
        REQUIRE(s.client.update_issue(kIssue, mute_for(24h)).ok());
        CHECK(s.fake.ignore_minutes(kIssue) == 1440);
    }
}

TEST_CASE("sentry client: update_issue_request builds the URL, headers and body",
          "[sentry][client]") {
    SentryConfig config;
    config.base_url = "https://sentry.example.com";
    config.auth_token = FakeSentry::kToken;
    config.org = "acme";
    config.timeout = 3s;

    const auto request = update_issue_request(config, "123", {IssueChange::resolve});
    CHECK(request.method == "PUT");
    CHECK(request.url == "https://sentry.example.com/api/0/organizations/acme/issues/123/");
    CHECK(request.timeout == 3s);
    CHECK(request.body == R"({"status":"resolved"})");
    REQUIRE(request.headers.size() == 2);
    CHECK(request.headers[0] ==
          std::pair<std::string, std::string>{"Authorization", "Bearer sntrys_fake_token_0001"});
    CHECK(request.headers[1] ==
          std::pair<std::string, std::string>{"Content-Type", "application/json"});

    CHECK(update_issue_request(config, "123", {IssueChange::ignore}).body ==
          R"({"status":"ignored"})");
    CHECK(update_issue_request(config, "123", mute_for(90min)).body ==
          R"({"status":"ignored","statusDetails":{"ignoreDuration":90}})");

    SECTION("a trailing slash on the base URL makes no double slash") {
        config.base_url = "https://sentry.example.com/";
        CHECK(update_issue_request(config, "123", {}).url ==
              "https://sentry.example.com/api/0/organizations/acme/issues/123/");
    }
    SECTION("the issue id is percent-encoded") {
        CHECK(update_issue_request(config, "12 3/../x", {}).url ==
              "https://sentry.example.com/api/0/organizations/acme/issues/12%203%2F..%2Fx/");
    }
    SECTION("shown for --dry-run without the token") {
        const auto shown = describe_request(request);
        CHECK(contains(shown, "PUT https://sentry.example.com/api/0/organizations/acme/issues/"));
        CHECK(contains(shown, R"({"status":"resolved"})"));
        CHECK_FALSE(contains(shown, FakeSentry::kToken));
    }
}

TEST_CASE("sentry client: a base URL with a trailing slash reaches the same path",
          "[sentry][client]") {
    Sentry s;
    auto config = s.fake.client_config();
    config.base_url += "/";
    SentryClient client(s.http, config);

    REQUIRE(client.update_issue(kIssue, {IssueChange::resolve}).ok());
    const auto updates = s.fake.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].request.target == kIssuePath);
    CHECK(s.fake.status(kIssue) == "resolved");
}

TEST_CASE("sentry client: a refused token is sentry_auth and never shows the token",
          "[sentry][client]") {
    Sentry s;
    const std::string wrong = "sntrys_wrong_token_9999";
    auto config = s.fake.client_config();
    config.auth_token = wrong;
    SentryClient client(s.http, config);

    const auto done = client.update_issue(kIssue, {IssueChange::resolve});
    REQUIRE_FALSE(done.ok());
    CHECK(done.error().code == "sentry_auth");
    CHECK(done.error().message ==
          R"(Sentry rejected SENTRY_AUTH_TOKEN (401) (Sentry: "Invalid token"))");
    CHECK(contains(done.error().hint, "event:write"));
    CHECK(contains(done.error().hint, "SENTRY_AUTH_TOKEN"));
    CHECK_FALSE(contains(error_text(done.error()), wrong));
    CHECK_FALSE(contains(error_text(done.error()), FakeSentry::kToken));
    CHECK(s.fake.updates().size() == 1);  // a 401 is not retried
    CHECK(s.fake.status(kIssue) == "unresolved");
}

TEST_CASE("sentry client: 403 is sentry_auth and asks for the event:write scope",
          "[sentry][client]") {
    Sentry s;
    s.fake.fail_next(1, 403);
    const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});

    REQUIRE_FALSE(done.ok());
    CHECK(done.error().code == "sentry_auth");
    CHECK(contains(done.error().message, "SENTRY_AUTH_TOKEN (403)"));
    CHECK(contains(done.error().message, "event:write"));
    CHECK(contains(done.error().message, "You do not have permission to perform this action."));
    CHECK_FALSE(contains(error_text(done.error()), FakeSentry::kToken));
}

TEST_CASE("sentry client: an unknown issue is sentry_not_found naming it and the org",
          "[sentry][client]") {
    Sentry s;
    const auto done = s.client.update_issue("999", {IssueChange::resolve});

    REQUIRE_FALSE(done.ok());
    CHECK(done.error().code == "sentry_not_found");
    CHECK(done.error().message ==
          "Sentry has no issue 999 in organization 'test-org' (SENTRY_ORG) (Sentry: \"The "
          "requested resource does not exist\")");
    CHECK(contains(done.error().hint, "SENTRY_ORG"));
    CHECK(s.fake.updates().size() == 1);

    SECTION("so is a known issue in another organization") {
        auto config = s.fake.client_config();
        config.org = "other-org";
        SentryClient client(s.http, config);
        const auto other = client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(other.ok());
        CHECK(other.error().code == "sentry_not_found");
        CHECK(contains(other.error().message, "'other-org'"));
        CHECK(s.fake.status(kIssue) == "unresolved");
    }
}

TEST_CASE("sentry client: 429 is sentry_rate_limited with Retry-After", "[sentry][client]") {
    Sentry s;
    s.fake.fail_next(1, 429, 42);
    const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});

    REQUIRE_FALSE(done.ok());
    CHECK(done.error().code == "sentry_rate_limited");
    CHECK(contains(done.error().message, "retry after 42 seconds"));
    CHECK(contains(done.error().message, "too frequently"));
    CHECK(contains(done.error().hint, "42 seconds"));
    CHECK(s.fake.updates().size() == 1);  // not retried: Sentry said when
    CHECK(s.fake.status(kIssue) == "unresolved");

    SECTION("without Retry-After it says a minute") {
        s.fake.server().route("PUT", kIssuePath, [](const RecordedRequest&) {
            return FakeResponse{429, "", "text/plain", {}};
        });
        const auto again = s.client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().code == "sentry_rate_limited");
        CHECK(again.error().message ==
              "Sentry is rate-limiting opsbot (429): retry after a minute");
    }
}

TEST_CASE("sentry client: 5xx twice is sentry_unavailable, once is retried", "[sentry][client]") {
    Sentry s;

    SECTION("503 on both attempts") {
        s.fake.fail_next(2, 503);
        const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});

        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_unavailable");
        CHECK(done.error().message ==
              "Sentry is unavailable: it answered 503 Service "
              "Unavailable to PUT " +
                  s.fake.base_url() + kIssuePath + " (2 attempts)");
        CHECK(contains(done.error().hint, "try again in a minute"));
        CHECK(s.fake.updates().size() == 2);
        CHECK(s.fake.status(kIssue) == "unresolved");
    }
    SECTION("one 502, then Sentry answers") {
        s.fake.fail_next(1, 502);
        REQUIRE(s.client.update_issue(kIssue, mute_for(30min)).ok());
        const auto updates = s.fake.updates();
        REQUIRE(updates.size() == 2);
        CHECK(updates[0].answered == 502);
        CHECK(updates[1].answered == 200);
        CHECK(updates[1].body == updates[0].body);
        CHECK(s.fake.ignore_minutes(kIssue) == 30);
    }
}

TEST_CASE("sentry client: no answer at all is sentry_unavailable", "[sentry][client]") {
    CurlHttpClient http;
    SentryConfig config;
    config.base_url = "http://127.0.0.1:1";  // nothing listens there
    config.auth_token = FakeSentry::kToken;
    config.org = FakeSentry::kOrg;
    config.timeout = 5s;
    SentryClient client(http, config);

    const auto done = client.update_issue(kIssue, {IssueChange::resolve});
    REQUIRE_FALSE(done.ok());
    CHECK(done.error().code == "sentry_unavailable");
    CHECK(done.error().message.rfind("Sentry did not answer PUT http://127.0.0.1:1/api/0/"
                                     "organizations/test-org/issues/4509123456/ (2 attempts): ",
                                     0) == 0);
    CHECK(contains(done.error().hint, "try again in a minute"));
    CHECK_FALSE(contains(error_text(done.error()), FakeSentry::kToken));
}

TEST_CASE("sentry client: without SENTRY_ORG or SENTRY_AUTH_TOKEN nothing is sent",
          "[sentry][client]") {
    Sentry s;
    auto config = s.fake.client_config();

    SECTION("no org") {
        config.org.clear();
        SentryClient client(s.http, config);
        const auto done = client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_config");
        CHECK(done.error().message == "Sentry is not configured: SENTRY_ORG is not set");
    }
    SECTION("no token") {
        config.auth_token.clear();
        SentryClient client(s.http, config);
        const auto done = client.update_issue(kIssue, mute_for(60min));
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_config");
        CHECK(done.error().message == "Sentry is not configured: SENTRY_AUTH_TOKEN is not set");
        CHECK(contains(done.error().hint, "event:write"));
    }
    SECTION("neither") {
        config.org.clear();
        config.auth_token.clear();
        SentryClient client(s.http, config);
        const auto done = client.update_issue(kIssue, {IssueChange::ignore});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_config");
        CHECK(done.error().message ==
              "Sentry is not configured: SENTRY_ORG and SENTRY_AUTH_TOKEN are not set");
    }
    SECTION("an empty issue id would address every issue, so it is refused") {
        const auto done = s.client.update_issue("", {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_not_found");
    }
    CHECK(s.fake.updates().empty());
    CHECK(s.fake.server().requests().empty());
}

TEST_CASE("sentry client: Sentry's detail is one trimmed line of bounded length",
          "[sentry][client]") {
    Sentry s;

    SECTION("a long detail is cut") {
        const std::string long_detail = "  " + std::string(500, 'x') + "  ";
        s.fake.server().route("PUT", kIssuePath, [long_detail](const RecordedRequest&) {
            return FakeResponse{404, json{{"detail", long_detail}}.dump(), "application/json", {}};
        });
        const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "sentry_not_found");
        CHECK(contains(done.error().message, "(Sentry: \"" + std::string(200, 'x') + "…\")"));
        CHECK_FALSE(contains(done.error().message, std::string(201, 'x')));
    }
    SECTION("newlines are flattened and an echoed token is masked") {
        s.fake.server().route("PUT", kIssuePath, [](const RecordedRequest&) {
            return FakeResponse{
                401,
                json{{"detail", std::string("\n bad token ") + FakeSentry::kToken + "\n"}}.dump(),
                "application/json",
                {}};
        });
        const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().message ==
              R"(Sentry rejected SENTRY_AUTH_TOKEN (401) (Sentry: "bad token [token]"))");
    }
    SECTION("a validation error names its field; other statuses are bad_response") {
        s.fake.server().route("PUT", kIssuePath, [](const RecordedRequest&) {
            return FakeResponse{
                400,
                R"({"statusDetails":{"ignoreDuration":["A valid integer is required."]}})",
                "application/json",
                {}};
        });
        const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().code == "bad_response");
        CHECK(contains(done.error().message, "Sentry answered 400 to PUT "));
    }
    SECTION("an HTML error page adds nothing") {
        s.fake.server().route("PUT", kIssuePath, [](const RecordedRequest&) {
            return FakeResponse{404, "<html><body>Not Found</body></html>", "text/html", {}};
        });
        const auto done = s.client.update_issue(kIssue, {IssueChange::resolve});
        REQUIRE_FALSE(done.ok());
        CHECK(done.error().message ==
              "Sentry has no issue 4509123456 in organization 'test-org' (SENTRY_ORG)");
    }
}

TEST_CASE("fake sentry: webhook headers are signed like Sentry's", "[sentry][client]") {
    const std::string body = R"({"action":"created","data":{"issue":{"id":"1"}}})";
    const auto headers =
        FakeSentry::webhook_headers("issue", body, "client-secret", "req-0001", 1714557600);

    const auto value = [&](const std::string& name) {
        for (const auto& [key, v] : headers)
            if (key == name) return v;
        return std::string("<absent>");
    };
    CHECK(value("Content-Type") == "application/json");
    CHECK(value("Request-ID") == "req-0001");
    CHECK(value("Sentry-Hook-Resource") == "issue");
    CHECK(value("Sentry-Hook-Timestamp") == "1714557600");
    CHECK(value("Sentry-Hook-Signature") == opsbot::sentry::sign("client-secret", body));
    CHECK(value("Sentry-Hook-Signature").size() == 64);
}
