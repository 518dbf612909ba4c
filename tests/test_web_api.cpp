#include <catch2/catch.hpp>

#include <atomic>

#include <nlohmann/json.hpp>

#include "adapters/http/curl_http_client.hpp"
#include "bot/slack/web_api.hpp"
#include "core/metrics.hpp"
#include "tests/fakes/fake_http_server.hpp"

using opsbot::CurlHttpClient;
using opsbot::Metrics;
using opsbot::slack::OutgoingMessage;
using opsbot::slack::ResponseUrlMessage;
using opsbot::slack::WebApi;
using opsbot::slack::WebApiConfig;
using opsbot::test::FakeHttpServer;
using opsbot::test::FakeResponse;
using opsbot::test::RecordedRequest;
using json = nlohmann::json;
namespace metric = opsbot::metric;

namespace {

constexpr const char* kBotToken = "xoxb-1234-5678-webapitestbottoken";
constexpr const char* kAppToken = "xapp-1-A0TEST-1234-webapitestapptoken";

FakeResponse slack_json(const json& body, int status = 200) {
    return FakeResponse{status, body.dump(), "application/json; charset=utf-8", {}};
}

FakeResponse slack_error(const std::string& code) {
    return slack_json({{"ok", false}, {"error", code}});
}

json body_of(const RecordedRequest& request) {
    return json::parse(request.body, nullptr, false);
}

// A Web API client over real HTTP to a fake Slack on 127.0.0.1.
struct Slack {
    FakeHttpServer server;
    Metrics metrics;
    CurlHttpClient http;
    WebApi api;

    explicit Slack(WebApiConfig config = {})
        : api(http, with_fake_urls(std::move(config), server), metrics) {}

    static WebApiConfig with_fake_urls(WebApiConfig config, const FakeHttpServer& server) {
        config.api_url = server.base_url() + "/api/";
        config.bot_token = kBotToken;
        config.app_token = kAppToken;
        return config;
    }

    void answer(const std::string& method, FakeResponse response) {
        server.route("POST", "/api/" + method,
                     [response](const RecordedRequest&) { return response; });
    }

    std::vector<RecordedRequest> calls(const std::string& method) const {
        return server.requests_to("/api/" + method);
    }
};

}  // namespace

TEST_CASE("web api: post_message sends JSON with the bot token and returns the ts") {
    Slack slack;
    slack.answer(
        "chat.postMessage",
        slack_json({{"ok", true}, {"channel", "C0ACME0001"}, {"ts", "1700000000.000200"}}));

    const auto posted = slack.api.post_message(
        {"C0ACME0001", "Deploy *started* — 🚀", "1700000000.000100",
         R"([{"type":"section","text":{"type":"mrkdwn","text":"Deploy started"}}])"});

    REQUIRE(posted.ok());
    CHECK(posted.value().channel == "C0ACME0001");
    CHECK(posted.value().ts == "1700000000.000200");
    const auto calls = slack.calls("chat.postMessage");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].method == "POST");
    CHECK(calls[0].header("Authorization") == std::string("Bearer ") + kBotToken);
    CHECK(calls[0].header("Content-Type") == "application/json; charset=utf-8");
    const json body = body_of(calls[0]);
    REQUIRE(body.is_object());
    CHECK(body["channel"] == "C0ACME0001");
    CHECK(body["text"] == "Deploy *started* — 🚀");
    CHECK(body["thread_ts"] == "1700000000.000100");
    REQUIRE(body["blocks"].is_array());
    CHECK(body["blocks"][0]["type"] == "section");
    CHECK(slack.metrics.value(metric::kWebApiCalls,
                              {{"method", "chat.postMessage"}, {"status", "200"}}) == 1);
}

TEST_CASE("web api: a message without thread or blocks sends neither") {
    Slack slack;
    slack.answer("chat.postMessage", slack_json({{"ok", true}, {"ts", "1.2"}}));

    REQUIRE(slack.api.post_message({"C0ACME0001", "hello", "", ""}).ok());

    const json body = body_of(slack.calls("chat.postMessage").at(0));
    CHECK(body == json{{"channel", "C0ACME0001"}, {"text", "hello"}});
}

