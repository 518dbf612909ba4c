// Deploys end to end: the real opsbot binary, the fake Slack and the fake
// Jenkins, all on loopback; the audit log read back from opsbot's database.

#include <catch2/catch.hpp>

#include "tests/support/deploy_bot.hpp"

using namespace opsbot;
using namespace opsbot::test;
using namespace std::chrono_literals;

TEST_CASE("deploy e2e: a stage deploy runs, reports in one status message, and is audited",
          "[deploy][e2e]") {
    DeployBot d;
    d.bot.start();
    const auto reply = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK(reply.value("response_type", "") == "in_channel");
    CHECK_THAT(text_of(reply), Catch::Contains("Deploying *acme stage* (`develop`)"));

    const auto triggers = d.jenkins.triggers();
    REQUIRE(triggers.size() == 1);
    CHECK(triggers[0].path() == "/job/clients/job/acme/job/deploy-stage/buildWithParameters");
    CHECK(triggers[0].body == "BRANCH=develop");

    REQUIRE(d.wait_for_message("Deploy #1 of acme stage succeeded (SUCCESS)"));
    const auto posts = d.bot.slack.api_calls("chat.postMessage");
    REQUIRE(posts.size() == 2);  // the status message, then the result in its thread
    CHECK_THAT(posts[0].value("text", ""), Catch::Contains("queued in Jenkins"));
    CHECK(posts[1].value("thread_ts", "") != "");
    const auto updates = d.bot.slack.api_calls("chat.update");
    REQUIRE_FALSE(updates.empty());
    CHECK(updates.back().value("ts", "") == posts[1].value("thread_ts", ""));
    CHECK_THAT(updates.back().value("text", ""), Catch::Contains("succeeded (SUCCESS)"));

    const auto build_url = d.jenkins.builds(kStageJob).at(0).url;
    const auto rows = d.audit_rows();
    CHECK(has_row(rows, Outcome::started, build_url));
    CHECK(has_row(rows, Outcome::succeeded, build_url));
    CHECK_THAT(d.bot.process->log(), !Catch::Contains(FakeJenkins::kToken));

    const auto history = d.slash("/ops", "deploys acme", "U01ALICE01");
    // With the commit the build reported: c6d86dc, the fake's default checkout.
    CHECK_THAT(text_of(history),
               Catch::Contains("#1 acme stage `develop` (`c6d86dc`) — succeeded (SUCCESS)"));
    CHECK_THAT(text_of(history), Catch::Contains(build_url));

    // The lock went with the build: the next deploy starts.
    const auto again = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(again), Catch::Contains("Deploying"));
}

TEST_CASE("deploy e2e: prod waits for a confirmation from a second person with the role",
          "[deploy][e2e]") {
    DeployBot d;
    d.bot.start();
    const auto plan = d.slash("/deploy", "acme prod", "U02BOB0002");
    CHECK(plan.value("response_type", "") == "in_channel");
    CHECK_THAT(text_of(plan), Catch::Contains("*Deploy acme to prod*"));
    CHECK_THAT(plan.dump(), Catch::Contains("opsbot_confirm"));
    const auto id = confirmation_id(text_of(plan));
    CHECK(d.jenkins.triggers().empty());

    const auto by_alice = d.press("U01ALICE01", "opsbot_confirm", id);
    CHECK(by_alice.value("response_type", "") == "ephemeral");
    CHECK(by_alice.value("replace_original", true) == false);
    CHECK_THAT(text_of(by_alice), Catch::Contains("You cannot confirm this"));
    const auto by_bob = d.press("U02BOB0002", "opsbot_confirm", id);
    CHECK_THAT(text_of(by_bob), Catch::Contains("needs a second person"));
    CHECK(d.jenkins.triggers().empty());

    const auto by_carol = d.press("U03CAROL03", "opsbot_confirm", id);
    CHECK(by_carol.value("replace_original", false) == true);
    CHECK_THAT(text_of(by_carol), Catch::StartsWith("Confirmed by <@U03CAROL03>."));
    CHECK_THAT(text_of(by_carol), Catch::Contains("Deploying *acme prod* (`master`)"));
    REQUIRE(d.jenkins.triggers().size() == 1);
    CHECK(d.jenkins.triggers()[0].body == "BRANCH=master");
    REQUIRE(d.wait_for_message("Deploy #1 of acme prod succeeded"));

    const auto rows = d.audit_rows();
    const auto confirmed = std::find_if(rows.begin(), rows.end(), [](const AuditRecord& r) {
        return r.outcome == Outcome::confirmed;
    });
    REQUIRE(confirmed != rows.end());
    CHECK(confirmed->actor_id == "U03CAROL03");
    CHECK(has_row(rows, Outcome::denied, "confirmation " + id));
}

