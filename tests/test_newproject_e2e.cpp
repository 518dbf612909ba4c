// newproject end to end: the real opsbot binary in Slack mode against the
// fake Slack, Sentry, Jenkins and Cloudflare on loopback; and the console's
// dry run, and export-catalogue reading the registry back.

#include <catch2/catch.hpp>

#include "tests/fakes/fake_cloudflare.hpp"
#include "tests/fakes/fake_jenkins.hpp"
#include "tests/fakes/fake_sentry.hpp"
#include "tests/support/process.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeCloudflare;
using test::FakeHttpServer;
using test::FakeJenkins;
using test::FakeSentry;

namespace {

constexpr const char* kAda = "U09ADA0009";  // admin
constexpr const char* kBob = "U02BOB0002";  // prod deployer, not admin
constexpr const char* kZone = "9a7806061c88ada191ed06f989cc3dac";
constexpr const char* kRepo = "git@git.example.com:clients/acme-shop.git";
constexpr const char* kCommand =
    "acme-shop acme-shop.com 203.0.113.10 --name \"ACME Shop\" --repo "
    "git@git.example.com:clients/acme-shop.git";

std::string catalogue_with_admin() {
    std::string yaml = test::catalogue_with_deployer_permissions("deploy, purge");
    const std::string members = "members:\n";
    yaml.replace(yaml.find(members), members.size(),
                 "  admin:\n    description: Everything\n    permissions: [\"*\"]\n"
                 "    environments: [stage, prod]\nmembers:\n  - user: U09ADA0009\n"
                 "    name: Ada\n    roles: [admin]\n");
    return yaml;
}

struct NewProjectBot {
    FakeSentry sentry;  // first: they outlive the opsbot process
    FakeJenkins jenkins;
    FakeCloudflare cloudflare;
    test::SlackBot bot{catalogue_with_admin()};

    NewProjectBot() {
        sentry.add_team("web");
        jenkins.add_folder("clients");
        jenkins.set_timing(50ms, 100ms);
        cloudflare.add_zone(kZone, "acme-shop.com");
        auto& env = bot.env;
        env["SENTRY_URL"] = sentry.base_url();
        env["SENTRY_AUTH_TOKEN"] = FakeSentry::kToken;
        env["SENTRY_ORG"] = FakeSentry::kOrg;
        env["SENTRY_TEAM"] = "web";
        env["SENTRY_APP_SLUG"] = "opsbot-test";
        env["JENKINS_URL"] = jenkins.base_url();
        env["JENKINS_USER"] = FakeJenkins::kUser;
        env["JENKINS_API_TOKEN"] = FakeJenkins::kToken;
        env["JENKINS_WEBHOOK_TOKEN"] = "hook-token-0042";
        env["OPSBOT_PUBLIC_URL"] = "https://opsbot.example.com/";
        env["OPSBOT_JENKINS_TEMPLATES"] = std::string(OPSBOT_SOURCE_DIR) + "/config/jenkins";
        env["CLOUDFLARE_API_URL"] = cloudflare.api_url();
        env["CLOUDFLARE_API_TOKEN"] = FakeCloudflare::kToken;
        env["OPSBOT_DEPLOY_POLL_INTERVAL"] = "1s";
    }

    nlohmann::json slash(const std::string& command, const std::string& text,
                         const std::string& user) {
        const auto before = bot.slack.responses().size();
        bot.slack.send_slash({.text = text, .command = command, .user = user});
        REQUIRE(bot.slack.wait_for_responses(before + 1, 30s));
        return bot.slack.responses().at(before);
    }

    nlohmann::json press(const std::string& user, const std::string& action,
                         const std::string& id) {
        const auto before = bot.slack.responses().size();
        bot.slack.send_block_action(user, action, id);
        REQUIRE(bot.slack.wait_for_responses(before + 1, 30s));
        return bot.slack.responses().at(before);
    }

    std::vector<AuditRecord> audit_rows() const { return bot.audit_rows(); }