TEST_CASE("web api: ok:false comes back as an Error with Slack's error code") {
    Slack slack;
    slack.answer("chat.postMessage", slack_error("channel_not_found"));
    slack.answer("auth.test", slack_error("invalid_auth"));

    const auto posted = slack.api.post_message({"C0NOPE0001", "hello", "", ""});
    REQUIRE_FALSE(posted.ok());
    CHECK(posted.error().code == "channel_not_found");
    CHECK(posted.error().message == "Slack chat.postMessage failed: channel_not_found");
    CHECK(posted.error().hint == "invite opsbot to the channel, and check the channel ID");

    const auto auth = slack.api.auth_test();
    REQUIRE_FALSE(auth.ok());
    CHECK(auth.error().code == "invalid_auth");
    CHECK(auth.error().message == "Slack auth.test failed: invalid_auth");
    CHECK(auth.error().hint == "check SLACK_BOT_TOKEN");
}

TEST_CASE("web api: a 429 waits out Retry-After before the next call, then succeeds") {
    Slack slack;
    std::atomic<int> calls{0};
    slack.server.route("POST", "/api/chat.postMessage", [&](const RecordedRequest&) {
        if (calls++ == 0) {
            auto limited = slack_error("ratelimited");
            limited.status = 429;
            limited.headers = {{"Retry-After", "1"}};
            return limited;
        }
        return slack_json({{"ok", true}, {"channel", "C0ACME0001"}, {"ts", "1.5"}});
    });

    const auto posted = slack.api.post_message({"C0ACME0001", "hello", "", ""});

    REQUIRE(posted.ok());
    CHECK(posted.value().ts == "1.5");
    const auto seen = slack.calls("chat.postMessage");
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].received - seen[0].received >= std::chrono::seconds(1));
    CHECK(slack.metrics.value(metric::kWebApiRateLimited, {{"method", "chat.postMessage"}}) == 1);
    CHECK(slack.metrics.value(metric::kWebApiCalls,
                              {{"method", "chat.postMessage"}, {"status", "429"}}) == 1);
}

TEST_CASE("web api: a 429 for one channel does not delay another channel") {
    WebApiConfig config;
    config.max_rate_limit_retries = 0;  // give up at once: the test times channel B only
    Slack slack(config);
    slack.server.route("POST", "/api/chat.postMessage", [](const RecordedRequest& r) {
        if (body_of(r).value("channel", "") == "C0AAAAAAAA") {
            auto limited = slack_error("ratelimited");
            limited.status = 429;
            limited.headers = {{"Retry-After", "5"}};
            return limited;
        }
        return slack_json({{"ok", true}, {"ts", "2.1"}});
    });

    const auto limited = slack.api.post_message({"C0AAAAAAAA", "to A", "", ""});
    const auto other = slack.api.post_message({"C0BBBBBBBB", "to B", "", ""});

    REQUIRE_FALSE(limited.ok());
    CHECK(limited.error().code == "ratelimited");
    CHECK(limited.error().message ==
          "Slack chat.postMessage failed: rate limited on all 1 attempt(s)");
    REQUIRE(other.ok());
    const auto seen = slack.calls("chat.postMessage");
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].received - seen[0].received < std::chrono::seconds(4));
}

TEST_CASE("web api: open_connection with a refused app token is fatal and names SLACK_APP_TOKEN") {
    Slack slack;
    slack.answer("apps.connections.open", slack_error("invalid_auth"));

    const auto link = slack.api.open_connection();

    CHECK_FALSE(link.ok);
    CHECK(link.fatal);
    CHECK(link.url.empty());
    CHECK(link.error ==
          "SLACK_APP_TOKEN was refused by Slack (invalid_auth): create an app-level token with "
          "connections:write and set SLACK_APP_TOKEN");
    const auto calls = slack.calls("apps.connections.open");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].header("Authorization") == std::string("Bearer ") + kAppToken);
}

TEST_CASE("web api: open_connection returns the url, and a 5xx is not fatal") {
    Slack slack;
    const std::string url = "wss://wss-primary.slack.com/link/?ticket=1234-abcd&app_id=A0TEST";
    std::atomic<int> calls{0};
    slack.server.route("POST", "/api/apps.connections.open", [&](const RecordedRequest&) {
        if (calls++ == 0) return FakeResponse{503, "<html>down</html>", "text/html", {}};
        return slack_json({{"ok", true}, {"url", url}});
    });

    const auto down = slack.api.open_connection();
    CHECK_FALSE(down.ok);
    CHECK_FALSE(down.fatal);
    CHECK(down.error == "Slack apps.connections.open failed: HTTP 503");

    const auto link = slack.api.open_connection();
    CHECK(link.ok);
    CHECK_FALSE(link.fatal);
    CHECK(link.url == url);
}

