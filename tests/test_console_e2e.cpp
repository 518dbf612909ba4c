// End to end: the real opsbot binary, commands piped into its console, and
// the audit rows it wrote read back through its own command line.

#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;

namespace {

struct Opsbot {
    test::TempDir dir;
    test::TestDatabase store{test::e2e_backend(), dir.file("data/opsbot.db")};
    std::map<std::string, std::string> env;

    Opsbot() {
        env = {{"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)},
               store.env(),
               {"OPSBOT_LOG_LEVEL", "debug"}};
    }

    test::ProcessResult run(std::vector<std::string> args, std::string input = "") const {
        return test::run_process({OPSBOT_BINARY, std::move(args), env, std::move(input), "", 60});
    }

    std::vector<nlohmann::json> audit_rows() const {
        const auto result = run({"audit", "--json"});
        REQUIRE(result.exit_code == 0);
        std::vector<nlohmann::json> rows;
        std::istringstream lines(result.out);
        for (std::string line; std::getline(lines, line);)
            rows.push_back(nlohmann::json::parse(line));
        return rows;  // newest first
    }
};

// The shipped example catalogue, and test secrets in the environment that
// make no service live: each is registered for masking, none may be printed.
// Every URL a client could reach is on loopback, where nothing listens.
struct ExampleOpsbot : Opsbot {
    static constexpr const char* kJenkinsToken = "jenkins-token-5f2a9c71e3";
    static constexpr const char* kAwsSecret = "aws-secret-7d41b0c9e2f8";
    static constexpr const char* kSentryToken = "sentry-token-93c1e5a7b4";
    static constexpr const char* kCloudflareToken = "cf-token-4b8e2d6a1c";

