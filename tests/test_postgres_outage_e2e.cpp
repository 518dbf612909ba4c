// PostgreSQL restarting or down under a running opsbot: the real binary in
// Slack mode on a cluster of this test's own (never the shared one), with
// slash commands and signed Sentry webhooks coming in. An envelope is
// acknowledged only once journaled. Slack never delivers a slash command
// again, so one that could not be journaled is acknowledged with a reply
// saying nothing was done, and the person types it again (here the test);
// every command is answered exactly once. A webhook whose write failed got
// 503 and is sent again (as Sentry does), and every one that got a 2xx is
// stored exactly once. opsbot reconnects by itself: it is never restarted.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/digest.hpp"
#include "persistence/database.hpp"
#include "persistence/storage.hpp"
#include "tests/fakes/fake_sentry.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/sentry_samples.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using test::FakeSentry;

namespace {

constexpr const char* kSecret = "sentry-client-secret-outage";

std::string own_cluster_folder() {
    static std::atomic<int> counter{0};
    return "/tmp/opsbot-pg-outage-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// A cluster of the test's own with a database for opsbot.
struct OwnPostgres {
    test::PostgresCluster cluster{own_cluster_folder()};
    std::string conninfo = cluster.conninfo("opsbot");
    OwnPostgres() { cluster.sql("CREATE DATABASE opsbot"); }
};

std::string issue_created(int i) {
    return test::sentry_issue_created(std::to_string(800000 + i),
                                      "Outage alert " + std::to_string(i) + " end");
}

long long now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One signed delivery of alert i; the status, or 0 without an answer.
long send_alert(const std::string& intake_url, int i, int attempt) {
    const std::string body = issue_created(i);
    HttpRequest request{
        "POST", intake_url + "/hooks/sentry",
        FakeSentry::webhook_headers(
            "issue", body, kSecret,
            "req-outage-" + std::to_string(i) + "-" + std::to_string(attempt), now_seconds()),
        body};
    request.timeout = 10s;
    CurlHttpClient client;
    const auto response = client.send(request);
    return response.ok() ? response.value().status : 0;
}

nlohmann::json whoami(test::SlackBot& bot, const std::string& response_path,
                      const std::string& trigger) {
    return {{"channel_id", "C0ACME0001"},
            {"user_id", "U01ALICE01"},
            {"user_name", "alice"},
            {"command", "/ops"},
            {"text", "whoami"},
            {"response_url", bot.slack.server().base_url() + response_path},
            {"trigger_id", trigger}};
}

struct Traffic {
    test::SlackBot& bot;
    std::mutex mutex;
    std::map<int, std::string> envelopes;  // command number → envelope id
    std::map<int, int> attempts;           // command number → deliveries so far
    int typed_again = 0;                   // commands refused, then typed again
    std::map<int, std::chrono::steady_clock::time_point> sent_at;
    std::map<int, long> alert_status;  // alert number → its final status
    std::map<int, int> alert_503s;     // alert number → 503s before it

    std::string response_path(int i) const { return "/response/outage-" + std::to_string(i); }

    nlohmann::json payload(int i) const {
        return whoami(bot, response_path(i), "trigger-outage-" + std::to_string(i));
    }

    void send_command(int i) {
        std::lock_guard lock(mutex);
        envelopes[i] = bot.slack.send_envelope("slash_commands", payload(i));
        attempts[i] = 1;
        sent_at[i] = std::chrono::steady_clock::now();
    }

    bool acked(int i) const {
        const auto ids = bot.slack.acked_envelope_ids();
        return std::find(ids.begin(), ids.end(), envelopes.at(i)) != ids.end();
    }

    // Slack delivers an envelope again when it was not acknowledged within
    // a few seconds: same envelope id, the next retry_attempt. A command
    // refused at once ("nothing was done") is typed again: a new envelope.
    void redeliver_unacked() {
        std::lock_guard lock(mutex);
        const auto now = std::chrono::steady_clock::now();
        for (auto& [i, id] : envelopes) {
            if (refused(id)) {
                id = bot.slack.send_envelope("slash_commands", payload(i));
                ++typed_again;
                sent_at[i] = now;
                continue;
            }
            if (acked(i) || now - sent_at[i] < 3s) continue;
            bot.slack.send_envelope("slash_commands", payload(i), attempts[i]++, id);
            sent_at[i] = now;
        }
    }

    bool refused(const std::string& envelope_id) const {
        const auto ack = bot.slack.ack_of(envelope_id);
        return ack && ack->contains("payload") &&
               (*ack)["payload"].value("text", "").find("Nothing was done") != std::string::npos;
    }

    std::size_t redeliveries() {
        std::lock_guard lock(mutex);
        auto n = static_cast<std::size_t>(typed_again);
        for (const auto& [i, count] : attempts) n += static_cast<std::size_t>(count - 1);
        return n;
    }

    std::size_t answers(int i) const {
        return bot.slack.server().requests_to(response_path(i)).size();
    }

    // Until a 2xx, as Sentry retries a 5xx.
    void deliver_alert(int i) {
        int attempt = 0;
        long status = 0;
        for (; attempt < 200; ++attempt) {
            status = send_alert(bot.intake_url, i, attempt);
            if (status >= 200 && status < 300) break;
            if (status == 503) {
                std::lock_guard lock(mutex);
                ++alert_503s[i];
            }
            std::this_thread::sleep_for(100ms);
        }
        std::lock_guard lock(mutex);
        alert_status[i] = status;
    }

    std::size_t alerts_503() {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto& [i, count] : alert_503s) n += static_cast<std::size_t>(count);
        return n;
    }
};

// How many times each alert's body is in the inbox, read on a connection of
// the test's own.
std::map<std::string, std::int64_t> stored_alerts(const std::string& conninfo) {
    auto database = db::connect(db::storage_target(conninfo, ""));
    auto rows =
        database->prepare("SELECT dedupe_key, COUNT(*) FROM alert_inbox GROUP BY dedupe_key");
    std::map<std::string, std::int64_t> out;
    while (rows.step()) out[rows.column_text(0)] = rows.column_int(1);
    return out;
}

void start_on(test::SlackBot& bot, const OwnPostgres& postgres) {
    bot.env["OPSBOT_DATABASE_URL"] = postgres.conninfo;
    bot.env["SENTRY_CLIENT_SECRET"] = kSecret;
    bot.env["OPSBOT_LOG_LEVEL"] = "info";
    bot.start();
}

}  // namespace