TEST_CASE("web api: open_connection when Slack cannot be reached is not fatal") {
    Metrics metrics;
    CurlHttpClient http;
    WebApiConfig config;
    config.api_url = "http://127.0.0.1:1/api/";
    config.app_token = kAppToken;
    WebApi api(http, config, metrics);

    const auto link = api.open_connection();

    CHECK_FALSE(link.ok);
    CHECK_FALSE(link.fatal);
    CHECK(link.error.rfind("Slack apps.connections.open failed: ", 0) == 0);
    CHECK(link.error.find(kAppToken) == std::string::npos);
    CHECK(metrics.value(metric::kWebApiCalls,
                        {{"method", "apps.connections.open"}, {"status", "network"}}) == 1);
}

TEST_CASE("web api: respond posts to the response_url itself with response_type") {
    Slack slack;
    slack.server.route("POST", "/commands/T0TEST/1234/", [](const RecordedRequest&) {
        return FakeResponse{200, "ok", "text/plain", {}};
    });
    const std::string response_url = slack.server.base_url() + "/commands/T0TEST/1234/secretpart";

    REQUIRE(slack.api.respond(response_url, {"Deployed acme to staging", "", false, true}).ok());
    REQUIRE(
        slack.api.respond(response_url, {"Only you can see this", R"([{"type":"divider"}])"}).ok());

    const auto seen = slack.server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].target == "/commands/T0TEST/1234/secretpart");
    CHECK(seen[0].header("Authorization").empty());
    CHECK(seen[0].header("Content-Type") == "application/json; charset=utf-8");
    CHECK(body_of(seen[0]) == json{{"text", "Deployed acme to staging"},
                                   {"response_type", "in_channel"},
                                   {"replace_original", true}});
    const json second = body_of(seen[1]);
    CHECK(second["response_type"] == "ephemeral");
    CHECK(second["replace_original"] == false);
    CHECK(second["blocks"] == json::parse(R"([{"type":"divider"}])"));
}

TEST_CASE("web api: a response_url that Slack refuses is an Error that hides the URL") {
    Slack slack;
    slack.server.route("POST", "/commands/", [](const RecordedRequest&) {
        return FakeResponse{404, "expired_url", "text/plain", {}};
    });

    const auto sent =
        slack.api.respond(slack.server.base_url() + "/commands/T0TEST/1234/secretpart", {"late"});

    REQUIRE_FALSE(sent.ok());
    CHECK(sent.error().code == "http_404");
    CHECK(sent.error().message == "Slack refused the reply (HTTP 404): expired_url");
    CHECK(sent.error().message.find("secretpart") == std::string::npos);
}

TEST_CASE("web api: usergroup_members is cached until the TTL passes") {
    Slack slack;
    slack.answer("usergroups.users.list",
                 slack_json({{"ok", true}, {"users", {"U01ALICE01", "U02BOB0002"}}}));

    const auto first = slack.api.usergroup_members("S0DEPLOYERS");
    const auto second = slack.api.usergroup_members("S0DEPLOYERS");

    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first.value() == std::vector<std::string>{"U01ALICE01", "U02BOB0002"});
    CHECK(second.value() == first.value());
    const auto calls = slack.calls("usergroups.users.list");
    REQUIRE(calls.size() == 1);
    // A read method: Slack ignores a JSON body here, so the argument is a form field.
    CHECK(calls[0].header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(calls[0].body == "usergroup=S0DEPLOYERS");
    CHECK(calls[0].header("Authorization") == std::string("Bearer ") + kBotToken);
}

TEST_CASE("web api: usergroup_members asks again once the cache expired") {
    WebApiConfig config;
    config.usergroup_cache_ttl = std::chrono::minutes(0);
    Slack slack(config);
    slack.answer("usergroups.users.list", slack_json({{"ok", true}, {"users", {"U01ALICE01"}}}));

    REQUIRE(slack.api.usergroup_members("S0DEPLOYERS").ok());
    REQUIRE(slack.api.usergroup_members("S0DEPLOYERS").ok());

    CHECK(slack.calls("usergroups.users.list").size() == 2);
}

