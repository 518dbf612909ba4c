// Sentry alerts end to end: the real opsbot binary, signed webhooks over
// HTTP with Sentry's documented payloads, the fake Slack (which enforces a
// one-call-per-second pace per channel) and the fake Sentry API.

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/fakes/fake_sentry.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using test::FakeSentry;

namespace {

constexpr const char* kSecret = "sentry-client-secret-9f8e7d";
constexpr const char* kLegacyToken = "legacy-hook-token-4242";
constexpr const char* kAlertChannel = "#ops-alerts";

// The test catalogue, where prod deployers may also triage alerts.
std::string catalogue_with_triage() {
    return test::catalogue_with_deployer_permissions("deploy, purge, triage");
}

nlohmann::json sample(const std::string& name) {
    std::ifstream in(std::string(OPSBOT_SOURCE_DIR) + "/tests/data/sentry/" + name);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

// issue.created from Sentry's docs, for our catalogue's Sentry project.
nlohmann::json issue_created(const std::string& id, const std::string& project = "acme",
                             const std::string& title = "ReferenceError: blooopy is not defined") {
    auto payload = sample("issue_created.json");
    auto& issue = payload["data"]["issue"];
    issue["id"] = id;
    issue["project"]["slug"] = project;
    issue["title"] = title;
    issue["web_url"] = "https://sentry.io/organizations/test-org/issues/" + id + "/";
    return payload;
}

long long now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct AlertBot {
    FakeSentry sentry;  // first: it outlives the opsbot process
    test::SlackBot bot{catalogue_with_triage()};
    std::atomic<long> request_counter{0};

    AlertBot() {
        bot.env["SENTRY_CLIENT_SECRET"] = kSecret;
        bot.env["SENTRY_LEGACY_TOKEN"] = kLegacyToken;
        bot.env["SENTRY_URL"] = sentry.base_url();
        bot.env["SENTRY_AUTH_TOKEN"] = FakeSentry::kToken;
        bot.env["SENTRY_ORG"] = FakeSentry::kOrg;
        bot.env["OPSBOT_ALERT_CHANNEL"] = kAlertChannel;
        bot.slack.enforce_channel_pace(1000ms);
    }

    std::string next_request_id() { return "req-" + std::to_string(++request_counter); }

    HttpResponse send(const std::string& resource, const nlohmann::json& payload,
                      std::string request_id = "", long long timestamp = 0,
                      const std::string& secret = kSecret) {
        if (request_id.empty()) request_id = next_request_id();
        const std::string body = payload.dump();
        return bot.post("/hooks/sentry", body,
                        FakeSentry::webhook_headers(resource, body, secret, request_id,
                                                    timestamp ? timestamp : now_seconds()));
    }

    // Every chat.postMessage and chat.update, in order.
    std::vector<nlohmann::json> messages() {
        std::vector<nlohmann::json> out;
        for (const auto& request : bot.slack.server().requests()) {
            const auto path = request.path();
            if (path != "/api/chat.postMessage" && path != "/api/chat.update") continue;
            out.push_back(nlohmann::json::parse(request.body, nullptr, false));
        }
        return out;
    }

    bool wait_for_text(const std::string& part, std::chrono::milliseconds timeout = 15s) {
        return FakeHttpServer::wait_until(
            [&] {
                for (const auto& m : messages())
                    if (m.value("text", "").find(part) != std::string::npos) return true;
                return false;
            },
            timeout);
    }

    std::vector<AuditRecord> audit_rows(std::optional<Outcome> outcome = std::nullopt) const {
        return bot.audit_rows(outcome);
    }

    nlohmann::json press(const std::string& user, const std::string& action,
                         const std::string& issue_id, const std::string& message_ts) {
        const auto envelope =
            bot.slack.send_block_action(user, action, issue_id, "C0ACME0001", message_ts);
        const auto response = bot.slack.wait_for_response_to(envelope);
        REQUIRE(response);
        return *response;
    }
};

std::size_t posts_to(const std::vector<nlohmann::json>& messages, const std::string& channel) {
    std::size_t n = 0;
    for (const auto& m : messages)
        if (m.value("channel", "") == channel && !m.contains("ts")) ++n;
    return n;
}

}  // namespace

TEST_CASE("sentry e2e: a signed issue.created is relayed to the project's channel with buttons",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.start();
    const auto response = a.send("issue", issue_created("1170820242"));
    CHECK(response.status == 202);
    REQUIRE(a.wait_for_text("ReferenceError: blooopy is not defined"));
    const auto posted = a.messages().front();
    CHECK(posted.value("channel", "") == "#acme");
    const std::string text = posted.value("text", "");
    CHECK_THAT(text, Catch::Contains("acme prod"));
    CHECK_THAT(text, Catch::Contains("`?(runner)`"));  // the culprit
    CHECK_THAT(text, Catch::Contains("× 1 in the last 5 min"));
    CHECK_THAT(text,
               Catch::Contains("https://sentry.io/organizations/test-org/issues/1170820242/"));
    CHECK_THAT(text, Catch::Contains("first seen 2019-08-19T20:58:37.391000Z"));
    const auto& blocks = posted.at("blocks");
    std::vector<std::string> buttons;
    for (const auto& block : blocks)
        if (block.value("type", "") == "actions")
            for (const auto& element : block["elements"])
                buttons.push_back(element["text"].value("text", ""));
    CHECK(buttons == std::vector<std::string>{"Resolve", "Ignore", "Mute 1h"});
}

TEST_CASE("sentry e2e: bad signatures are refused with 401, audited, and nothing is relayed",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.start();
    const auto payload = issue_created("501");
    CHECK(a.send("issue", payload, "", 0, "not-the-secret").status == 401);

    // The signature of one body, sent with another: one byte changed.
    const std::string body = payload.dump();
    auto headers =
        FakeSentry::webhook_headers("issue", body, kSecret, "req-altered", now_seconds());
    std::string altered = body;
    altered[altered.find("blooopy")] = 'B';
    CHECK(a.bot.post("/hooks/sentry", altered, headers).status == 401);

    HttpHeaders unsigned_headers;
    for (const auto& header : headers)
        if (header.first != "Sentry-Hook-Signature") unsigned_headers.push_back(header);
    const auto missing = a.bot.post("/hooks/sentry", body, unsigned_headers);
    CHECK(missing.status == 401);
    CHECK_THAT(missing.body, Catch::Contains("missing Sentry-Hook-Signature"));

    const auto rejected = a.audit_rows(Outcome::rejected);
    CHECK(rejected.size() == 3);
    for (const auto& row : rejected) CHECK(row.error.find(kSecret) == std::string::npos);
    std::this_thread::sleep_for(1500ms);
    CHECK(a.messages().empty());
    CHECK(a.bot.process->log().find(kSecret) == std::string::npos);
}

TEST_CASE("sentry e2e: a replayed Request-ID or a stale timestamp is not relayed again",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.start();
    const auto payload = issue_created("777");
    CHECK(a.send("issue", payload, "req-same").status == 202);
    const auto again = a.send("issue", payload, "req-same");
    CHECK(again.status == 200);
    CHECK_THAT(again.body, Catch::Contains("duplicate"));
    // Sentry signs the body only: the same body under a new Request-ID is a replay too.
    CHECK(a.send("issue", payload, "req-fresh").status == 200);
    CHECK(a.send("issue", payload, "req-old", now_seconds() - 3600).status == 401);
    REQUIRE(a.wait_for_text("blooopy"));
    std::this_thread::sleep_for(2500ms);
    const auto messages = a.messages();
    REQUIRE(messages.size() == 1);
    CHECK_THAT(messages[0].value("text", ""), Catch::Contains("× 1 in the last 5 min"));
    const auto duplicates = a.audit_rows(Outcome::duplicate);
    REQUIRE(duplicates.size() == 2);
    CHECK(duplicates.back().external_ref == "Request-ID req-same");  // newest first
    const auto rejected = a.audit_rows(Outcome::rejected);
    REQUIRE(rejected.size() == 1);
    CHECK_THAT(rejected[0].error, Catch::Contains("outside the accepted window"));
}

TEST_CASE("sentry e2e: event alerts, metric alerts and legacy webhooks reach the right channel",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.start();
    // event_alert: the project slug is in the event's API URL.
    auto event = sample("event_alert_triggered.json");
    auto& e = event["data"]["event"];
    e["url"] =
        "https://sentry.io/api/0/projects/test-org/acme/events/" + e.value("event_id", "") + "/";
    CHECK(a.send("event_alert", event).status == 202);
    REQUIRE(a.wait_for_text("ReferenceError: heck is not defined"));

    // metric_alert for a Sentry project opsbot does not know: the alert channel, with a note.
    auto metric = sample("metric_alert_critical.json");
    CHECK(a.send("metric_alert", metric).status == 202);
    REQUIRE(a.wait_for_text("Critical: Too many errors"));
    std::string metric_text;
    for (const auto& m : a.messages())
        if (m.value("text", "").find("Too many errors") != std::string::npos) {
            CHECK(m.value("channel", "") == kAlertChannel);
            metric_text = m.value("text", "");
        }
    CHECK_THAT(metric_text, Catch::Contains("is not in opsbot's catalogue"));

    // Its resolution updates the same message.
    CHECK(a.send("metric_alert", sample("metric_alert_resolved.json")).status == 202);
    REQUIRE(a.wait_for_text("Resolved: Too many errors"));
    const auto updates = a.bot.slack.api_calls("chat.update");
    REQUIRE_FALSE(updates.empty());
    CHECK(updates.back().value("channel", "") == kAlertChannel);
    CHECK_THAT(updates.back().value("text", ""), Catch::Contains("resolved by Sentry"));

    // The legacy plugin, with and without its token.
    auto legacy = sample("legacy_plugin.json");
    legacy["project"] = "acme";
    legacy["project_slug"] = "acme";
    const std::string body = legacy.dump();
    CHECK(a.bot.post("/hooks/sentry-legacy?token=wrong", body).status == 401);
    CHECK(a.bot.post(std::string("/hooks/sentry-legacy?token=") + kLegacyToken, body).status ==
          202);
    const std::string legacy_title =
        legacy["event"].value("title", legacy.value("message", std::string{}));
    REQUIRE(a.wait_for_text(legacy_title.substr(0, 20)));
    CHECK(a.bot.slack.pace_rejections() == 0);
}

TEST_CASE(
    "sentry e2e: a storm of 1,000 events on 3 issues makes a handful of messages with the "
    "right counts and no 429",
    "[sentry][e2e][storm]") {
    AlertBot a;
    a.bot.start();
    const std::vector<std::string> issues = {"9001", "9002", "9003"};
    constexpr int kEvents = 1000;
    std::atomic<int> next{0};
    std::atomic<int> accepted{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 8; ++t)
        senders.emplace_back([&] {
            CurlHttpClient client;
            for (int i = next++; i < kEvents; i = next++) {
                const auto& id = issues[static_cast<std::size_t>(i) % issues.size()];
                auto payload = issue_created(id, "acme", "Storm issue " + id);
                payload["data"]["issue"]["count"] = std::to_string(i + 1);  // as Sentry counts
                const std::string body = payload.dump();
                HttpRequest request{
                    "POST", a.bot.intake_url + "/hooks/sentry",
                    FakeSentry::webhook_headers("issue", body, kSecret,
                                                "storm-" + std::to_string(i), now_seconds()),
                    body};
                const auto response = client.send(request);
                if (response && response.value().status == 202) ++accepted;
            }
        });
    for (auto& sender : senders) sender.join();
    CHECK(accepted == kEvents);

    // Settled: every issue's latest message shows its count.
    const std::vector<std::string> expected = {"× 334 in the last 5 min",
                                               "× 333 in the last 5 min"};
    const auto settled = [&] {
        const auto messages = a.messages();
        if (messages.empty()) return false;
        std::string all;
        for (const auto& m : messages) all += m.value("text", "") + "\n";
        // The newest rendering of each issue: look from the end.
        int found = 0;
        for (const auto& id : issues) {
            for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
                const std::string text = it->value("text", "");
                const auto at = text.find("Storm issue " + id);
                if (at == std::string::npos) continue;
                const auto line_end = text.find('\n', text.find("× ", at));
                const std::string line = text.substr(at, line_end - at);
                const std::string want = id == "9001" ? expected[0] : expected[1];
                if (line.find(want) != std::string::npos) ++found;
                break;
            }
        }
        return found == 3;
    };
    REQUIRE(FakeHttpServer::wait_until(settled, 30s));
    const auto messages = a.messages();
    CHECK(posts_to(messages, "#acme") <= 3);
    CHECK(messages.size() <= 15);
    CHECK(a.bot.slack.pace_rejections() == 0);
    CHECK(a.bot.slack.retry_after_violations() == 0);
    INFO("messages: " << messages.size());
}

