// opsbot doctor end to end: the real binary checks the fake Slack, Jenkins,
// Sentry, Cloudflare and S3 on loopback with the credentials it is given and
// prints one line each; refused credentials are named without their values.

#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>

#include "tests/fakes/fake_cloudflare.hpp"
#include "tests/fakes/fake_jenkins.hpp"
#include "tests/fakes/fake_s3.hpp"
#include "tests/fakes/fake_sentry.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/git_repos.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using namespace opsbot::test;

namespace {

struct Doctor {
    FakeSlack slack;
    FakeJenkins jenkins;
    FakeSentry sentry;
    FakeCloudflare cloudflare;
    FakeS3 s3;
    TempDir dir;
    std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", kCatalogueYaml)},
        {"OPSBOT_DB", dir.file("opsbot.db")}};

    void configure_all() {
        env["SLACK_APP_TOKEN"] = FakeSlack::kAppToken;
        env["SLACK_BOT_TOKEN"] = FakeSlack::kBotToken;
        env["SLACK_API_URL"] = slack.api_url();
        env["JENKINS_URL"] = jenkins.base_url();
        env["JENKINS_USER"] = FakeJenkins::kUser;
        env["JENKINS_API_TOKEN"] = FakeJenkins::kToken;
        env["SENTRY_URL"] = sentry.base_url();
        env["SENTRY_ORG"] = FakeSentry::kOrg;
        env["SENTRY_AUTH_TOKEN"] = FakeSentry::kToken;
        env["CLOUDFLARE_API_URL"] = cloudflare.api_url();
        env["CLOUDFLARE_API_TOKEN"] = FakeCloudflare::kToken;
        env["BACKUP_BUCKET"] = FakeS3::kBucket;
        env["AWS_ACCESS_KEY_ID"] = FakeS3::kAccessKey;
        env["AWS_SECRET_ACCESS_KEY"] = FakeS3::kSecret;
        env["AWS_REGION"] = FakeS3::kRegion;
        env["S3_ENDPOINT"] = s3.base_url();
    }

    ProcessResult run() const { return run_process({OPSBOT_BINARY, {"doctor"}, env, "", "", 60}); }
};

// service → the rest of its line.
std::map<std::string, std::string> lines_of(const std::string& out) {
    std::map<std::string, std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        const auto gap = line.find("  ");
        REQUIRE(gap != std::string::npos);
        lines[line.substr(0, gap)] = line.substr(line.find_first_not_of(' ', gap));
    }
    return lines;
}

const std::vector<std::string> kServices{"catalogue", "database",   "replicas",
                                         "slack bot", "slack app",  "jenkins",
                                         "sentry",    "cloudflare", "s3"};

}  // namespace

TEST_CASE("doctor: every configured service answers", "[doctor][e2e]") {
    Doctor d;
    d.configure_all();
    const auto result = d.run();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == kServices.size());
    for (const auto& service : kServices) {
        INFO(service);
        CHECK_THAT(lines.at(service), Catch::StartsWith("ok "));
    }
    CHECK_THAT(lines.at("catalogue"), Catch::Contains("2 project(s), 3 role(s)"));
    CHECK_THAT(lines.at("database"), Catch::Contains("writable"));
    CHECK_THAT(lines.at("slack bot"),
               Catch::Contains(std::string("bot user ") + FakeSlack::kBotUserId));
    CHECK_THAT(lines.at("jenkins"),
               Catch::Contains(std::string("knows opsbot as ") + FakeJenkins::kUser));
    CHECK_THAT(lines.at("sentry"), Catch::Contains("organization test-org"));
    CHECK_THAT(lines.at("cloudflare"), Catch::Contains("API token active"));
    CHECK_THAT(lines.at("s3"), Catch::Contains("listed s3://opsbot-backups/backups/"));
    bool listed_one = false;
    for (const auto& request : d.s3.requests())
        listed_one = listed_one || request.target.find("max-keys=1") != std::string::npos;
    CHECK(listed_one);
}