    std::size_t requests_to(const std::vector<test::RecordedRequest>& requests,
                            const std::string& method, const std::string& path_part) const {
        std::size_t count = 0;
        for (const auto& r : requests)
            if (r.method == method && r.target.find(path_part) != std::string::npos) ++count;
        return count;
    }
};

std::string text_of(const nlohmann::json& response) {
    return response.value("text", "");
}

std::string confirmation_id(const std::string& text) {
    const std::string marker = "`confirm ";
    const auto at = text.find(marker);
    REQUIRE(at != std::string::npos);
    const auto start = at + marker.size();
    return text.substr(start, text.find('`', start) - start);
}

std::string step_line(const std::string& text, const std::string& title) {
    const auto at = text.find("*" + title + "*");
    REQUIRE(at != std::string::npos);
    const auto start = text.rfind('\n', at) + 1;
    return text.substr(start, text.find('\n', at) - start);
}

std::vector<AuditRecord> step_rows(const std::vector<AuditRecord>& rows) {
    std::vector<AuditRecord> out;
    for (const auto& row : rows)
        if (row.command.rfind("newproject acme-shop · ", 0) == 0) out.push_back(row);
    return out;
}

}  // namespace

TEST_CASE(
    "newproject e2e: plan with what exists, admin approval, every service wired, "
    "deploy and purge at once",
    "[newproject][e2e]") {
    NewProjectBot n;
    n.bot.slack.add_channel("acme-shop", "C0SHOP0001");
    const auto direct = n.cloudflare.add_record(kZone, "A", "direct.acme-shop.com", "203.0.113.10");
    n.bot.start();

    const auto plan = n.slash("/newproject", kCommand, kAda);
    const auto plan_text = text_of(plan);
    INFO(plan_text);
    CHECK_THAT(step_line(plan_text, "Slack channel"), Catch::Contains("exists"));
    CHECK_THAT(step_line(plan_text, "Sentry project"), Catch::Contains("create"));
    CHECK_THAT(step_line(plan_text, "Jenkins jobs"),
               Catch::Contains("clients/acme-shop/deploy-stage"));
    CHECK_THAT(step_line(plan_text, "Cloudflare DNS"), Catch::Contains("direct.acme-shop.com"));
    CHECK_THAT(step_line(plan_text, "opsbot catalogue"), Catch::Contains("create"));
    CHECK_THAT(plan.dump(), Catch::Contains("opsbot_confirm"));
    CHECK_FALSE(n.sentry.has_project("acme-shop"));  // nothing made before the approval

    const auto id = confirmation_id(plan_text);
    const auto refused = n.press(kBob, "opsbot_confirm", id);
    CHECK_THAT(text_of(refused), Catch::Contains("cannot confirm"));
    CHECK_FALSE(n.sentry.has_project("acme-shop"));

    const auto done = n.press(kAda, "opsbot_confirm", id);
    const auto done_text = text_of(done);
    INFO(done_text);
    CHECK_THAT(done_text, Catch::Contains("🎉"));
    CHECK_THAT(done_text, Catch::Contains("SENTRY_DSN=" + n.sentry.dsn("acme-shop")));
    CHECK_THAT(done_text, Catch::Contains(n.jenkins.base_url()));

    // Slack: the existing channel used, the requester invited.
    CHECK(n.bot.slack.api_calls("conversations.create").empty());
    const auto invites = n.bot.slack.api_calls("conversations.invite");
    REQUIRE(invites.size() == 1);
    CHECK(invites[0].value("channel", "") == "C0SHOP0001");
    CHECK(invites[0].value("users", "") == kAda);
    // Sentry: the project under the team, one alert rule notifying opsbot.
    CHECK(n.sentry.project_team("acme-shop") == "web");
    const auto rules = n.sentry.project_rules("acme-shop");
    REQUIRE(rules.size() == 1);
    CHECK(rules[0]["actions"][0].value("service", "") == "opsbot-test");
    // Jenkins: both jobs from the templates, filled in.
    for (const char* env : {"stage", "prod"}) {
        const auto job = std::string("clients/acme-shop/deploy-") + env;
        REQUIRE(n.jenkins.has_job(job));
        const auto xml = n.jenkins.config_xml(job);
        CHECK_THAT(xml, Catch::Contains(std::string("<url>") + kRepo + "</url>"));
        CHECK_THAT(xml, Catch::Contains("https://opsbot.example.com/hooks/jenkins?token="
                                        "hook-token-0042"));
        CHECK_THAT(xml, Catch::Contains(std::string("<defaultValue>") +
                                        (env == std::string("prod") ? "master" : "develop")));
    }
    // Cloudflare: the proxied A added, the existing direct record kept.
    const auto records = n.cloudflare.records(kZone);
    REQUIRE(records.size() == 2);
    CHECK(records[0].id == direct);
    CHECK(records[1].type == "A");
    CHECK(records[1].name == "acme-shop.com");
    CHECK(records[1].content == "203.0.113.10");
    CHECK(records[1].proxied);

    // An audit row per step, with the external ids.
    const auto steps = step_rows(n.audit_rows());
    REQUIRE(steps.size() == 5);
    bool channel_row = false, records_row = false;
    for (const auto& row : steps) {
        CHECK(row.outcome == Outcome::succeeded);
        CHECK(row.project == "acme-shop");
        if (row.external_ref == "C0SHOP0001") channel_row = true;
        if (row.external_ref.find(direct) != std::string::npos) records_row = true;
    }
    CHECK(channel_row);
    CHECK(records_row);

    // Usable at once: a deploy and a purge, no restart.
    const auto deploy = n.slash("/deploy", "acme-shop stage", kAda);
    CHECK_THAT(text_of(deploy), Catch::Contains("Deploying *acme-shop stage*"));
    REQUIRE(FakeHttpServer::wait_until(
        [&] { return !n.jenkins.builds("clients/acme-shop/deploy-stage").empty(); }, 10s));
    const auto purge = n.slash("/purge", "acme-shop", kAda);
    CHECK_THAT(text_of(purge), Catch::Contains("Purged everything on acme-shop.com"));
    REQUIRE(n.cloudflare.purges().size() == 1);
    CHECK(n.cloudflare.purges()[0].zone_id == kZone);

    // Again: nothing new is created.
    const auto again = n.slash("/newproject", kCommand, kAda);
    CHECK_THAT(text_of(again), Catch::Contains("exists"));
    n.bot.stop();

    // export-catalogue writes the YAML with the new project, and it checks out.
    const auto exported = n.bot.dir.file("exported.yaml");
    auto run =
        test::run_process({OPSBOT_BINARY, {"export-catalogue", exported}, n.bot.env, "", "", 60});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("1 from the project registry"));
    run = test::run_process({OPSBOT_BINARY, {"check-config", exported}, n.bot.env, "", "", 60});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("3 project(s)"));
}