TEST_CASE("deploy e2e: one deploy at a time, and a manual lock refuses deploys", "[deploy][e2e]") {
    DeployBot d;
    d.jenkins.set_timing(0ms, 60s);
    d.bot.start();
    d.slash("/deploy", "acme stage", "U01ALICE01");
    REQUIRE(d.wait_for_message("building <"));
    const auto second = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(second),
               Catch::Contains("Cannot deploy acme stage: locked by <@U01ALICE01> (deploy)"));
    CHECK_THAT(text_of(second), Catch::Contains(d.jenkins.builds(kStageJob).at(0).url));
    CHECK(d.jenkins.triggers().size() == 1);

    const auto locked = d.slash("/ops", "lock globex stage \"db migration\" 1h", "U03CAROL03");
    CHECK_THAT(text_of(locked),
               Catch::Contains("globex stage is locked by <@U03CAROL03> (manual)"));
    const auto refused = d.slash("/deploy", "globex stage", "U01ALICE01");
    CHECK_THAT(text_of(refused),
               Catch::Contains("Cannot deploy globex stage: locked by <@U03CAROL03> (manual)"));
    CHECK_THAT(text_of(refused), Catch::Contains("db migration"));
    CHECK(d.jenkins.builds("clients/globex/deploy-stage").empty());
    d.slash("/ops", "unlock globex stage", "U03CAROL03");
    CHECK_THAT(text_of(d.slash("/deploy", "globex stage", "U01ALICE01")),
               Catch::Contains("Deploying"));
}

TEST_CASE("deploy e2e: Jenkins down fails the deploy clearly and frees the lock", "[deploy][e2e]") {
    DeployBot d;
    d.jenkins.fail_next(100, 503);
    d.bot.start();
    const auto failed = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(failed), Catch::Contains("Deploy of acme stage did not start"));
    CHECK_THAT(text_of(failed), Catch::Contains("503"));
    const auto rows = d.audit_rows();
    CHECK(std::any_of(rows.begin(), rows.end(), [](const AuditRecord& r) {
        return r.outcome == Outcome::failed &&
               r.error.find("jenkins_unavailable") != std::string::npos;
    }));
    d.jenkins.fail_next(0);
    const auto retried = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(retried), Catch::Contains("Deploying"));
}

TEST_CASE("deploy e2e: a restart mid-build keeps the lock and finishes the report",
          "[deploy][e2e]") {
    DeployBot d;
    d.jenkins.set_timing(0ms, 60s);
    d.bot.start();
    d.slash("/deploy", "acme stage", "U01ALICE01");
    REQUIRE(d.wait_for_message("building <"));
    d.bot.stop();
    d.bot.start();
    const auto refused = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(refused), Catch::Contains("locked by"));
    d.jenkins.finish_running_builds();
    REQUIRE(d.wait_for_message("Deploy #1 of acme stage succeeded"));
    const auto again = d.slash("/deploy", "acme stage", "U01ALICE01");
    CHECK_THAT(text_of(again), Catch::Contains("Deploying"));
}

TEST_CASE("deploy e2e: Jenkins notifications need the token and end a deploy once",
          "[deploy][e2e]") {
    DeployBot d;
    d.jenkins.set_timing(0ms, 60s);
    d.bot.env["OPSBOT_DEPLOY_POLL_INTERVAL"] = "30s";  // the webhook, not polling, ends it
    d.bot.start();
    d.slash("/deploy", "acme stage", "U01ALICE01");
    REQUIRE(FakeHttpServer::wait_until([&] { return !d.jenkins.builds(kStageJob).empty(); }));
    d.jenkins.finish_running_builds();
    const auto body = d.jenkins.notification_json(kStageJob, 1, "COMPLETED", "SUCCESS");

    const auto forged = d.bot.post("/hooks/jenkins?token=wrong", body);
    CHECK(forged.status == 401);
    const auto missing = d.bot.post("/hooks/jenkins", body);
    CHECK(missing.status == 401);
    const auto rows = d.audit_rows();
    CHECK(std::count_if(rows.begin(), rows.end(), [](const AuditRecord& r) {
              return r.outcome == Outcome::rejected && r.source == Source::webhook;
          }) == 2);

    const auto good = d.bot.post("/hooks/jenkins?token=" + std::string(kWebhookToken), body);
    CHECK(good.status == 200);
    REQUIRE(d.wait_for_message("Deploy #1 of acme stage succeeded"));
    // FINALIZED after COMPLETED: the thread shows the end once.
    d.bot.post("/hooks/jenkins", d.jenkins.notification_json(kStageJob, 1, "FINALIZED", "SUCCESS"),
               {{"Content-Type", "application/json"}, {"X-Jenkins-Token", kWebhookToken}});
    // A foreign build's notification, queued behind FINALIZED: once it is
    // relayed, FINALIZED was handled, and any second end would be out too.
    d.bot.post("/hooks/jenkins", d.jenkins.notification_json(kStageJob, 2, "COMPLETED", "SUCCESS"),
               {{"Content-Type", "application/json"}, {"X-Jenkins-Token", kWebhookToken}});
    REQUIRE(d.wait_for_message("Jenkins build of acme stage"));
    int ends = 0;
    for (const auto& text : d.messages())
        if (text.find("Deploy #1 of acme stage succeeded") != std::string::npos) ++ends;
    CHECK(ends == 1);
    CHECK_THAT(d.bot.process->log(), !Catch::Contains(kWebhookToken));
}