TEST_CASE("sentry e2e: alerts accepted while Slack fails are delivered after a restart",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.slack.fail_posts(500);
    a.bot.start();
    auto first = issue_created("4242", "acme", "Crash before relay");
    auto second = first;
    second["data"]["issue"]["count"] = "2";
    CHECK(a.send("issue", first).status == 202);
    CHECK(a.send("issue", second).status == 202);
    // The refusal is logged once the audit row is written: then crash.
    a.bot.process->wait_for_log("could not post the alert message");
    a.bot.process->signal(SIGKILL);
    a.bot.process->wait();
    CHECK(a.messages().size() >= 1);  // only refused attempts so far

    a.bot.slack.fail_posts(0);
    a.bot.start();
    REQUIRE(a.wait_for_text("× 2 in the last 5 min"));
    const auto failed = a.audit_rows(Outcome::failed);
    bool relay_failure = false;
    for (const auto& row : failed)
        if (row.command == "post alert") relay_failure = true;
    CHECK(relay_failure);
}

TEST_CASE("sentry e2e: Resolve and Mute call Sentry for an allowed user and refuse another",
          "[sentry][e2e]") {
    AlertBot a;
    a.sentry.add_issue("1170820242", "acme");
    a.bot.start();
    CHECK(a.send("issue", issue_created("1170820242")).status == 202);
    REQUIRE(a.bot.slack.wait_for_api_calls("chat.postMessage", 1));
    const std::string ts = "1700000000.1";  // the fake's first message ts

    // Alice is a developer (stage only): refused, and Sentry is not called.
    const auto refused = a.press("U01ALICE01", "opsbot_alert_resolve", "1170820242", ts);
    CHECK(refused.value("response_type", "") == "ephemeral");
    CHECK_THAT(refused.value("text", ""), Catch::Contains("triage"));
    CHECK(a.sentry.updates().empty());

    // Bob deploys acme to prod and may triage it.
    const auto resolved = a.press("U02BOB0002", "opsbot_alert_resolve", "1170820242", ts);
    CHECK_THAT(resolved.value("text", ""), Catch::Contains("Resolved Sentry issue `1170820242`"));
    CHECK(a.sentry.status("1170820242") == "resolved");
    REQUIRE(a.wait_for_text("resolved by"));
    const auto update = a.bot.slack.api_calls("chat.update").back();
    CHECK(update.value("ts", "").rfind("1700000000.", 0) == 0);  // the fake's ts for the post
    CHECK_THAT(update.value("text", ""), Catch::Contains("resolved by"));
    CHECK(update.at("blocks").dump().find("opsbot_alert_resolve") == std::string::npos);

    const auto muted = a.press("U02BOB0002", "opsbot_alert_mute", "1170820242", ts);
    CHECK_THAT(muted.value("text", ""), Catch::Contains("Muted"));
    CHECK(a.sentry.ignore_minutes("1170820242") == 60);

    const auto rows = a.audit_rows();
    bool denied = false, succeeded = false;
    for (const auto& row : rows) {
        if (row.command == "alert resolve 1170820242" && row.outcome == Outcome::denied)
            denied = true;
        if (row.command == "alert resolve 1170820242" && row.outcome == Outcome::succeeded)
            succeeded = true;
    }
    CHECK(denied);
    CHECK(succeeded);
}

