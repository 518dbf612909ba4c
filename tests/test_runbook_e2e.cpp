// Runbooks end to end: the real opsbot binary walks move-site in a Slack
// thread (fake Slack, fake Cloudflare, a fake new server), is killed and
// restarted between two steps, and is driven from the console too.

#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>

#include "tests/fakes/fake_cloudflare.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeCloudflare;
using test::FakeHttpServer;

namespace {

constexpr const char* kZone = "023e105f4ecef8ad9ca31a8372d0c353";
constexpr const char* kBob = "U02BOB0002";    // on call: prod-deployer with runbook
constexpr const char* kAlice = "U01ALICE01";  // no runbook permission on prod
const std::string kShipped = std::string(OPSBOT_SOURCE_DIR) + "/config/runbooks";

std::string catalogue_with_runbooks(const std::string& folder = kShipped) {
    return test::catalogue_with_deployer_permissions("deploy, purge, runbook") +
           "runbooks: " + folder + "\n";
}

std::string text_of(const nlohmann::json& message) {
    return message.value("text", "");
}

struct RunbookBot {
    FakeCloudflare cloudflare;
    FakeHttpServer site;  // the new server the check asks
    std::atomic<int> site_status{502};
    test::SlackBot bot{catalogue_with_runbooks()};

    RunbookBot() {
        cloudflare.add_zone(kZone, "acme.com");
        cloudflare.add_record(kZone, "A", "acme.com", "198.51.100.1", true);
        site.route("GET", "/health", [this](const test::RecordedRequest&) {
            return test::FakeResponse{site_status.load(), "ok", "text/plain", {}};
        });
        bot.env["CLOUDFLARE_API_TOKEN"] = FakeCloudflare::kToken;
        bot.env["CLOUDFLARE_API_URL"] = cloudflare.api_url();
    }

    std::vector<nlohmann::json> messages() {
        std::vector<nlohmann::json> out;
        for (const auto& request : bot.slack.server().requests()) {
            const auto path = request.path();
            if (path == "/api/chat.postMessage" || path == "/api/chat.update")
                out.push_back(nlohmann::json::parse(request.body, nullptr, false));
        }
        return out;
    }

    bool wait_for_text(const std::string& part, std::chrono::milliseconds timeout = 15s) {
        return FakeHttpServer::wait_until(
            [&] {
                for (const auto& m : messages())
                    if (text_of(m).find(part) != std::string::npos) return true;
                return false;
            },
            timeout);
    }

    // The answer to this envelope: after a restart, an envelope opsbot had
    // not marked handled is replayed and answered again, in between.
    std::string slash(const std::string& text, const std::string& user = kBob) {
        const auto envelope =
            bot.slack.send_slash({.text = text, .command = "/runbook", .user = user});
        const auto response = bot.slack.wait_for_response_to(envelope, 20s);
        REQUIRE(response);
        return text_of(*response);
    }

    std::string press(const std::string& user, const std::string& verb, int step) {
        const auto envelope = bot.slack.send_block_action(user, "opsbot_runbook_" + verb,
                                                          "1 " + std::to_string(step));
        const auto response = bot.slack.wait_for_response_to(envelope, 20s);
        REQUIRE(response);
        // Acks are batched: one still pending when the test kills opsbot would
        // be redelivered after the restart and answered again, out of turn.
        REQUIRE(bot.slack.wait_for_ack(envelope, 20s));
        return text_of(*response);
    }

    std::vector<AuditRecord> audit_rows() const { return bot.audit_rows(); }

    std::size_t audited(const std::string& command_part, Outcome outcome) const {
        std::size_t n = 0;
        for (const auto& row : audit_rows())
            if (row.outcome == outcome && row.command.find(command_part) != std::string::npos) ++n;
        return n;
    }
};

// The action ids of the buttons of the newest message whose text has `part`.
std::vector<std::string> buttons_of(const std::vector<nlohmann::json>& messages,
                                    const std::string& part) {
    std::vector<std::string> ids;
    for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
        if (text_of(*m).find(part) == std::string::npos) continue;
        const auto& field = (*m)["blocks"];
        const auto blocks = field.is_string()
                                ? nlohmann::json::parse(field.get<std::string>(), nullptr, false)
                                : field;
        for (const auto& block : blocks)
            if (block.value("type", "") == "actions")
                for (const auto& element : block["elements"])
                    ids.push_back(element.value("action_id", ""));
        return ids;
    }
    return ids;
}

}  // namespace

