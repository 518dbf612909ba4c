// Forms end to end: a bare slash command opens the command's modal (the real
// opsbot binary, the fake Slack's views with their 3 s triggers and block
// limits, the fake Jenkins); options, redraws and submissions come back as
// Slack sends them, and a submission runs the command as typed.

#include <catch2/catch.hpp>

#include "tests/support/deploy_bot.hpp"
#include "tests/support/form_driver.hpp"

using namespace opsbot;
using namespace opsbot::test;
using namespace std::chrono_literals;

TEST_CASE("forms e2e: a bare /deploy or /ops deploy opens the form its declaration makes",
          "[e2e][forms]") {
    SlackBot bot(catalogue_with_deployer_permissions("deploy, purge, lock"));
    bot.start();
    const auto view = open_form(bot, "/deploy", "", kAlice).view;
    CHECK(view.value("callback_id", "") == "opsbot_form:deploy");
    CHECK(block_ids(view) ==
          std::vector<std::string>{"project", "env", "ref", "--override-freeze", "switches"});
    CHECK(block(view, "project")["element"].value("type", "") == "external_select");
    CHECK(block(view, "env")["element"].value("type", "") == "static_select");
    CHECK(block(view, "ref")["optional"] == true);
    CHECK(block(view, "ref")["hint"].value("text", "") ==
          "branch, tag or commit (default: develop for stage, master for prod)");
    CHECK(block(view, "switches")["element"]["options"][0].value("value", "") == "dry-run");
    // Nothing ran: no answer went to the slash command.
    CHECK(bot.slack.responses().empty());

    const auto lock = open_form(bot, "/ops", "lock", kBob).view;
    CHECK(block_ids(lock) ==
          std::vector<std::string>{"project", "env", "reason", "ttl", "switches"});
    // A command with arguments still runs as typed.
    bot.slack.send_slash({.text = "whoami", .command = "/ops", .user = kAlice});
    REQUIRE(bot.slack.wait_for_responses(1));
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: a project select offers what the person may use, filtered as they type",
          "[e2e][forms]") {
    SlackBot bot(catalogue_with_deployer_permissions("deploy, purge, lock"));
    bot.start();
    const auto alices = open_form(bot, "/deploy", "", kAlice).id();
    CHECK(offered(bot, kAlice, alices, "") == std::vector<std::string>{"acme", "globex"});
    CHECK(offered(bot, kAlice, alices, "GLO") == std::vector<std::string>{"globex"});
    CHECK(offered(bot, kAlice, alices, "shop") == std::vector<std::string>{"globex"});  // its name
    CHECK(offered(bot, kAlice, alices, "zzz").empty());

    const auto bobs = open_form(bot, "/deploy", "", kBob).id();
    CHECK(offered(bot, kBob, bobs, "") == std::vector<std::string>{"acme"});
    // Alice may not lock anything.
    const auto lock = open_form(bot, "/lock", "", kAlice).id();
    CHECK(offered(bot, kAlice, lock, "").empty());
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: a stage deploy made from the form runs as typed, audited as from a modal",
          "[e2e][forms][deploy]") {
    DeployBot d;
    d.bot.start();
    auto& slack = d.bot.slack;
    const auto envelope = slack.send_slash({.text = "", .command = "/deploy", .user = kAlice});
    const auto opened = slack.views().wait_for_opened(slack.trigger_of(envelope));
    REQUIRE(opened);
    const std::string view_id = opened->at("id");

    // Choosing the environment prefills the ref with its branch.
    slack.send_view_action(kAlice, view_id, "opsbot_field:env", "stage",
                           {{"project", project("acme")}});
    const auto redrawn = slack.views().wait_for_view(view_id, [](const nlohmann::json& view) {
        return view.dump().find("\"initial_value\":\"develop\"") != std::string::npos;
    });
    REQUIRE(redrawn);
    CHECK(block(*redrawn, "project")["element"]["initial_option"].value("value", "") == "acme");

    const auto answer = submit(d.bot, kAlice, view_id,
                               {{"project", project("acme")},
                                {"env", FakeViews::select("stage")},
                                {"ref", FakeViews::text("develop")}});
    CHECK(answer == nlohmann::json::object());  // closes the modal
    const auto reply = slack.wait_for_response_to(envelope, 15s);
    REQUIRE(reply);
    CHECK_THAT(text_of(*reply), Catch::Contains("Deploying *acme stage* (`develop`)"));
    REQUIRE(d.jenkins.triggers().size() == 1);
    CHECK(d.jenkins.triggers()[0].body == "BRANCH=develop");
    REQUIRE(d.wait_for_message("Deploy #1 of acme stage succeeded (SUCCESS)"));

    const auto rows = modal_rows(d.audit_rows());
    REQUIRE(rows.size() >= 2);
    CHECK(rows.front().command == "deploy acme stage develop");
    CHECK(rows.front().outcome == Outcome::accepted);
    CHECK(rows.front().actor_id == kAlice);
    CHECK(std::any_of(rows.begin(), rows.end(),
                      [](const AuditRecord& r) { return r.outcome == Outcome::succeeded; }));
    CHECK(d.bot.audit_rows().size() > rows.size());  // the follower's rows are its own
    CHECK(slack.views().refusals().empty());
}