    ExampleOpsbot() {
        env["OPSBOT_CONFIG"] = std::string(OPSBOT_SOURCE_DIR) + "/config/opsbot.yaml";
        env["JENKINS_API_TOKEN"] = kJenkinsToken;
        env["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE";
        env["AWS_SECRET_ACCESS_KEY"] = kAwsSecret;
        env["SENTRY_AUTH_TOKEN"] = kSentryToken;
        env["SENTRY_URL"] = "http://127.0.0.1:9";
        env["CLOUDFLARE_API_URL"] = "http://127.0.0.1:9/client/v4/";
    }

    static void check_no_secret(const test::ProcessResult& result) {
        for (const char* secret : {kJenkinsToken, kAwsSecret, kSentryToken, kCloudflareToken}) {
            CHECK_THAT(result.out, !Catch::Contains(secret));
            CHECK_THAT(result.err, !Catch::Contains(secret));
        }
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The lines of `text` from the one equal to `first`, as many as `expected`
// has: a request as printed, header by header.
std::vector<std::string> block_at(const std::string& text, const std::string& first,
                                  std::size_t size) {
    const auto lines = lines_of(text);
    const auto at = std::find(lines.begin(), lines.end(), first);
    if (at == lines.end()) return {};
    return {at, at + static_cast<std::ptrdiff_t>(
                         std::min<std::size_t>(size, static_cast<std::size_t>(lines.end() - at)))};
}

void check_block(const std::string& text, const std::vector<std::string>& expected) {
    INFO(text);
    CHECK(block_at(text, expected.front(), expected.size()) == expected);
}

}  // namespace

TEST_CASE("console e2e: piped commands are answered and audited", "[e2e]") {
    Opsbot bot;
    const auto result = bot.run({"console"}, "help\n/ops whoami\nhepl\naudit acm\n");
    INFO(result.err);
    CHECK(result.exit_code == 1);  // two of the four commands were refused
    CHECK_THAT(result.out, Catch::Contains("opsbot commands (in Slack: /ops <command>"));
    CHECK_THAT(result.out, Catch::Contains("You are local console user (every role)"));
    CHECK_THAT(result.out, Catch::Contains("unknown command 'hepl' — did you mean 'help'?"));
    CHECK_THAT(result.out, Catch::Contains("unknown project 'acm' — did you mean 'acme'?"));

    const auto rows = bot.audit_rows();
    REQUIRE(rows.size() == 4);
    CHECK(rows[3]["command"] == "help");
    CHECK(rows[3]["outcome"] == "succeeded");
    CHECK(rows[3]["source"] == "console");
    CHECK(rows[2]["command"] == "whoami");
    CHECK(rows[1]["outcome"] == "parse_error");
    CHECK(rows[0]["outcome"] == "parse_error");
    CHECK(rows[0]["command"] == "audit acm");
    const std::string time = rows[0]["time"];
    CHECK(time.size() == 24);
    CHECK(time.back() == 'Z');

    const auto verified = bot.run({"audit", "verify"});
    CHECK(verified.exit_code == 0);
    CHECK(verified.out == "audit chain intact: 4 row(s) verified\n");
}

TEST_CASE("console e2e: OPSBOT_CONSOLE_USER acts with that person's roles", "[e2e]") {
    Opsbot bot;
    bot.env["OPSBOT_CONSOLE_USER"] = "U02BOB0002";
    const auto result = bot.run({"console"}, "whoami\naudit\n");
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.out, Catch::Contains("You are console as Bob"));
    CHECK_THAT(result.out,
               Catch::Contains("Denied: this needs permission 'audit' on every project"));
    const auto rows = bot.audit_rows();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["outcome"] == "denied");
    CHECK(rows[0]["actor_id"] == "U02BOB0002");
}

TEST_CASE("console e2e: the audit command line filters and formats", "[e2e]") {
    Opsbot bot;
    bot.run({"console"}, "whoami\naudit acme\nhelp\n");
    const auto csv = bot.run({"audit", "--csv", "--project", "acme"});
    CHECK(csv.exit_code == 0);
    CHECK_THAT(csv.out, Catch::StartsWith("id,time,"));
    CHECK_THAT(csv.out, Catch::Contains("audit acme"));
    CHECK_THAT(csv.out, !Catch::Contains("whoami"));
    const auto table = bot.run({"audit", "--since", "1h", "--limit=1"});
    CHECK(table.exit_code == 0);
    CHECK_THAT(table.out, Catch::Contains("help"));
    CHECK_THAT(table.out, !Catch::Contains("whoami"));
    const auto bad = bot.run({"audit", "--since", "someday"});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--since 'someday' is neither a duration nor a date"));
}

TEST_CASE("console e2e: an invalid catalogue refuses to start with the report", "[e2e]") {
    Opsbot bot;
    bot.env["OPSBOT_CONFIG"] = bot.dir.write("broken.yaml", R"(projects:
  - slug: Acme!
    name: ACME
    channel: "#acme"
    environments:
      stage:
        jenkins_job: clients/acme/deploy-stage
      prod:
        jenkins_job: clients/acme/deploy-prod
)");
    const auto started = bot.run({"console"}, "help\n");
    CHECK(started.exit_code == 2);
    CHECK_THAT(started.err, Catch::Contains("broken.yaml:2:"));
    CHECK_THAT(started.err, Catch::Contains("opsbot will not start with an invalid catalogue"));
    CHECK_THAT(started.out, !Catch::Contains("opsbot commands"));

    const auto checked = bot.run({"check-config"});
    CHECK(checked.exit_code == 2);
    CHECK_THAT(checked.err, Catch::Contains("broken.yaml:2:"));
}

TEST_CASE("console e2e: check-config accepts the shipped catalogue", "[e2e]") {
    Opsbot bot;
    const auto result =
        bot.run({"check-config", std::string(OPSBOT_SOURCE_DIR) + "/config/opsbot.yaml"});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains(": OK — 3 project(s)"));
}

TEST_CASE("console e2e: no token reaches the log or the audit", "[e2e]") {
    Opsbot bot;
    bot.env["JENKINS_API_TOKEN"] = "11aa22bb33cc44dd55ee66ff77";
    const auto result = bot.run(
        {"console"}, "help xoxb-1234567890-abcdefghij\nlock acme 11aa22bb33cc44dd55ee66ff77\n");
    CHECK_THAT(result.out + result.err, !Catch::Contains("xoxb-1234567890"));
    CHECK_THAT(result.out + result.err, !Catch::Contains("11aa22bb33cc44dd55ee66ff77"));
    const auto dump = bot.run({"audit", "--json"});
    CHECK_THAT(dump.out, !Catch::Contains("xoxb-1234567890"));
    CHECK_THAT(dump.out, !Catch::Contains("11aa22bb33cc44dd55ee66ff77"));
    CHECK_THAT(dump.out, Catch::Contains("[redacted]"));
}

TEST_CASE("console e2e: without JENKINS_URL a deploy prints the exact request", "[e2e][deploy]") {
    Opsbot bot;
    bot.env["JENKINS_API_TOKEN"] = "11aa22bb33cc44dd55ee66ff77aa88bb99";
    const auto result = bot.run({"console"}, "deploy acme stage feature/login\ndeploys\n");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("JENKINS_URL is not set, so a dry run"));
    CHECK_THAT(result.out,
               Catch::Contains("POST $JENKINS_URL/job/clients/job/acme/job/deploy-stage/"
                               "buildWithParameters"));
    CHECK_THAT(result.out, Catch::Contains("Authorization: Basic [redacted]"));
    CHECK_THAT(result.out, Catch::Contains("BRANCH=feature%2Flogin"));
    CHECK_THAT(result.out, Catch::Contains("No deploys recorded yet."));
    CHECK_THAT(result.out + result.err, !Catch::Contains("11aa22bb33cc44dd55ee66ff77aa88bb99"));
}