TEST_CASE(
    "newproject e2e: a failure at the Jenkins step stops the run, resume finishes "
    "without repeating Slack and Sentry",
    "[newproject][e2e]") {
    NewProjectBot n;
    n.bot.start();
    const auto id = confirmation_id(text_of(n.slash("/newproject", kCommand, kAda)));
    n.jenkins.refuse_all(true);
    const auto failed = n.press(kAda, "opsbot_confirm", id);
    const auto failed_text = text_of(failed);
    INFO(failed_text);
    CHECK_THAT(step_line(failed_text, "Slack channel"), Catch::Contains("done"));
    CHECK_THAT(step_line(failed_text, "Sentry project"), Catch::Contains("done"));
    CHECK_THAT(step_line(failed_text, "Jenkins jobs"), Catch::Contains("failed"));
    CHECK_THAT(failed_text, Catch::Contains("401"));
    CHECK_THAT(step_line(failed_text, "Cloudflare DNS"), Catch::Contains("not reached"));
    CHECK_THAT(failed_text, Catch::Contains("newproject resume acme-shop"));
    CHECK(n.cloudflare.records(kZone).empty());
    const auto failed_rows = step_rows(n.audit_rows());
    REQUIRE(failed_rows.size() == 3);
    CHECK(failed_rows[0].outcome == Outcome::failed);  // newest first: jenkins
    CHECK_THAT(failed_rows[0].error, Catch::Contains("401"));

    // Not usable yet: the catalogue step was not reached.
    CHECK_THAT(text_of(n.slash("/deploy", "acme-shop stage", kAda)),
               Catch::Contains("unknown project"));

    n.jenkins.refuse_all(false);
    n.bot.stop();  // and a restart in between: the run is in SQLite
    n.bot.start();
    const auto resumed = n.slash("/ops", "newproject resume acme-shop", kAda);
    const auto resumed_text = text_of(resumed);
    INFO(resumed_text);
    CHECK_THAT(resumed_text, Catch::Contains("🎉"));
    CHECK(n.bot.slack.api_calls("conversations.create").size() == 1);
    CHECK(n.requests_to(n.sentry.server().requests(), "POST", "/teams/") == 1);
    CHECK(n.sentry.project_rules("acme-shop").size() == 1);
    CHECK(n.jenkins.has_job("clients/acme-shop/deploy-prod"));
    CHECK(n.cloudflare.records(kZone).size() == 2);
    CHECK(step_rows(n.audit_rows()).size() == 6);  // three more: jenkins, cloudflare, catalogue
    CHECK_THAT(text_of(n.slash("/deploy", "acme-shop stage", kAda)),
               Catch::Contains("Deploying *acme-shop stage*"));
}