TEST_CASE("sentry e2e: `alerts` lists the open alerts, most recent first", "[sentry][e2e]") {
    AlertBot a;
    a.bot.start();
    CHECK(a.send("issue", issue_created("11", "acme", "Older problem")).status == 202);
    REQUIRE(a.wait_for_text("Older problem"));
    CHECK(a.send("issue", issue_created("12", "acme", "Newer problem")).status == 202);
    REQUIRE(a.wait_for_text("Newer problem", 20s));
    a.bot.slack.send_slash({.text = "alerts acme"});
    REQUIRE(a.bot.slack.wait_for_responses(1));
    const std::string text = a.bot.slack.responses().at(0).value("text", "");
    const auto newer = text.find("Newer problem");
    const auto older = text.find("Older problem");
    REQUIRE(newer != std::string::npos);
    REQUIRE(older != std::string::npos);
    CHECK(newer < older);

    // The same alerts from the console, on the same database; a dry run shows
    // the Sentry request without its token.
    a.bot.stop();
    auto env = a.bot.env;
    env.erase("SLACK_APP_TOKEN");
    env.erase("SLACK_BOT_TOKEN");
    env.erase("OPSBOT_LISTEN");
    const auto console = test::run_process(
        {OPSBOT_BINARY, {"console"}, env, "alerts\nalert resolve 11 --dry-run\n", "", 60});
    INFO(console.err);
    CHECK(console.exit_code == 0);
    CHECK_THAT(console.out, Catch::Contains("Newer problem"));
    CHECK_THAT(console.out, Catch::Contains("PUT " + a.sentry.base_url() +
                                            "/api/0/organizations/test-org/issues/11/"));
    CHECK_THAT(console.out, Catch::Contains("{\"status\":\"resolved\"}"));
    CHECK(console.out.find(FakeSentry::kToken) == std::string::npos);
    CHECK(a.sentry.updates().empty());
}

TEST_CASE("sentry e2e: a 429 from Slack is waited out and a resolved webhook updates the message",
          "[sentry][e2e]") {
    AlertBot a;
    a.bot.slack.rate_limit_post_message(1, 1);
    a.bot.start();
    CHECK(a.send("issue", issue_created("1170820242")).status == 202);
    REQUIRE(a.wait_for_text("blooopy"));
    CHECK(a.bot.slack.retry_after_violations() == 0);

    auto resolved = sample("issue_resolved.json");
    resolved["data"]["issue"]["project"]["slug"] = "acme";
    CHECK(a.send("issue", resolved).status == 202);
    REQUIRE(a.wait_for_text("resolved by Alice (Sentry)"));
    const auto update = a.bot.slack.api_calls("chat.update").back();
    CHECK(update.at("blocks").dump().find("opsbot_alert_resolve") == std::string::npos);
    CHECK(a.bot.slack.retry_after_violations() == 0);
}