TEST_CASE("console e2e: a prod deploy waits for `confirm` from another console user",
          "[e2e][deploy]") {
    Opsbot bot;
    bot.env["OPSBOT_CONSOLE_USER"] = "U02BOB0002";
    const auto asked = bot.run({"console"}, "deploy acme prod\nconfirm\n");
    CHECK(asked.exit_code == 1);  // `confirm` without an id is a parse error
    const auto at = asked.out.find("type confirm ");
    REQUIRE(at != std::string::npos);
    const std::string id = asked.out.substr(at + 13, 8);
    CHECK_THAT(asked.out, Catch::Contains("other than @U02BOB0002"));

    const auto self = bot.run({"console"}, "confirm " + id + "\n");
    CHECK_THAT(self.out, Catch::Contains("needs a second person"));
    bot.env["OPSBOT_CONSOLE_USER"] = "U09OPS0009,S01OPS0001";
    const auto other = bot.run({"console"}, "confirm " + id + "\n");
    CHECK(other.exit_code == 0);
    CHECK_THAT(other.out, Catch::Contains("Confirmed by @U09OPS0009."));
    CHECK_THAT(other.out, Catch::Contains("JENKINS_URL is not set, so a dry run"));
}

TEST_CASE("console e2e: dry runs print every request header on its own line, secrets masked",
          "[e2e][redact]") {
    ExampleOpsbot bot;
    bot.env["NEWPROJECT_REPO"] = "git@git.example.com:clients/{project}.git";
    bot.env["SENTRY_ORG"] = "agency";
    const auto result = bot.run({"console"},
                                "deploy acme stage\n"
                                "purge acme\n"
                                "purge globex\n"
                                "backup acme\n"
                                "newproject acme-shop acme-shop.com 203.0.113.10 --dry-run\n");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    check_block(result.out,
                {"POST $JENKINS_URL/job/clients/job/acme/job/deploy-stage/buildWithParameters",
                 "Authorization: Basic [redacted]", "Accept: application/json",
                 "Content-Type: application/x-www-form-urlencoded", "", "BRANCH=develop"});
    // No Cloudflare token: the header has no value, and the next one is whole.
    check_block(result.out, {"POST http://127.0.0.1:9/client/v4/zones/"
                             "023e105f4ecef8ad9ca31a8372d0c353/purge_cache",
                             "Authorization: Bearer ", "Content-Type: application/json", "",
                             R"({"purge_everything":true})"});
    check_block(result.out, {"GET http://127.0.0.1:9/client/v4/zones?name=globex-shop.com",
                             "Authorization: Bearer ", "",
                             "POST http://127.0.0.1:9/client/v4/zones/"
                             "ZONE_ID_OF_globex-shop.com/purge_cache",
                             "Authorization: Bearer ", "Content-Type: application/json"});
    const auto lines = lines_of(result.out);
    const auto sha = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
        return line.rfind("x-amz-content-sha256: ", 0) == 0;
    });
    REQUIRE(sha != lines.end());
    CHECK(sha->size() == 22 + 64);
    REQUIRE(sha + 1 != lines.end());
    CHECK_THAT(*(sha - 1), Catch::Matches("x-amz-date: \\d{8}T\\d{6}Z"));
    CHECK_THAT(*(sha + 1),
               Catch::Matches("Authorization: AWS4-HMAC-SHA256 Credential=AKIA\\[redacted\\]/"
                              "\\d{8}/us-east-1/s3/aws4_request, "
                              "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                              "Signature=\\[redacted\\]"));
    // newproject prints request lines and bodies, no headers.
    check_block(result.out,
                {"POST http://127.0.0.1:9/api/0/teams/agency/%3CSENTRY_TEAM%3E/projects/",
                 R"(    {"name":"acme-shop","platform":"other","slug":"acme-shop"})",
                 "GET http://127.0.0.1:9/api/0/projects/agency/acme-shop/keys/"});
    check_block(result.out, {"GET http://127.0.0.1:9/client/v4/zones?name=acme-shop.com"});
    CHECK_THAT(result.out, !Catch::Contains("[redacted]:"));
    ExampleOpsbot::check_no_secret(result);
}

TEST_CASE("console e2e: with tokens set, a dry run masks them and keeps the next header",
          "[e2e][redact]") {
    ExampleOpsbot bot;
    bot.env["CLOUDFLARE_API_TOKEN"] = ExampleOpsbot::kCloudflareToken;
    bot.env["BACKUP_BUCKET"] = "acme-backups";
    const auto result = bot.run({"console"}, "purge globex --dry-run\nbackup acme --dry-run\n");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    check_block(result.out, {"GET http://127.0.0.1:9/client/v4/zones?name=globex-shop.com",
                             "Authorization: Bearer [redacted]", "",
                             "POST http://127.0.0.1:9/client/v4/zones/"
                             "ZONE_ID_OF_globex-shop.com/purge_cache",
                             "Authorization: Bearer [redacted]", "Content-Type: application/json",
                             "", R"({"purge_everything":true})"});
    check_block(result.out, {"GET https://acme-backups.s3.us-east-1.amazonaws.com/"
                             "?list-type=2&prefix=backups%2Facme%2F"});
    ExampleOpsbot::check_no_secret(result);
}

TEST_CASE("console e2e: a backup without BACKUP_BUCKET names the variable in the URL's host",
          "[e2e][backup]") {
    ExampleOpsbot bot;
    const auto result = bot.run({"console"}, "backup acme stage\n");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("would list s3://<BACKUP_BUCKET>/backups/acme-stage/"));
    check_block(result.out, {"GET https://<BACKUP_BUCKET>.s3.us-east-1.amazonaws.com/"
                             "?list-type=2&prefix=backups%2Facme-stage%2F"});
    CHECK_THAT(result.out, !Catch::Contains("https://.s3."));
}

