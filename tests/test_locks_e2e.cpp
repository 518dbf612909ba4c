// Locks through the real opsbot and the fake Slack: `lock!` takes a person's
// lock over (named in the channel, audited), and `unlock mine` releases
// every lock its sender holds and no one else's.

#include <catch2/catch.hpp>

#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBob = "U02BOB0002";   // prod-deployer on acme, may lock
constexpr const char* kDave = "U04DAVE004";  // prod-deployer everywhere, through the ops group

// Sends a command as user and returns the text of its answer.
std::string run(test::SlackBot& bot, const std::string& user, const std::string& text) {
    const auto envelope = bot.slack.send_slash({.text = text, .user = user});
    const auto answer = bot.slack.wait_for_response_to(envelope, 10s);
    REQUIRE(answer);
    return answer->value("text", "");
}

// The newest audit row of this command.
AuditRecord row_of(const test::SlackBot& bot, const std::string& command) {
    for (const auto& row : bot.audit_rows())
        if (row.command == command) return row;
    FAIL("no audit row for " << command);
    return {};
}

test::SlackBot& started(test::SlackBot& bot) {
    bot.slack.set_usergroup("S01OPS0001", {kDave});
    bot.start();
    return bot;
}

}  // namespace

TEST_CASE("locks e2e: lock! takes a lock over, names its holder and is audited", "[e2e][locks]") {
    test::SlackBot bot(test::catalogue_with_deployer_permissions("deploy, purge, lock"));
    started(bot);
    CHECK_THAT(run(bot, kBob, "lock acme prod \"db migration\" 2h"),
               Catch::StartsWith("🔒 acme prod is locked by"));
    CHECK_THAT(run(bot, kDave, "lock acme prod \"hotfix\""),
               Catch::Contains("locked by <@U02BOB0002>"));

    const auto taken = run(bot, kDave, "lock! acme prod \"hotfix, Bob is away\" 1h");
    CHECK_THAT(taken, Catch::Contains("Taken over from <@U02BOB0002>"));
    CHECK_THAT(taken, Catch::Contains("db migration"));
    CHECK_THAT(run(bot, kBob, "locks"), Catch::Contains("hotfix, Bob is away"));
    const auto taken_row = row_of(bot, "lock! acme prod \"hotfix, Bob is away\" 1h");
    CHECK(taken_row.outcome == Outcome::succeeded);
    CHECK(taken_row.actor_id == kDave);
    CHECK(taken_row.external_ref == "lock! acme prod from U02BOB0002");
}

TEST_CASE("locks e2e: unlock mine releases the sender's locks and no one else's", "[e2e][locks]") {
    test::SlackBot bot(test::catalogue_with_deployer_permissions("deploy, purge, lock"));
    started(bot);
    CHECK_THAT(run(bot, kDave, "unlock mine"), Catch::Contains("You hold no locks"));
    run(bot, kBob, "lock acme stage \"tidying\"");
    run(bot, kDave, "lock acme prod \"migration\"");
    run(bot, kDave, "lock globex stage \"migration\"");

    const auto released = run(bot, kDave, "unlock mine");
    CHECK_THAT(released, Catch::Contains("acme prod"));
    CHECK_THAT(released, Catch::Contains("globex stage"));
    const auto left = run(bot, kBob, "locks");
    CHECK_THAT(left, Catch::Contains("acme stage"));
    CHECK_THAT(left, !Catch::Contains("acme prod") && !Catch::Contains("globex"));
    CHECK(row_of(bot, "unlock mine").external_ref == "unlock acme prod, globex stage");
}
