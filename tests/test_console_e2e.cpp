// End to end: the real opsbot binary, commands piped into its console, and
// the audit rows it wrote read back through its own command line.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;

namespace {

struct Opsbot {
    test::TempDir dir;
    std::map<std::string, std::string> env;

    Opsbot() {
        env = {{"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)},
               {"OPSBOT_DB", dir.file("data/opsbot.db")},
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

}  // namespace

TEST_CASE("console e2e: piped commands are answered and audited", "[e2e]") {
    Opsbot bot;
    const auto result = bot.run({"console"}, "help\n/ops whoami\nhepl\naudit acm\n");
    INFO(result.err);
    CHECK(result.exit_code == 1);  // two of the four commands were refused
    CHECK_THAT(result.out, Catch::Contains("*opsbot commands*"));
    CHECK_THAT(result.out, Catch::Contains("You are *local console user (every role)*"));
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
    CHECK_THAT(result.out, Catch::Contains("You are *console as Bob*"));
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
    const auto at = asked.out.find("`confirm ");
    REQUIRE(at != std::string::npos);
    const std::string id = asked.out.substr(at + 9, 8);
    CHECK_THAT(asked.out, Catch::Contains("other than @U02BOB0002"));

    const auto self = bot.run({"console"}, "confirm " + id + "\n");
    CHECK_THAT(self.out, Catch::Contains("needs a second person"));
    bot.env["OPSBOT_CONSOLE_USER"] = "U09OPS0009,S01OPS0001";
    const auto other = bot.run({"console"}, "confirm " + id + "\n");
    CHECK(other.exit_code == 0);
    CHECK_THAT(other.out, Catch::Contains("Confirmed by @U09OPS0009."));
    CHECK_THAT(other.out, Catch::Contains("JENKINS_URL is not set, so a dry run"));
}