TEST_CASE("console e2e: replies are plain text: links, bold and code without Slack markup",
          "[e2e]") {
    ExampleOpsbot bot;
    bot.env["JENKINS_URL"] = "http://127.0.0.1:9/";
    const auto result = bot.run({"console"}, "deploy globex prod\nhelp\n");
    INFO(result.err);
    check_block(result.out, {"Deploy globex to prod",
                             "• job: clients/globex/deploy-prod "
                             "(http://127.0.0.1:9/job/clients/job/globex/job/deploy-prod/)",
                             "• ref: master"});
    CHECK_THAT(result.out, Catch::Contains("or type confirm "));
    check_block(result.out,
                {"opsbot commands (in Slack: /ops <command> or @opsbot <command>)", "", "alerts",
                 "• alerts [project] — The open Sentry alerts opsbot has relayed, most recent "
                 "first"});
    CHECK_THAT(result.out, !Catch::Contains("<http"));
    CHECK_THAT(result.out, !Catch::Contains("*"));
    CHECK_THAT(result.out, !Catch::Contains("`"));
}

TEST_CASE("console e2e: `freeze` lists the example catalogue's windows", "[e2e][freeze]") {
    ExampleOpsbot bot;
    const auto result = bot.run({"console"}, "freeze\nfreeze globex\nhelp freeze\n");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("Freeze windows (prod releases are refused while one "
                                             "is in force; an emergency takes --override-freeze"));
    const auto listed = lines_of(result.out);
    const auto own = std::find(listed.begin(), listed.end(), "initech's own");
    REQUIRE(std::distance(own, listed.end()) > 2);
    CHECK_THAT(own[1], Catch::StartsWith("• Weekend — every friday 15:00 to monday 08:00 "
                                         "(Europe/Berlin): "));
    CHECK_THAT(own[2], Catch::StartsWith("• Year-end closing — 2026-12-21 to 2027-01-04 08:00 "
                                         "(Europe/Berlin): "));
    CHECK_THAT(result.out, Catch::Contains("No freeze window holds globex prod"));
    CHECK_THAT(result.out,
               Catch::Contains("freeze — Freeze windows: when prod releases are refused, now and "
                               "next"));
}
