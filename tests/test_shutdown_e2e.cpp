// SIGTERM and SIGINT in Slack mode: the real opsbot binary against the fake
// Slack. A reply held up by a 429 stands for work in flight.

#include <catch2/catch.hpp>

#include <signal.h>

#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using test::FakeSlack;

namespace {

constexpr const char* kHelpText = "*opsbot commands*";

std::size_t help_posts(const FakeSlack& slack) {
    std::size_t n = 0;
    for (const auto& call : slack.api_calls("chat.postMessage"))
        if (call.value("text", "").find(kHelpText) != std::string::npos) ++n;
    return n;
}

// A mention whose reply Slack answers 429 with this Retry-After: the reply
// stays in the outbound queue until then.
void mention_held_up(test::SlackBot& bot, int retry_after_seconds) {
    bot.slack.rate_limit_post_message(1, retry_after_seconds);
    const auto id = bot.slack.send_mention(
        {.text = std::string("<@") + FakeSlack::kBotUserId + "> help", .ts = "1700000300.000100"});
    REQUIRE(bot.slack.wait_for_ack(id));
    bot.process->wait_for_log("answered 429");
}

}  // namespace

TEST_CASE("shutdown e2e: SIGTERM delivers the reply in flight, closes the link and exits 0",
          "[shutdown][e2e]") {
    test::SlackBot bot;
    bot.start();
    mention_held_up(bot, 2);
    bot.process->signal(SIGTERM);
    CHECK(bot.process->wait() == 0);
    CHECK(help_posts(bot.slack) == 2);  // the 429, then the reply
    const auto log = bot.process->log();
    CHECK_THAT(log, Catch::Contains("shutdown: no new webhooks or envelopes"));
    CHECK_THAT(log, Catch::Contains("slack: Socket Mode link closed"));
    CHECK_THAT(log, Catch::Contains("deploy locks stay held"));
    CHECK_THAT(log, Catch::Contains("shutdown: every command finished and every reply was sent"));
    CHECK_FALSE(bot.slack.link(0)->open());
}

TEST_CASE("shutdown e2e: SIGINT stops an idle bot at once with exit 0", "[shutdown][e2e]") {
    test::SlackBot bot;
    bot.start();
    const auto started = std::chrono::steady_clock::now();
    bot.process->signal(SIGINT);
    CHECK(bot.process->wait() == 0);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_THAT(bot.process->log(), Catch::Contains("shutdown: done"));
}

TEST_CASE("shutdown e2e: a second signal exits at once, the reply comes after the restart",
          "[shutdown][e2e]") {
    test::SlackBot bot;
    bot.env["OPSBOT_SHUTDOWN_GRACE"] = "60s";
    bot.start();
    mention_held_up(bot, 30);
    bot.process->signal(SIGTERM);
    bot.process->wait_for_log("shutdown: finishing");
    const auto second = std::chrono::steady_clock::now();
    bot.process->signal(SIGTERM);
    CHECK(bot.process->wait() == 128 + SIGTERM);
    CHECK(std::chrono::steady_clock::now() - second < 3s);
    CHECK_THAT(bot.process->log(), Catch::Contains("second signal"));
    CHECK(help_posts(bot.slack) == 1);  // only the 429

    bot.start();
    REQUIRE(FakeHttpServer::wait_until([&] { return help_posts(bot.slack) == 2; }));
    CHECK_THAT(bot.process->log(), Catch::Contains("replaying envelope"));
    bot.stop();
    CHECK(help_posts(bot.slack) == 2);
}

TEST_CASE("shutdown e2e: work cut off by the grace period is replayed at the next start",
          "[shutdown][e2e]") {
    test::SlackBot bot;
    bot.env["OPSBOT_SHUTDOWN_GRACE"] = "1s";
    bot.start();
    mention_held_up(bot, 30);
    const auto started = std::chrono::steady_clock::now();
    bot.process->signal(SIGTERM);
    CHECK(bot.process->wait() == 0);
    CHECK(std::chrono::steady_clock::now() - started < 6s);
    CHECK_THAT(bot.process->log(), Catch::Contains("unfinished at the deadline"));

    bot.start();
    REQUIRE(FakeHttpServer::wait_until([&] { return help_posts(bot.slack) == 2; }));
    bot.stop();
    CHECK(help_posts(bot.slack) == 2);
}