TEST_CASE(
    "runbook e2e: move-site in a Slack thread, with the wrong person, a double press, "
    "a failed step, a restart and the automated steps",
    "[e2e][runbooks]") {
    RunbookBot r;
    r.bot.start();
    const std::string started =
        r.slash("start move-site acme old.example.net new.example.net 203.0.113.7 check_url=" +
                r.site.base_url() + "/health check_attempts=2 check_interval=0");
    CHECK_THAT(started, Catch::Contains("Started run 1 of move-site"));
    REQUIRE(r.wait_for_text("Step 1/11: Move stage first"));
    CHECK(r.wait_for_text("Runbook move-site* (run 1)"));
    CHECK(r.wait_for_text("on call: <@U02BOB0002>"));
    CHECK(buttons_of(r.messages(), "Step 1/11") ==
          std::vector<std::string>{"opsbot_runbook_done", "opsbot_runbook_abort"});

    // Someone other than the on-call person is refused, and nothing moves.
    CHECK_THAT(r.press(kAlice, "done", 1),
               Catch::Contains("Only <@U02BOB0002>, on call for run 1"));
    CHECK_THAT(r.press(kBob, "done", 1), Catch::Contains("Step 1 (Move stage first) confirmed"));
    REQUIRE(r.wait_for_text("Step 2/11"));

    // Two presses of Done on the same step at once: one wins.
    const auto before = r.bot.slack.responses().size();
    r.bot.slack.send_block_action(kBob, "opsbot_runbook_done", "1 2");
    r.bot.slack.send_block_action(kBob, "opsbot_runbook_done", "1 2");
    REQUIRE(r.bot.slack.wait_for_responses(before + 2, 20s));
    const std::string both = text_of(r.bot.slack.responses().at(before)) + " | " +
                             text_of(r.bot.slack.responses().at(before + 1));
    CHECK_THAT(both, Catch::Contains("confirmed.") &&
                         Catch::Contains("was already confirmed by <@U02BOB0002>"));
    CHECK(r.audited("runbook step 2 (Update the Jenkins job to the new node) done",
                    Outcome::confirmed) == 1);

    // An action that needs a Run press fails (no Jenkins here) and is skipped.
    REQUIRE(r.wait_for_text("Step 3/11: Deploy to the new node"));
    CHECK(buttons_of(r.messages(), "Step 3/11") ==
          std::vector<std::string>{"opsbot_runbook_run", "opsbot_runbook_skip",
                                   "opsbot_runbook_abort"});
    CHECK_THAT(r.press(kBob, "run", 3), Catch::Contains("JENKINS_URL is not set"));
    CHECK_THAT(r.press(kBob, "skip", 3),
               Catch::Contains("Step 3 (Deploy to the new node) skipped"));

    // The HTTP check runs by itself, fails on 502, and is retried once the site is up.
    REQUIRE(r.wait_for_text("Failed (attempt 1)"));
    CHECK(r.wait_for_text("did not answer 200 in 2 attempt(s); last: 502 Bad Gateway"));
    CHECK(buttons_of(r.messages(), "Failed (attempt 1)").front() == "opsbot_runbook_run");
    r.site_status = 200;
    CHECK_THAT(r.press(kBob, "run", 4), Catch::Contains("health answered 200 (attempt 1)"));
    REQUIRE(r.wait_for_text("Step 5/11: Put the old database read-only"));
    CHECK(r.wait_for_text("⏱️ downtime"));
    for (int step = 5; step <= 7; ++step)
        CHECK_THAT(r.press(kBob, "done", step), Catch::Contains("confirmed"));
    REQUIRE(r.wait_for_text("Step 8/11: Set up haproxy"));

    // Killed between two steps: the run, its thread and its buttons survive.
    r.bot.process->signal(SIGKILL);
    r.bot.process->wait();
    r.bot.start();
    CHECK_THAT(r.press(kBob, "done", 7), Catch::Contains("was already confirmed by"));
    CHECK_THAT(r.press(kBob, "done", 8),
               Catch::Contains("Step 8 (Set up haproxy on the new host) confirmed"));

    // DNS moves to the new server; turning off the old one starts the purge.
    REQUIRE(r.wait_for_text("Step 9/11: Update DNS"));
    CHECK_THAT(r.press(kBob, "run", 9),
               Catch::Contains("pointed A acme.com → 203.0.113.7 (was 198.51.100.1)"));
    REQUIRE(r.cloudflare.records(kZone).size() == 1);
    CHECK(r.cloudflare.records(kZone).front().content == "203.0.113.7");
    CHECK_THAT(r.press(kBob, "done", 10), Catch::Contains("Run 1 finished"));
    CHECK(r.cloudflare.purges().size() == 1);
    REQUIRE(r.wait_for_text("(run 1) finished"));
    CHECK(r.wait_for_text("⏱️ Downtime: "));

    // Old buttons on a finished run say so; the report prints the timeline again.
    CHECK_THAT(r.press(kBob, "done", 10), Catch::Contains("is already done"));
    const auto report = r.slash("report 1");
    CHECK_THAT(report, Catch::Contains("✅ 1. Move stage first — done by <@U02BOB0002>"));
    CHECK_THAT(report, Catch::Contains("⏭️ 3. Deploy to the new node — skipped"));
    CHECK_THAT(report, Catch::Contains("✅ 11. Purge the Cloudflare cache — done"));

    CHECK(r.audited("runbook start move-site", Outcome::started) == 1);
    CHECK(r.audited("skipped", Outcome::cancelled) == 1);
    CHECK(r.audited("runbook step 4 (Test the site on the new server's port) wait_for_http",
                    Outcome::failed) == 1);
    CHECK(r.audited("cloudflare.dns.point", Outcome::succeeded) == 1);
    CHECK(r.audited("runbook move-site finished", Outcome::succeeded) == 1);
    CHECK(r.audited("started", Outcome::started) >= 11);
}