TEST_CASE("deploy e2e: a failed master build not started by opsbot mentions the committer",
          "[deploy][e2e]") {
    DeployBot d;
    d.bot.slack.add_user_email("alice@example.com", "U01ALICE01");
    d.bot.start();
    d.jenkins.set_timing(0ms, 0ms);
    d.jenkins.set_next_result("FAILURE");
    // Someone pushed to master and Jenkins built it by itself.
    CurlHttpClient http;
    const auto triggered = http.send(
        {"POST",
         d.jenkins.base_url() + "job/clients/job/acme/job/deploy-prod/build",
         {{"Authorization", "Basic b3BzYm90OjExZDVlM2Y0YTliOGM3ZDZlNWY0YTNiMmMxZDBlOWY4YTc="}},
         ""});
    REQUIRE(triggered.ok());
    REQUIRE(d.jenkins.wait_for_result(kProdJob, 1));
    const auto posted =
        d.bot.post("/hooks/jenkins?token=" + std::string(kWebhookToken),
                   d.jenkins.notification_json(kProdJob, 1, "COMPLETED", "FAILURE"));
    CHECK(posted.status == 200);
    REQUIRE(d.wait_for_message("FAILURE"));
    const auto calls = d.bot.slack.api_calls("chat.postMessage");
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back().value("channel", "") == "#acme");
    CHECK_THAT(calls.back().value("text", ""), Catch::Contains("<@U01ALICE01>"));
}

TEST_CASE("deploy e2e: a freeze refuses prod, an override runs with a second holder, audited",
          "[deploy][e2e][freeze]") {
    std::string yaml = catalogue_with_carol();
    yaml.replace(yaml.find("roles:\n"), 7,
                 "roles:\n  release-manager:\n    permissions: [freeze-override]\n"
                 "    environments: [prod]\n");
    DeployBot d(yaml +
                "  - user: U02BOB0002\n    roles: [release-manager]\n"
                "  - user: U03CAROL03\n    roles: [release-manager]\n"
                "freeze:\n  - name: Code freeze\n    from: 2000-01-01\n    to: 2099-12-31\n"
                "    time_zone: Europe/Berlin\n");
    d.bot.start();
    const auto refused = d.slash("/deploy", "acme prod", "U02BOB0002");
    CHECK_THAT(text_of(refused),
               Catch::StartsWith("Cannot deploy acme prod: freeze window 'Code freeze' (everyone) "
                                 "is in force until Fri 2100-01-01 00:00 CET (2099-12-31 23:00 "
                                 "UTC), in "));
    CHECK_THAT(text_of(refused), Catch::Contains("--override-freeze \"<reason>\""));

    const auto plan =
        d.slash("/deploy", "acme prod --override-freeze \"checkout is down\"", "U02BOB0002");
    CHECK_THAT(text_of(plan),
               Catch::Contains("*Overrides the freeze*: freeze window 'Code freeze'"));
    CHECK_THAT(text_of(plan), Catch::Contains("• reason: checkout is down"));
    const auto id = confirmation_id(text_of(plan));
    CHECK_THAT(text_of(d.press("U02BOB0002", "opsbot_confirm", id)),
               Catch::Contains("needs a second person"));
    CHECK(d.jenkins.triggers().empty());

    const auto by_carol = d.press("U03CAROL03", "opsbot_confirm", id);
    CHECK_THAT(text_of(by_carol), Catch::StartsWith("Confirmed by <@U03CAROL03>."));
    REQUIRE(d.jenkins.triggers().size() == 1);
    REQUIRE(d.wait_for_message("Deploy #1 of acme prod succeeded"));

    const std::string note =
        "freeze override: Code freeze (everyone, until 2099-12-31T23:00:00.000Z): checkout is down";
    std::vector<std::string> overridden;
    for (const auto& row : d.audit_rows())
        if (row.error == note) overridden.push_back(to_string(row.outcome) + (" " + row.actor_id));
    CHECK(overridden == std::vector<std::string>{"accepted U02BOB0002", "confirmed U03CAROL03",
                                                 "accepted U02BOB0002", "succeeded U02BOB0002"});
}
