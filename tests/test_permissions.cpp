#include <catch2/catch.hpp>

#include "core/permissions.hpp"
#include "tests/support/fixtures.hpp"

using namespace opsbot;

namespace {

Actor slack_user(std::string id, std::vector<std::string> groups = {}) {
    Actor actor;
    actor.user_id = std::move(id);
    actor.usergroups = std::move(groups);
    actor.source = Source::slack;
    return actor;
}

}  // namespace

TEST_CASE("permissions: a role allows its permissions on its environments", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    const auto alice = slack_user("U01ALICE01");
    const auto decision = permissions.check(alice, {"deploy", "acme", Env::stage});
    CHECK(decision.allowed);
    CHECK(decision.granted_by == "developer");
}

TEST_CASE("permissions: prod is denied unless a role lists it", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    const auto alice = slack_user("U01ALICE01");
    const AccessRequest request{"deploy", "acme", Env::prod};
    const auto decision = permissions.check(alice, request);
    REQUIRE_FALSE(decision.allowed);
    REQUIRE(decision.would_allow.size() == 1);
    CHECK(decision.would_allow[0].role == "prod-deployer");
    CHECK(decision.would_allow[0].holders ==
          std::vector<std::string>{"<@U02BOB0002> (Bob)", "<!subteam^S01OPS0001>"});
    CHECK(Permissions::explain_denial(request, decision) ==
          "Denied: this needs permission 'deploy' on acme/prod. Roles that grant it:\n"
          "• prod-deployer: <@U02BOB0002> (Bob), <!subteam^S01OPS0001>\n"
          "Ask one of them to run it, or an admin to give you the role in config/opsbot.yaml.");
}

TEST_CASE("permissions: a member limited to projects is denied elsewhere", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    const auto bob = slack_user("U02BOB0002");
    CHECK(permissions.check(bob, {"deploy", "acme", Env::prod}).allowed);
    const auto elsewhere = permissions.check(bob, {"deploy", "globex", Env::prod});
    CHECK_FALSE(elsewhere.allowed);
    // Only the user group covers globex.
    REQUIRE(elsewhere.would_allow.size() == 1);
    CHECK(elsewhere.would_allow[0].holders == std::vector<std::string>{"<!subteam^S01OPS0001>"});
}

TEST_CASE("permissions: user groups grant their roles", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    CHECK(
        permissions.check(slack_user("U09CAROL09", {"S01OPS0001"}), {"purge", "globex", Env::prod})
            .allowed);
    CHECK_FALSE(
        permissions.check(slack_user("U09CAROL09"), {"purge", "globex", Env::prod}).allowed);
}

TEST_CASE("permissions: a global permission needs an all-projects member entry", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    CHECK(permissions.check(slack_user("U01ALICE01"), {"audit", "", std::nullopt}).allowed);
    const auto bob = permissions.check(slack_user("U02BOB0002"), {"audit", "", std::nullopt});
    CHECK_FALSE(bob.allowed);
    CHECK(Permissions::explain_denial({"audit", "", std::nullopt}, bob) ==
          "Denied: this needs permission 'audit' on every project. Roles that grant it:\n"
          "• auditor: <@U01ALICE01> (Alice)\n"
          "Ask one of them to run it, or an admin to give you the role in config/opsbot.yaml.");
}

TEST_CASE("permissions: unknown people hold nothing, no permission means anyone", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    const auto stranger = slack_user("U0STRANGER");
    CHECK_FALSE(permissions.check(stranger, {"deploy", "acme", Env::stage}).allowed);
    CHECK(permissions.check(stranger, {"", "", std::nullopt}).allowed);
    CHECK(permissions.roles_of(stranger).empty());
}

TEST_CASE("permissions: the local console user holds every role", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    Actor local;
    local.user_id = "console";
    local.local = true;
    local.all_roles = true;
    CHECK(permissions.check(local, {"deploy", "globex", Env::prod}).allowed);
    CHECK(permissions.roles_of(local).size() == catalogue.roles.size());
}

TEST_CASE("permissions: a permission no role grants says so", "[permissions]") {
    const auto catalogue = test::test_catalogue();
    const Permissions permissions(catalogue);
    const AccessRequest request{"newproject", "", std::nullopt};
    const auto decision = permissions.check(slack_user("U01ALICE01"), request);
    CHECK_FALSE(decision.allowed);
    CHECK(Permissions::explain_denial(request, decision) ==
          "Denied: this needs permission 'newproject' on every project. No role in the catalogue "
          "grants it; an admin can add one in config/opsbot.yaml.");
}