TEST_CASE("runbook e2e: handover, status and abort from chat", "[e2e][runbooks]") {
    RunbookBot r;
    r.bot.start();
    r.slash("start restore-db acme db1.example.net /tmp/acme.sql");
    REQUIRE(r.wait_for_text("Step 1/6: Stop the other containers"));
    CHECK_THAT(r.slash("handover 1 <@U01ALICE01|alice>", kAlice),
               Catch::Contains("Only <@U02BOB0002>"));
    CHECK_THAT(r.slash("handover 1 <@U01ALICE01|alice>"),
               Catch::Contains("handed run 1 over to <@U01ALICE01>"));
    CHECK_THAT(r.press(kBob, "done", 1), Catch::Contains("Only <@U01ALICE01>"));
    CHECK_THAT(r.press(kAlice, "done", 1), Catch::Contains("confirmed"));
    CHECK_THAT(r.slash("status 1"),
               Catch::Contains("step 2/6 (Copy the dump into the db container)"));
    CHECK_THAT(r.press(kAlice, "skip", 2), Catch::Contains("cannot be skipped"));
    CHECK_THAT(r.press(kAlice, "abort", 2), Catch::Contains("Run 1 of restore-db aborted"));
    CHECK(r.wait_for_text("(run 1) aborted"));
    CHECK_THAT(r.press(kAlice, "done", 2), Catch::Contains("is already aborted"));
    CHECK(r.audited("runbook abort", Outcome::cancelled) == 1);
}

TEST_CASE("runbook e2e: check-config rejects an invalid runbook with its line", "[e2e][runbooks]") {
    test::TempDir dir;
    const auto bad = dir.write("bad.yaml", catalogue_with_runbooks(std::string(OPSBOT_SOURCE_DIR) +
                                                                   "/tests/data/runbooks/invalid"));
    const auto refused = test::run_process({OPSBOT_BINARY, {"check-config", bad}, {}, "", "", 60});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err,
               Catch::Contains("broken.yaml:10:13: error: unknown action 'purge-cache' in step 1"));
    CHECK_THAT(refused.err, Catch::Contains("broken.yaml:12:") &&
                                Catch::Contains("unknown parameter {hots} in step 2"));
    CHECK_THAT(refused.err, Catch::Contains("3 problem(s)"));

    const auto good = dir.write("good.yaml", catalogue_with_runbooks());
    const auto ok = test::run_process({OPSBOT_BINARY, {"check-config", good}, {}, "", "", 60});
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::Contains("2 runbook(s)"));

    // opsbot itself refuses to start on it, with the same report.
    const auto start = test::run_process({OPSBOT_BINARY,
                                          {"console"},
                                          {{"OPSBOT_CONFIG", bad}, {"OPSBOT_DB", dir.file("x.db")}},
                                          "",
                                          "",
                                          60});
    CHECK(start.exit_code != 0);
    CHECK_THAT(start.err, Catch::Contains("unknown action 'purge-cache'"));
}

TEST_CASE("runbook e2e: the console drives a run to its end", "[e2e][runbooks]") {
    test::TempDir dir;
    const test::TestDatabase store{test::e2e_backend(), dir.file("opsbot.db")};
    const std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", catalogue_with_runbooks())}, store.env()};
    std::string input =
        "runbook list\nrunbook start restore-db acme db1.example.net /tmp/acme.sql "
        "\"template=-T template_postgis\"\n";
    for (int i = 0; i < 6; ++i) input += "runbook done 1\n";
    input += "runbook report 1\n";
    const auto result = test::run_process({OPSBOT_BINARY, {"console"}, env, input, "", 60});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("restore-db — Restore a database dump"));
    CHECK_THAT(result.out, Catch::Contains("Step 1/6: Stop the other containers"));
    CHECK_THAT(result.out, Catch::Contains("Step 6/6: Start the containers again"));
    CHECK_THAT(result.out, Catch::Contains("createdb -U postgres -T template_postgis acme"));
    CHECK_THAT(result.out, Catch::Contains("Run 1 finished"));
    CHECK_THAT(result.out, Catch::Contains("✅ 4. Create the database — done"));
    CHECK_THAT(result.out, Catch::Contains("Downtime: "));
}