TEST_CASE(
    "postgres outage e2e: a restart mid-traffic loses no envelope or webhook and runs none twice",
    "[postgres][e2e]") {
    OwnPostgres postgres;
    test::SlackBot bot;
    start_on(bot, postgres);
    Traffic traffic{.bot = bot};

    constexpr int kCommands = 60;
    constexpr int kAlerts = 30;
    std::atomic<int> alerts_sent{0};
    std::thread alerts([&] {
        for (int i = 0; i < kAlerts; ++i) {
            traffic.deliver_alert(i);
            ++alerts_sent;
            std::this_thread::sleep_for(30ms);
        }
    });
    // pg_ctl restart -m fast, every connection dropped, while commands and
    // webhooks keep coming.
    std::thread restart;
    for (int i = 0; i < kCommands; ++i) {
        traffic.send_command(i);
        traffic.redeliver_unacked();
        std::this_thread::sleep_for(40ms);
        if (!restart.joinable() && i >= kCommands / 3 && alerts_sent >= 5)
            restart = std::thread([&] { postgres.cluster.restart(); });
    }
    alerts.join();
    REQUIRE(restart.joinable());
    restart.join();

    const bool all_answered = FakeHttpServer::wait_until(
        [&] {
            traffic.redeliver_unacked();
            for (int i = 0; i < kCommands; ++i)
                if (traffic.answers(i) == 0) return false;
            return true;
        },
        60s);
    std::this_thread::sleep_for(1s);  // a second answer would show by now
    INFO("redeliveries " << traffic.redeliveries() << ", webhook 503s " << traffic.alerts_503());
    CHECK(all_answered);
    // The restart was felt: some commands were refused or delivered again,
    // some webhooks got 503.
    CHECK(traffic.redeliveries() + traffic.alerts_503() > 0);
    for (int i = 0; i < kCommands; ++i) {
        INFO("command " << i);
        CHECK(traffic.answers(i) == 1);
    }

    const auto stored = stored_alerts(postgres.conninfo);
    for (int i = 0; i < kAlerts; ++i) {
        INFO("alert " << i);
        const auto status = traffic.alert_status[i];
        CHECK((status == 202 || status == 200));
        const auto key = "body:" + sha256_hex(issue_created(i));
        CHECK(stored.count(key) == 1);
        if (stored.count(key) == 1) CHECK(stored.at(key) == 1);
    }
    CHECK(stored.size() == kAlerts);

    // Still the same process, healthy, and the failures were counted.
    CHECK(bot.get("/healthz").status == 200);
    const auto metrics = bot.get("/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("opsbot_store_connect_failures_total"));
    bot.process->signal(SIGTERM);
    CHECK(bot.process->wait() == 0);
}

TEST_CASE(
    "postgres outage e2e: with the server stopped webhooks get 503 and /healthz is "
    "unhealthy until it is back",
    "[postgres][e2e]") {
    OwnPostgres postgres;
    test::SlackBot bot;
    start_on(bot, postgres);
    REQUIRE(bot.get("/healthz").status == 200);

    postgres.cluster.stop();
    CHECK(FakeHttpServer::wait_until(
        [&] {
            const auto health = bot.try_get("/healthz");
            return health && health->status == 503;
        },
        10s));
    CHECK_THAT(bot.get("/healthz").body, Catch::Contains(R"("slack":"connected")"));
    const auto refused = send_alert(bot.intake_url, 1, 0);
    CHECK(refused == 503);
    // A command now could not be journaled: answered at once that nothing
    // was done, and not run.
    const auto command = whoami(bot, "/response/down", "trigger-down");
    const auto envelope = bot.slack.send_envelope("slash_commands", command);
    REQUIRE(bot.slack.wait_for_ack(envelope));
    const auto refusal = bot.slack.ack_of(envelope);
    REQUIRE(refusal);
    CHECK_THAT((*refusal)["payload"].value("text", ""),
               Catch::Contains("its database is unavailable") &&
                   Catch::Contains("Nothing was done; try again"));
    const auto metrics = bot.get("/metrics").body;
    CHECK_THAT(metrics, Catch::Contains(R"(opsbot_store_errors_total{where="webhook"})"));
    CHECK_THAT(metrics, Catch::Contains(R"(opsbot_store_errors_total{where="envelope_journal"})"));
    CHECK_THAT(metrics, Catch::Contains("opsbot_store_up 0"));

    postgres.cluster.start();
    CHECK(FakeHttpServer::wait_until([&] { return bot.get("/healthz").status == 200; }, 15s));
    CHECK(FakeHttpServer::wait_until([&] { return send_alert(bot.intake_url, 1, 1) == 202; }, 15s));
    CHECK(bot.slack.server().requests_to("/response/down").empty());
    // Typed again, it is acknowledged and answered, once.
    const auto again = bot.slack.send_envelope("slash_commands", command);
    CHECK(bot.slack.wait_for_ack(again));
    CHECK(FakeHttpServer::wait_until(
        [&] { return bot.slack.server().requests_to("/response/down").size() == 1; }, 10s));
    CHECK_FALSE(bot.slack.ack_of(again)->contains("payload"));
    CHECK(bot.process->running());
    bot.stop();
}
