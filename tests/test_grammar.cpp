#include <catch2/catch.hpp>

#include "core/grammar.hpp"
#include "tests/support/fixtures.hpp"

using namespace opsbot;

namespace {

const CommandSpec kDeploy{
    .name = "deploy",
    .summary = "Deploy",
    .params = {{.name = "project", .type = ParamType::project, .help = "a project slug"},
               {.name = "env", .type = ParamType::environment, .help = "stage or prod"},
               {.name = "ref", .type = ParamType::word, .help = "branch", .optional = true}},
    .flags = {{.name = "since", .help = "when", .value_name = "when", .type = ParamType::duration},
              {.name = "force", .help = "no questions"}},
    .examples = {"deploy acme stage"},
    .permission = "deploy",
    .action = true,
};

const CommandSpec kLock{
    .name = "lock",
    .summary = "Lock",
    .params = {{.name = "project", .type = ParamType::project, .help = "a project slug"},
               {.name = "reason", .type = ParamType::text, .help = "why"}},
};

std::vector<std::string> words(std::string_view text) {
    return tokenize(text).value();
}

}  // namespace

TEST_CASE("grammar: tokenize splits on spaces and honours quotes", "[grammar]") {
    CHECK(words("deploy  acme\tstage") == std::vector<std::string>{"deploy", "acme", "stage"});
    CHECK(words(R"(lock acme "db move tonight")") ==
          std::vector<std::string>{"lock", "acme", "db move tonight"});
    CHECK(words("lock acme 'it''s'") == std::vector<std::string>{"lock", "acme", "its"});
    CHECK(words("lock acme \xE2\x80\x9C"
                "curly quotes\xE2\x80\x9D") ==
          std::vector<std::string>{"lock", "acme", "curly quotes"});
    CHECK(words(R"(say "")") == std::vector<std::string>{"say", ""});
    CHECK(words("   ").empty());
}

TEST_CASE("grammar: an unbalanced quote is an error with a fix", "[grammar]") {
    const auto result = tokenize(R"(lock acme "never closed)");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "unbalanced_quote");
    CHECK(result.error().hint == "close it with \" or remove it");
}

TEST_CASE("grammar: typed parameters are checked and normalised", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    const auto args = parse_args(kDeploy, words("acme production v1.2"), catalogue);
    REQUIRE(args.ok());
    CHECK(args.value().project() == "acme");
    CHECK(args.value().get("env") == "prod");
    CHECK(args.value().env() == Env::prod);
    CHECK(args.value().get("ref") == "v1.2");
    CHECK_FALSE(args.value().dry_run);
}

TEST_CASE("grammar: an unknown project suggests the closest slug", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    const auto args = parse_args(kDeploy, words("acm stage"), catalogue);
    REQUIRE_FALSE(args.ok());
    CHECK(args.error().code == "unknown_project");
    CHECK(args.error().message == "unknown project 'acm' — did you mean 'acme'?");
    CHECK(args.error().hint ==
          "usage: `deploy <project> <env> [ref] [--since <when>] [--force] [--dry-run]`  example: "
          "`deploy acme stage`");
}

TEST_CASE("grammar: an unknown project far from any slug lists the known ones", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    const auto args = parse_args(kDeploy, words("zzzzzz stage"), catalogue);
    REQUIRE_FALSE(args.ok());
    CHECK(args.error().message == "unknown project 'zzzzzz' — known projects: acme, globex");
}

TEST_CASE("grammar: environment, missing and extra arguments", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    auto bad_env = parse_args(kDeploy, words("acme dev"), catalogue);
    REQUIRE_FALSE(bad_env.ok());
    CHECK(bad_env.error().message == "unknown environment 'dev' — use stage or prod");

    auto missing = parse_args(kDeploy, words("acme"), catalogue);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "missing_argument");
    CHECK(missing.error().message == "missing <env> (stage or prod)");

    auto extra = parse_args(kDeploy, words("acme stage main extra"), catalogue);
    REQUIRE_FALSE(extra.ok());
    CHECK(extra.error().message == "unexpected 'extra' — `deploy` takes 3 argument(s)");
}

TEST_CASE("grammar: flags, --dry-run and their errors", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    auto ok = parse_args(kDeploy, words("acme stage --since=2h --force --dry-run"), catalogue);
    REQUIRE(ok.ok());
    CHECK(ok.value().flag_value("since") == "2h");
    CHECK(ok.value().flag("force"));
    CHECK(ok.value().dry_run);

    auto spaced = parse_args(kDeploy, words("acme --since 30m stage"), catalogue);
    REQUIRE(spaced.ok());
    CHECK(spaced.value().flag_value("since") == "30m");
    CHECK(spaced.value().get("env") == "stage");

    auto typo = parse_args(kDeploy, words("acme stage --drry-run"), catalogue);
    REQUIRE_FALSE(typo.ok());
    CHECK(typo.error().message == "unknown option '--drry-run' — did you mean '--dry-run'?");

    auto bad_value = parse_args(kDeploy, words("acme stage --since soon"), catalogue);
    REQUIRE_FALSE(bad_value.ok());
    CHECK(bad_value.error().code == "bad_duration");

    auto no_value = parse_args(kDeploy, words("acme stage --since"), catalogue);
    REQUIRE_FALSE(no_value.ok());
    CHECK(no_value.error().message == "--since needs a value: --since <when>");

    auto not_action = parse_args(kLock, words("acme why --dry-run"), catalogue);
    REQUIRE_FALSE(not_action.ok());
    CHECK(not_action.error().message == "`lock` changes nothing, so it has no --dry-run");
}

TEST_CASE("grammar: free text takes the rest of the line", "[grammar]") {
    const auto catalogue = test::test_catalogue();
    auto args = parse_args(kLock, words("globex moving the database"), catalogue);
    REQUIRE(args.ok());
    CHECK(args.value().get("reason") == "moving the database");
    CHECK(args.value().to_json() == R"({"project":"globex","reason":"moving the database"})");
}

TEST_CASE("grammar: usage line is generated from the declaration", "[grammar]") {
    CHECK(usage(kLock) == "lock <project> <reason>");
}

TEST_CASE("grammar: Slack user mentions are normalised", "[grammar]") {
    CHECK(normalise_user("<@U01ALICE01|alice>") == "U01ALICE01");
    CHECK(normalise_user("<@U01ALICE01>") == "U01ALICE01");
    CHECK(normalise_user("U01ALICE01") == "U01ALICE01");
}