TEST_CASE("web api: user_info reads the display name and email from the profile") {
    Slack slack;
    slack.answer("users.info", slack_json({{"ok", true},
                                           {"user",
                                            {{"id", "U01ALICE01"},
                                             {"name", "alice"},
                                             {"real_name", "Alice Martin"},
                                             {"is_bot", false},
                                             {"profile",
                                              {{"display_name", "ali"},
                                               {"real_name", "Alice Martin"},
                                               {"email", "alice@example.com"}}}}}}));

    const auto user = slack.api.user_info("U01ALICE01");

    REQUIRE(user.ok());
    CHECK(user.value().id == "U01ALICE01");
    CHECK(user.value().name == "alice");
    CHECK(user.value().real_name == "ali");
    CHECK(user.value().email == "alice@example.com");
    CHECK_FALSE(user.value().is_bot);
    CHECK(slack.calls("users.info").at(0).body == "user=U01ALICE01");
}

TEST_CASE("web api: lookup_by_email form-encodes the address") {
    Slack slack;
    slack.answer(
        "users.lookupByEmail",
        slack_json({{"ok", true},
                    {"user",
                     {{"id", "U02BOB0002"},
                      {"name", "bob"},
                      {"real_name", "Bob Stone"},
                      {"profile", {{"display_name", ""}, {"email", "bob+ops@example.com"}}}}}}));

    const auto user = slack.api.lookup_by_email("bob+ops@example.com");

    REQUIRE(user.ok());
    CHECK(user.value().real_name == "Bob Stone");
    CHECK(slack.calls("users.lookupByEmail").at(0).body == "email=bob%2Bops%40example.com");
}

TEST_CASE("web api: conversations_create and conversations_invite") {
    Slack slack;
    slack.answer(
        "conversations.create",
        slack_json({{"ok", true}, {"channel", {{"id", "C0NEWCHAN1"}, {"name", "inc-42"}}}}));
    slack.answer("conversations.invite", slack_json({{"ok", true}}));

    const auto created = slack.api.conversations_create("inc-42", true);
    REQUIRE(created.ok());
    CHECK(created.value() == "C0NEWCHAN1");
    REQUIRE(slack.api.conversations_invite("C0NEWCHAN1", {"U01ALICE01", "U02BOB0002"}).ok());

    CHECK(body_of(slack.calls("conversations.create").at(0)) ==
          json{{"name", "inc-42"}, {"is_private", true}});
    CHECK(body_of(slack.calls("conversations.invite").at(0)) ==
          json{{"channel", "C0NEWCHAN1"}, {"users", "U01ALICE01,U02BOB0002"}});
}

TEST_CASE("web api: update_message without blocks clears the old ones") {
    Slack slack;
    slack.answer("chat.update", slack_json({{"ok", true}}));

    REQUIRE(slack.api.update_message("C0ACME0001", "1700000000.000100", "Confirmed").ok());

    CHECK(body_of(slack.calls("chat.update").at(0)) == json{{"channel", "C0ACME0001"},
                                                            {"ts", "1700000000.000100"},
                                                            {"text", "Confirmed"},
                                                            {"blocks", json::array()}});
}

TEST_CASE("web api: truncated JSON and HTML are bad_response") {
    Slack slack;
    slack.answer(
        "chat.postMessage",
        FakeResponse{200, R"({"ok":true,"ts":"17)", "application/json; charset=utf-8", {}});
    slack.answer("auth.test", FakeResponse{200, "<html>login</html>", "text/html", {}});

    const auto posted = slack.api.post_message({"C0ACME0001", "hello", "", ""});
    REQUIRE_FALSE(posted.ok());
    CHECK(posted.error().code == "bad_response");
    CHECK(posted.error().message ==
          "Slack chat.postMessage answered HTTP 200 with a body that is not a JSON object "
          "(application/json; charset=utf-8)");

    const auto auth = slack.api.auth_test();
    REQUIRE_FALSE(auth.ok());
    CHECK(auth.error().code == "bad_response");
}

TEST_CASE("web api: a 503 is http_503") {
    Slack slack;
    slack.answer("chat.postMessage",
                 FakeResponse{503, "<html>unavailable</html>", "text/html", {}});

    const auto posted = slack.api.post_message({"C0ACME0001", "hello", "", ""});

    REQUIRE_FALSE(posted.ok());
    CHECK(posted.error().code == "http_503");
    CHECK(posted.error().message == "Slack chat.postMessage failed: HTTP 503");
    CHECK(slack.metrics.value(metric::kWebApiCalls,
                              {{"method", "chat.postMessage"}, {"status", "503"}}) == 1);
}