// Slack keeps what is in an input across views.update when its block_id and
// action_id are unchanged (FakeViews::shown plays that rule): the branch
// opsbot fills in must still replace the one before it, and what the person
// typed must stay.
TEST_CASE("forms e2e: the ref follows the environment chosen, and what was typed stays",
          "[e2e][forms]") {
    SlackBot bot;
    bot.start();
    auto& views = bot.slack.views();
    const auto id = open_form(bot, "/deploy", "", kBob).id();
    const auto redrawn = [&](std::size_t updates) {
        return FakeHttpServer::wait_until([&] { return views.updates(id) >= updates; });
    };
    const auto choose = [&](const std::string& env, nlohmann::json values) {
        values["project"] = project("acme");
        bot.slack.send_view_action(kBob, id, "opsbot_field:env", env, values);
    };
    choose("stage", {});
    REQUIRE(redrawn(1));
    CHECK(views.shown(id, "ref") == "develop");
    choose("prod", {{"env", FakeViews::select("stage")}, {"ref", FakeViews::text("develop")}});
    REQUIRE(redrawn(2));
    CHECK(views.shown(id, "ref") == "master");
    choose("stage", {{"env", FakeViews::select("prod")}, {"ref", FakeViews::text("v1.2.3")}});
    REQUIRE(redrawn(3));
    CHECK(views.shown(id, "ref") == "v1.2.3");
    CHECK(views.refusals().empty());
}

