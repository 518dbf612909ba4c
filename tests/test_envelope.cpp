// Socket Mode envelopes in the shapes Slack documents.

#include <catch2/catch.hpp>

#include "bot/slack/envelope.hpp"
#include "bot/slack/slack_router.hpp"

using namespace opsbot::slack;

TEST_CASE("envelope: a slash command", "[envelope]") {
    const auto parsed = parse_envelope(R"({"envelope_id":"57d6a792-4d35-4d0b-b6aa-3361493e1caf",
        "payload":{"token":"x","team_id":"T0TEST","channel_id":"C0ACME","user_id":"U01ALICE01",
        "command":"/ops","text":"help","response_url":"https://hooks.slack.com/commands/1/2/3",
        "trigger_id":"1234.5678"},"type":"slash_commands","accepts_response_payload":true})");
    REQUIRE(parsed.ok());
    const auto& e = parsed.value();
    CHECK(e.type == EnvelopeType::slash_commands);
    CHECK(e.envelope_id == "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
    CHECK(e.accepts_response_payload);
    CHECK(e.payload["text"] == "help");
    CHECK(ack_for(e.envelope_id) == R"({"envelope_id":"57d6a792-4d35-4d0b-b6aa-3361493e1caf"})");
}

TEST_CASE("envelope: a redelivered event carries its retry", "[envelope]") {
    const auto parsed = parse_envelope(R"({"envelope_id":"e1","type":"events_api",
        "accepts_response_payload":false,"retry_attempt":2,"retry_reason":"timeout",
        "payload":{"event_id":"Ev01","event":{"type":"app_mention","text":"<@U0BOT> help"}}})");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().type == EnvelopeType::events_api);
    CHECK(parsed.value().retry_attempt == 2);
    CHECK(parsed.value().retry_reason == "timeout");
}

TEST_CASE("envelope: hello and disconnect have no envelope id", "[envelope]") {
    const auto hello =
        parse_envelope(R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-1"}})");
    REQUIRE(hello.ok());
    CHECK(hello.value().type == EnvelopeType::hello);
    CHECK(hello.value().envelope_id.empty());
    const auto bye = parse_envelope(R"({"type":"disconnect","reason":"refresh_requested"})");
    REQUIRE(bye.ok());
    CHECK(bye.value().type == EnvelopeType::disconnect);
    CHECK(bye.value().disconnect_reason == "refresh_requested");
}

TEST_CASE("envelope: unknown types parse, garbage does not", "[envelope]") {
    const auto future = parse_envelope(R"({"type":"something_new","envelope_id":"x"})");
    REQUIRE(future.ok());
    CHECK(future.value().type == EnvelopeType::other);
    CHECK(future.value().type_name == "something_new");
    CHECK_FALSE(parse_envelope("{not json").ok());
    CHECK_FALSE(parse_envelope("[1,2]").ok());
    CHECK(parse_envelope("").error().code == "malformed_envelope");
}

TEST_CASE("envelope: the bot's mention is stripped from the command", "[envelope]") {
    CHECK(strip_bot_mention("<@U0BOT> deploy acme stage", "U0BOT") == "deploy acme stage");
    CHECK(strip_bot_mention("  <@U0BOT|opsbot>   help", "U0BOT") == "help");
    CHECK(strip_bot_mention("<@U0OTHER> help", "U0BOT") == "<@U0OTHER> help");
}

TEST_CASE("envelope: recent keys drop duplicates within the window", "[envelope]") {
    RecentKeys keys(2);
    CHECK(keys.insert("a"));
    CHECK_FALSE(keys.insert("a"));
    CHECK(keys.insert("b"));
    CHECK(keys.insert("c"));  // "a" falls out of the window
    CHECK(keys.insert("a"));
}
