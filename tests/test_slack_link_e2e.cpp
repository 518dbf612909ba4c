// The Socket Mode link's watchdog, end to end: the real opsbot against the
// fake Slack, with short intervals (the defaults are what opsbot_bench
// --stale-link and --idle-link measure).

#include <catch2/catch.hpp>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using test::FakeHttpServer;
using test::SlackBot;

namespace {

void short_watchdog(SlackBot& bot) {
    bot.env["OPSBOT_SLACK_PING_INTERVAL"] = "200ms";
    bot.env["OPSBOT_SLACK_PONG_TIMEOUT"] = "1s";
}

}  // namespace

TEST_CASE("slack link e2e: a link that answers nothing, not even a ping, is replaced",
          "[slack][e2e]") {
    SlackBot bot;
    short_watchdog(bot);
    bot.start();
    // It stops reading, without a close: only the watchdog can tell.
    bot.slack.link(0)->go_silent();
    REQUIRE(bot.slack.wait_for_links(2));
    bot.process->wait_for_log("slack: connected (link 2)");
    const auto id = bot.slack.send_slash({.text = "help"});
    CHECK(bot.slack.wait_for_ack(id));
    REQUIRE(bot.slack.wait_for_responses(1));
    INFO(bot.process->log());
    CHECK(bot.slack.link(1)->received() ==
          std::vector<std::string>{R"({"envelope_id":")" + id + R"("})"});
    CHECK_THAT(bot.process->log(),
               Catch::Contains("slack: link 1 answered nothing, not even a ping, for"));
    CHECK_THAT(bot.process->log(), Catch::Contains("replacing it"));
}

TEST_CASE("slack link e2e: an idle link that answers pings is kept", "[slack][e2e]") {
    SlackBot bot;
    short_watchdog(bot);
    bot.start();
    const auto link = bot.slack.link(0);
    // Eight pings take longer than a ping interval and a pong timeout: a
    // watchdog that did not count the pongs would have dropped the link.
    REQUIRE(FakeHttpServer::wait_until([&] { return link->pings_answered() >= 8; }));
    INFO(bot.process->log());
    CHECK(bot.slack.links() == 1);
    CHECK(link->open());
    CHECK_THAT(bot.process->log(), !Catch::Contains("answered nothing"));
    const auto id = bot.slack.send_slash({.text = "help"});
    CHECK(bot.slack.wait_for_ack(id));
    CHECK(bot.slack.links() == 1);
}