TEST_CASE("doctor and --version say which store is in use", "[doctor][postgres][e2e]") {
    Doctor d;
    PostgresDatabase database;
    SECTION("SQLite by default") {
        CHECK_THAT(lines_of(d.run().out).at("database"),
                   Catch::StartsWith("ok ") &&
                       Catch::Contains("SQLite " + d.dir.file("opsbot.db")) &&
                       Catch::Contains("schema version"));
        const auto version = run_process({OPSBOT_BINARY, {"--version"}, d.env, "", "", 60});
        CHECK_THAT(version.out, Catch::Contains("store: SQLite " + d.dir.file("opsbot.db")));
    }
    SECTION("PostgreSQL with OPSBOT_DATABASE_URL, its password never shown") {
        database.create_role("opsbot_password", "right-horse-battery", true);
        d.env["OPSBOT_DATABASE_URL"] = "postgresql://opsbot_password:right-horse-battery@" +
                                       PostgresDatabase::escaped(shared_postgres_socket()) + "/" +
                                       database.name();
        const auto result = d.run();
        INFO(result.out << result.err);
        CHECK_THAT(lines_of(result.out).at("database"),
                   Catch::StartsWith("ok ") &&
                       Catch::Contains("PostgreSQL " + database.name() +
                                       " on a local socket as opsbot_password") &&
                       Catch::Contains("writable"));
        const auto version = run_process({OPSBOT_BINARY, {"--version"}, d.env, "", "", 60});
        CHECK_THAT(version.out, Catch::Contains("store: PostgreSQL " + database.name()));
        CHECK_THAT(result.out + result.err + version.out + version.err,
                   !Catch::Contains("right-horse-battery"));
    }
}

TEST_CASE("doctor and --version name the replica, and on PostgreSQL the others and the leases",
          "[doctor][postgres][e2e]") {
    Doctor d;
    d.env["OPSBOT_REPLICA_ID"] = "ops-a";
    SECTION("SQLite: one process") {
        CHECK(lines_of(d.run().out).at("replicas") ==
              "ok             this is ops-a; SQLite belongs to one process: no other replicas");
    }
    SECTION("PostgreSQL: who is alive and who holds each singleton work") {
        PostgresDatabase database;
        d.env["OPSBOT_DATABASE_URL"] = database.url();
        REQUIRE(d.run().exit_code == 0);  // migrates: the lease table exists
        const std::string soon = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
        database.sql("INSERT INTO leases VALUES ('replica:ops-b', 'ops-b|h2|41|n1', 1, " + soon +
                     " + 60000), ('replica:ops-c', 'ops-c|h3|42|n2', 1, " + soon +
                     " + 60000), ('replica:ops-gone', 'ops-gone|h4|43|n3', 1, " + soon +
                     " - 1000), ('work:deploys', 'ops-c|h3|42|n2', 4, " + soon +
                     " + 60000), ('work:alerts', 'ops-b|h2|41|n1', 2, " + soon + " + 60000)");
        const auto result = d.run();
        INFO(result.out << result.err);
        CHECK(lines_of(result.out).at("replicas") ==
              "ok             this is ops-a; alive: ops-b, ops-c; alerts: ops-b, deploys: ops-c");
    }
    const auto version = run_process({OPSBOT_BINARY, {"--version"}, d.env, "", "", 60});
    CHECK_THAT(version.out, Catch::Contains("\nreplica: ops-a\n"));
}

TEST_CASE("doctor: refused credentials are reported, their values never", "[doctor][e2e]") {
    Doctor d;
    d.configure_all();
    d.env["SLACK_BOT_TOKEN"] = "xoxb-wrong-bot-token-0001";
    d.env["SLACK_APP_TOKEN"] = "xapp-1-wrong-app-token-0001";
    d.env["JENKINS_API_TOKEN"] = "11wrongwrongwrongwrongwrongwrong00";
    d.env["SENTRY_ORG"] = "other-org";
    d.env["CLOUDFLARE_API_TOKEN"] = "cf-wrong-token-0001";
    d.env["AWS_SECRET_ACCESS_KEY"] = "wrongSecretKeyForTests/0001+abcdefghi";
    const auto result = d.run();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    const auto lines = lines_of(result.out);
    CHECK_THAT(lines.at("catalogue"), Catch::StartsWith("ok "));
    CHECK_THAT(lines.at("slack bot"), Catch::StartsWith("FAILED"));
    CHECK_THAT(lines.at("slack bot"), Catch::Contains("invalid_auth"));
    CHECK_THAT(lines.at("slack app"), Catch::Contains("SLACK_APP_TOKEN was refused by Slack"));
    CHECK_THAT(lines.at("jenkins"), Catch::StartsWith("FAILED"));
    CHECK_THAT(lines.at("jenkins"), Catch::Contains("JENKINS_API_TOKEN"));
    CHECK_THAT(lines.at("sentry"),
               Catch::Contains("Sentry has no organization 'other-org' (SENTRY_ORG)"));
    CHECK_THAT(lines.at("cloudflare"), Catch::StartsWith("FAILED"));
    CHECK_THAT(lines.at("cloudflare"), Catch::Contains("CLOUDFLARE_API_TOKEN"));
    CHECK_THAT(lines.at("s3"), Catch::Contains("AWS_SECRET_ACCESS_KEY is wrong"));
    for (const auto& secret :
         {"wrong-bot-token", "wrong-app-token", "wrongwrongwrong", "cf-wrong-token", "wrongSecret"})
        CHECK_THAT(result.out + result.err, !Catch::Contains(secret));
}