TEST_CASE("newproject e2e: a cancelled plan creates nothing, only admins may ask",
          "[newproject][e2e]") {
    NewProjectBot n;
    n.bot.start();
    const auto denied = n.slash("/newproject", kCommand, kBob);
    CHECK_THAT(text_of(denied), Catch::Contains("newproject"));
    CHECK_THAT(text_of(denied), Catch::Contains("admin"));

    const auto id = confirmation_id(text_of(n.slash("/newproject", kCommand, kAda)));
    const auto cancelled = n.press(kAda, "opsbot_cancel", id);
    CHECK_THAT(text_of(cancelled), Catch::Contains("Cancelled"));
    const auto late = n.press(kAda, "opsbot_confirm", id);
    CHECK_THAT(text_of(late), Catch::Contains("cancelled"));
    CHECK(n.bot.slack.api_calls("conversations.create").empty());
    CHECK_FALSE(n.sentry.has_project("acme-shop"));
    CHECK_FALSE(n.jenkins.has_job("clients/acme-shop/deploy-stage"));
    CHECK(n.cloudflare.records(kZone).empty());
    CHECK(step_rows(n.audit_rows()).empty());
}

TEST_CASE("newproject e2e: the console's dry run prints the plan and the requests",
          "[newproject][e2e]") {
    test::TempDir dir;
    const test::TestDatabase store{test::e2e_backend(), dir.file("opsbot.db")};
    const std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)},
        store.env(),
        {"OPSBOT_JENKINS_TEMPLATES", std::string(OPSBOT_SOURCE_DIR) + "/config/jenkins"},
        {"JENKINS_URL", "http://127.0.0.1:9/"},
        {"SENTRY_ORG", "agency"},
        {"CLOUDFLARE_API_URL", "http://127.0.0.1:9/client/v4/"},
        {"CLOUDFLARE_API_TOKEN", "cf-secret-token-123"}};
    const auto result = test::run_process(
        {OPSBOT_BINARY,
         {"console"},
         env,
         std::string("newproject ") + kCommand + " --dry-run\nnewproject bad_slug x.com 1.2.3.4\n",
         "",
         60});
    INFO(result.out << result.err);
    CHECK_THAT(result.out, Catch::Contains("Dry run: the plan"));
    CHECK_THAT(result.out, Catch::Contains("no Slack connection here"));
    CHECK_THAT(result.out, Catch::Contains("conversations.create"));
    CHECK_THAT(result.out, Catch::Contains("POST http://127.0.0.1:9/job/clients/job/acme-shop/"
                                           "createItem?name=deploy-stage"));
    CHECK_THAT(result.out, Catch::Contains("/api/0/teams/agency/%3CSENTRY_TEAM%3E/projects/"));
    CHECK_THAT(result.out, Catch::Contains("\"proxied\":true"));
    CHECK_THAT(result.out, Catch::Contains("Nothing was changed."));
    CHECK_THAT(result.out, Catch::Contains("'bad_slug' cannot be a project slug"));
    CHECK(result.out.find("cf-secret-token-123") == std::string::npos);
    CHECK(result.err.find("cf-secret-token-123") == std::string::npos);
}