TEST_CASE("forms e2e: a prod deploy's form shows its plan and still waits for a second person",
          "[e2e][forms][deploy]") {
    DeployBot d;
    d.bot.start();
    auto& slack = d.bot.slack;
    const auto envelope = slack.send_slash({.text = "deploy", .command = "/ops", .user = kBob});
    const auto opened = slack.views().wait_for_opened(slack.trigger_of(envelope));
    REQUIRE(opened);
    const std::string view_id = opened->at("id");
    slack.send_view_action(kBob, view_id, "opsbot_field:env", "prod",
                           {{"project", project("acme")}});
    const auto planned = slack.views().wait_for_view(view_id, [](const nlohmann::json& view) {
        return view.dump().find("Deploy acme to prod") != std::string::npos;
    });
    REQUIRE(planned);
    CHECK(planned->dump().find("\"initial_value\":\"master\"") != std::string::npos);

    CHECK(submit(d.bot, kBob, view_id,
                 {{"project", project("acme")},
                  {"env", FakeViews::select("prod")},
                  {"ref", FakeViews::text("master")}}) == nlohmann::json::object());
    const auto asked = slack.wait_for_response_to(envelope, 15s);
    REQUIRE(asked);
    CHECK(asked->value("response_type", "") == "in_channel");
    CHECK_THAT(text_of(*asked), Catch::Contains("*Deploy acme to prod*"));
    CHECK(d.jenkins.triggers().empty());
    const auto by_bob = d.press(kBob, "opsbot_confirm", confirmation_id(text_of(*asked)));
    CHECK_THAT(text_of(by_bob), Catch::Contains("needs a second person"));
    const auto by_carol = d.press(kCarol, "opsbot_confirm", confirmation_id(text_of(*asked)));
    CHECK_THAT(text_of(by_carol), Catch::Contains("Deploying *acme prod* (`master`)"));
    REQUIRE(d.jenkins.triggers().size() == 1);

    const auto rows = modal_rows(d.audit_rows());
    CHECK(std::any_of(rows.begin(), rows.end(), [](const AuditRecord& r) {
        return r.outcome == Outcome::accepted && r.external_ref.rfind("confirmation ", 0) == 0;
    }));
    CHECK(slack.views().refusals().empty());
}

TEST_CASE("forms e2e: invalid input is answered next to its field, and audited", "[e2e][forms]") {
    SlackBot bot(catalogue_with_deployer_permissions("deploy, purge, lock"));
    bot.start();
    const auto deploy = open_form(bot, "/deploy", "", kAlice).id();
    const auto unknown = submit(
        bot, kAlice, deploy, {{"project", project("acmee")}, {"env", FakeViews::select("stage")}});
    CHECK(unknown.value("response_action", "") == "errors");
    CHECK_THAT(unknown["errors"].value("project", ""),
               Catch::StartsWith("unknown project 'acmee' — did you mean 'acme'?"));

    const auto missing = submit(bot, kAlice, deploy, {{"ref", FakeViews::text("develop")}});
    CHECK(missing["errors"] ==
          nlohmann::json{{"project", "Choose a project."}, {"env", "Choose an environment."}});

    // Alice deploys stage only.
    const auto denied = submit(bot, kAlice, deploy,
                               {{"project", project("acme")}, {"env", FakeViews::select("prod")}});
    CHECK_THAT(denied["errors"].value("env", ""), Catch::Contains("'deploy' on acme/prod"));
    CHECK_FALSE(denied["errors"].contains("project"));

    const auto lock_form = open_form(bot, "/lock", "", kBob);
    const auto lock = lock_form.id();
    const auto bad = submit(bot, kBob, lock,
                            {{"project", project("acme")},
                             {"env", FakeViews::select("prod")},
                             {"ttl", FakeViews::text("soon")}});
    CHECK(bad["errors"].value("reason", "") == "Required: why, in quotes.");
    CHECK_THAT(bad["errors"].value("ttl", ""), Catch::StartsWith("'soon' is not a duration"));
    // Nothing ran, and each refusal has its row.
    CHECK(bot.slack.responses().empty());
    const auto rows = modal_rows(bot.audit_rows());
    REQUIRE(rows.size() == 4);
    CHECK(rows[1].outcome == Outcome::denied);
    CHECK(rows[3].outcome == Outcome::parse_error);
    CHECK_THAT(rows[3].error, Catch::Contains("unknown project 'acmee'"));
    bot.process->wait_for_log("refused in its form");

    // A reason with spaces goes through quoted, as typed.
    CHECK(submit(bot, kBob, lock,
                 {{"project", project("acme")},
                  {"env", FakeViews::select("prod")},
                  {"reason", FakeViews::text("database migration")},
                  {"ttl", FakeViews::text("2h")}}) == nlohmann::json::object());
    const auto locked = bot.slack.wait_for_response_to(lock_form.envelope, 10s);
    REQUIRE(locked);
    CHECK_THAT(text_of(*locked), Catch::Contains("database migration"));
    CHECK(modal_rows(bot.audit_rows()).front().command ==
          "lock acme prod \"database migration\" 2h");
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: an expired trigger is answered with what to type instead, and audited",
          "[e2e][forms]") {
    SlackBot bot;
    bot.start();
    bot.slack.views().expire_triggers(true);
    const auto envelope = bot.slack.send_slash({.text = "", .command = "/deploy", .user = kAlice});
    const auto answer = bot.slack.wait_for_response_to(envelope, 10s);
    REQUIRE(answer);
    CHECK(answer->value("response_type", "") == "ephemeral");
    CHECK_THAT(text_of(*answer), Catch::Contains("The `deploy` form could not open"));
    CHECK_THAT(text_of(*answer), Catch::Contains("expired"));
    CHECK_THAT(text_of(*answer), Catch::Contains("`/deploy acme stage`"));
    CHECK(bot.slack.views().trigger_refusals() == 1);
    bot.process->wait_for_log("did not open");
    const auto rows = modal_rows(bot.audit_rows());
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::failed);
    CHECK_THAT(rows[0].error, Catch::Contains("expired_trigger_id"));
    CHECK(bot.audit_rows().size() == 1);  // the command itself never ran
}