TEST_CASE("doctor: nothing configured is not a failure, a bad catalogue is", "[doctor][e2e]") {
    Doctor d;
    const auto result = d.run();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    for (const auto& service : {"slack bot", "slack app", "jenkins", "sentry", "cloudflare", "s3"})
        CHECK_THAT(lines.at(service), Catch::StartsWith("not configured"));
    CHECK_THAT(lines.at("jenkins"), Catch::Contains("set JENKINS_URL"));
    CHECK(d.slack.api_calls("auth.test").empty());

    d.env["OPSBOT_CONFIG"] = d.dir.write("bad.yaml", "projects:\n  - slug: Bad Slug\n");
    const auto bad = d.run();
    CHECK(bad.exit_code == 1);
    CHECK_THAT(lines_of(bad.out).at("catalogue"), Catch::StartsWith("FAILED"));
    CHECK_THAT(lines_of(bad.out).at("catalogue"), Catch::Contains("run opsbot check-config"));
}

TEST_CASE("doctor: each project released by promotion has its repo fetched", "[doctor][e2e]") {
    Doctor d;
    GitRepos repos;
    std::string yaml = kCatalogueYaml;
    const std::string acme = "    prod_requires_second_person: true\n";
    yaml.replace(yaml.find(acme), acme.size(),
                 acme + "    repo: " + repos.origin() + "\n    release: promote\n");
    const std::string globex = "    channel: \"#globex\"\n";
    yaml.replace(yaml.find(globex), globex.size(),
                 globex +
                     "    repo: git@git.example.com:clients/globex.git\n"
                     "    release: promote\n");
    for (const char* job : {"clients/acme/deploy-prod\n", "clients/globex/deploy-prod\n"}) {
        const auto at = yaml.find(job) + std::string(job).size();
        yaml.insert(at, "        ref_param: BRANCH\n");
    }
    d.env["OPSBOT_CONFIG"] = d.dir.write("promote.yaml", yaml);
    d.env["OPSBOT_GIT_DIR"] = repos.mirrors();
    const auto result = d.run();
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    const auto lines = lines_of(result.out);
    CHECK_THAT(lines.at("git acme"), Catch::StartsWith("ok "));
    CHECK_THAT(lines.at("git acme"),
               Catch::EndsWith("fetched develop and master from " + repos.origin()));
    CHECK_THAT(lines.at("git globex"), Catch::StartsWith("FAILED"));
    CHECK_THAT(lines.at("git globex"), Catch::Contains("OPSBOT_GIT_KNOWN_HOSTS"));
}

TEST_CASE("healthcheck: 0 on a 200 from /healthz, 1 on a 503 or no answer", "[doctor][e2e]") {
    FakeHttpServer intake;
    std::atomic<int> status{200};
    intake.route("GET", "/healthz", [&](const RecordedRequest&) {
        return FakeResponse{
            status.load(), R"({"slack":"connected","database":"ok"})", "application/json", {}};
    });
    std::map<std::string, std::string> env{
        {"OPSBOT_LISTEN", "0.0.0.0:" + std::to_string(intake.port())}};
    auto check = [&] { return run_process({OPSBOT_BINARY, {"healthcheck"}, env, "", "", 30}); };
    const auto up = check();
    CHECK(up.exit_code == 0);
    CHECK_THAT(up.out, Catch::Contains("200 {\"slack\":\"connected\""));
    status = 503;
    CHECK(check().exit_code == 1);
    REQUIRE(intake.requests_to("/healthz").size() == 2);
    env["OPSBOT_LISTEN"] = "127.0.0.1:9";  // nothing listens there
    const auto down = check();
    CHECK(down.exit_code == 1);
    CHECK_THAT(down.err, Catch::Contains("opsbot healthcheck: http://127.0.0.1:9/healthz"));
}
