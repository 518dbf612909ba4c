// The real opsbot binary on a wss:// Socket Mode link, as with Slack: TLS with
// certificate and host name verification, against a fake whose certificate
// is made when the test starts and trusted through SSL_CERT_FILE.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/fakes/tls_identity.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using test::make_self_signed_identity;
using test::SlackBot;
using namespace std::chrono_literals;

namespace {

// Trusted by the opsbot process alone: its environment is only what a test gives it.
void trust(SlackBot& bot, const test::TlsIdentity& identity) {
    bot.env["SSL_CERT_FILE"] = bot.dir.write("fake-slack-ca.pem", identity.certificate_pem);
}

}  // namespace

TEST_CASE("slack tls e2e: a wss:// link carries bursts of acks, answers and a refresh",
          "[slack][e2e][tls]") {
    const auto identity = make_self_signed_identity({"IP:127.0.0.1"});
    SlackBot bot(test::kCatalogueYaml, &identity);
    trust(bot, identity);
    bot.start();
    CHECK_THAT(bot.process->log(), Catch::Contains("says hello"));

    // Back to back: acks go out by the burst, gathered into TLS records.
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) ids.push_back(bot.slack.send_slash({.text = "whoami"}));
    // Generous: under CPU load the replies are far slower (see test_slack_e2e).
    REQUIRE(bot.slack.wait_for_responses(200, 60s));
    REQUIRE(bot.slack.wait_for_ack(ids.back()));
    CHECK(bot.slack.acked_envelope_ids() == ids);

    // A refresh opens a second wss:// link and closes the first with a close frame.
    auto old_link = bot.slack.current_link();
    bot.slack.request_refresh();
    REQUIRE(bot.slack.wait_for_links(2));
    REQUIRE(test::FakeHttpServer::wait_until([&] { return !old_link->open(); }));
    const auto after = bot.slack.send_slash({.text = "help"});
    CHECK(bot.slack.wait_for_ack(after));
    REQUIRE(bot.slack.wait_for_responses(201, 60s));
    CHECK(bot.slack.links() == 2);
}

TEST_CASE("slack tls e2e: a certificate nobody trusts is refused, and the log says why",
          "[slack][e2e][tls]") {
    const auto identity = make_self_signed_identity({"IP:127.0.0.1"});
    SlackBot bot(test::kCatalogueYaml, &identity);
    // Trusts another certificate: the fake's is unknown to opsbot.
    trust(bot, make_self_signed_identity({"IP:127.0.0.1"}));
    bot.start(false);
    const auto line = bot.process->wait_for_log("cannot open the WebSocket");
    CHECK_THAT(line, Catch::Contains("TLS handshake"));
    CHECK_THAT(line, Catch::Contains("certificate was not trusted"));
    CHECK(bot.slack.links() == 0);
    CHECK_THAT(bot.process->log(), !Catch::Contains("says hello"));
    // And it keeps trying (the backoff here is 1 s), in case the trust store is fixed.
    CHECK_NOTHROW(bot.process->wait_for_log("cannot open the WebSocket", 10, 2));
}

TEST_CASE("slack tls e2e: a trusted certificate for another host name is refused",
          "[slack][e2e][tls]") {
    const auto identity = make_self_signed_identity({"DNS:slack.example"});
    SlackBot bot(test::kCatalogueYaml, &identity);
    trust(bot, identity);
    bot.start(false);
    const auto line = bot.process->wait_for_log("cannot open the WebSocket");
    CHECK_THAT(line, Catch::Contains("certificate was not trusted"));
    CHECK(bot.slack.links() == 0);
}