TEST_CASE("forms e2e: runbook start offers the runbooks, then the chosen one's parameters",
          "[e2e][forms][runbooks]") {
    SlackBot bot(catalogue_with_deployer_permissions("deploy, purge, runbook") +
                 "runbooks: " + OPSBOT_SOURCE_DIR + "/config/runbooks\n");
    bot.start();
    const auto form = open_form(bot, "/runbook", "start", kBob);
    CHECK(block_ids(form.view) == std::vector<std::string>{"name", "switches"});
    const auto& names = block(form.view, "name")["element"]["options"];
    CHECK(names.dump().find("\"value\":\"move-site\"") != std::string::npos);

    bot.slack.send_view_action(kBob, form.id(), "opsbot_field:name", "move-site");
    const auto chosen = bot.slack.views().wait_for_view(form.id(), [](const nlohmann::json& view) {
        return view.dump().find("arg:old_host") != std::string::npos;
    });
    REQUIRE(chosen);
    CHECK(block(*chosen, "arg:project")["element"].value("type", "") == "external_select");
    CHECK(block(*chosen, "arg:port")["element"].value("initial_value", "") == "8080");
    CHECK(block(*chosen, "arg:port")["optional"] == true);
    CHECK_THAT(block(*chosen, "arg:db")["hint"].value("text", ""),
               Catch::Contains("(default: {project})"));
    CHECK(block(*chosen, "arg:new_ip")["optional"] == false);

    const nlohmann::json values{{"name", FakeViews::select("move-site")},
                                {"arg:project", project("acme")},
                                {"arg:old_host", FakeViews::text("old.example.net")},
                                {"arg:new_host", FakeViews::text("new.example.net")},
                                {"switches", FakeViews::checked({"dry-run"})}};
    const auto missing = submit(bot, kBob, form.id(), values);
    CHECK(missing["errors"] ==
          nlohmann::json{{"arg:new_ip",
                          "Required: the new server's public IP address (the A record's new "
                          "content)."}});
    auto complete = values;
    complete["arg:new_ip"] = FakeViews::text("203.0.113.7");
    CHECK(submit(bot, kBob, form.id(), complete) == nlohmann::json::object());
    const auto reply = bot.slack.wait_for_response_to(form.envelope, 10s);
    REQUIRE(reply);
    CHECK_THAT(text_of(*reply), Catch::Contains("Dry run: would start move-site"));
    CHECK(modal_rows(bot.audit_rows()).front().command ==
          "runbook start move-site project=acme old_host=old.example.net "
          "new_host=new.example.net new_ip=203.0.113.7 --dry-run");
    CHECK(bot.slack.views().refusals().empty());
}
