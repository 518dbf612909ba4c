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

TEST_CASE("envelope: an ack carries any id back intact", "[envelope]") {
    for (const std::string id : {"plain-1", "quote\"back\\slash", "tab\there", "caf\xc3\xa9", ""}) {
        const auto ack = nlohmann::json::parse(ack_for(id));
        CHECK(ack == nlohmann::json{{"envelope_id", id}});
    }
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

namespace {

// Where both readers answer, they agree. (The quick reader may take what
// the full parser refuses: a misspelt number; the routing thread says so.)
void check_agrees(const std::string& text) {
    INFO(text);
    const auto head = scan_envelope_head(text);
    const auto full = parse_envelope(text);
    if (!head || !full) return;
    CHECK(head->envelope_id == full.value().envelope_id);
    CHECK(head->type_name == full.value().type_name);
    CHECK(head->type == full.value().type);
    CHECK(head->event_id == full.value().event_id);
}

}  // namespace

TEST_CASE("envelope head: read without the full parse, in the shapes Slack sends", "[envelope]") {
    const std::string slash = R"({"envelope_id":"57d6a792-4d35","payload":{"type":"nested",
        "envelope_id":"not-this","text":"a \"quoted\" }{ ] [ \\ word","list":[1,-2.5e3,true,
        null,{"k":[]}],"empty":{}},"type":"slash_commands","accepts_response_payload":true})";
    const auto head = scan_envelope_head(slash);
    REQUIRE(head);
    CHECK(head->envelope_id == "57d6a792-4d35");
    CHECK(head->type == EnvelopeType::slash_commands);
    check_agrees(slash);

    const auto hello = scan_envelope_head(
        R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-1"}})");
    REQUIRE(hello);
    CHECK(hello->type == EnvelopeType::hello);
    CHECK(hello->envelope_id.empty());
    // The last of a repeated key counts, as in the full parse.
    const std::string twice = R"({"envelope_id":"a","type":"events_api","envelope_id":"b"})";
    REQUIRE(scan_envelope_head(twice));
    CHECK(scan_envelope_head(twice)->envelope_id == "b");
    check_agrees(twice);
    CHECK(scan_envelope_head(" {} ")->type == EnvelopeType::other);
}

TEST_CASE("envelope head: an event's own event_id, from its payload only", "[envelope]") {
    const std::string event =
        R"({"envelope_id":"e1","payload":{"event":{"event_id":"not-this","text":"x"},)"
        R"("type":"event_callback","event_id":"Ev123"},"type":"events_api","retry_attempt":1})";
    REQUIRE(scan_envelope_head(event));
    CHECK(scan_envelope_head(event)->event_id == "Ev123");
    check_agrees(event);
    // A second payload replaces the first, as in the full parse.
    const std::string two = R"({"payload":{"event_id":"Ev1"},"payload":{},"type":"events_api"})";
    REQUIRE(scan_envelope_head(two));
    CHECK(scan_envelope_head(two)->event_id.empty());
    check_agrees(two);
    // An escaped key or value there is left to the full parse.
    CHECK_FALSE(scan_envelope_head(R"({"payload":{"event\u005fid":"Ev1"},"type":"events_api"})"));
    CHECK_FALSE(scan_envelope_head(R"({"payload":{"event_id":"Ev\u0031"},"type":"events_api"})"));
}

TEST_CASE("envelope head: what it cannot vouch for is left to the full parse", "[envelope]") {
    for (const std::string text : {
             "",
             "[]",
             R"({"envelope_id":"a")",                               // unterminated
             R"({"envelope_id":"a",})",                             // trailing comma
             R"({"envelope_id":"a"} x)",                            // trailing bytes
             R"({"envelope_id":"a\u0062","type":"events_api"})",    // escaped value
             R"({"envelope\u005fid":"a","type":"events_api"})",     // escaped key
             R"({"envelope_id":"é","type":"events_api"})",          // non-ASCII value
             R"({"envelope_id":7,"type":"events_api"})",            // not a string
             "{\"envelope_id\":\"a\nb\",\"type\":\"events_api\"}",  // raw control byte
             R"({"type":"events_api","payload":{"x":"unterminated})",
             R"({"type":"events_api","payload":[1,2})",
             R"({"type":"events_api","payload":})",
         }) {
        INFO(text);
        CHECK_FALSE(scan_envelope_head(text));
    }
    std::string deep = R"({"type":"events_api","envelope_id":"a","payload":)";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    CHECK_FALSE(scan_envelope_head(deep + "}"));
    check_agrees(deep + "}");
}

TEST_CASE("envelope head: agrees with the full parse on every cut of an envelope", "[envelope]") {
    const std::string text = R"({"envelope_id":"e-1","type":"interactive","payload":{"type":
        "block_actions","actions":[{"action_id":"opsbot_confirm","value":"c-1"}],"n":12},
        "accepts_response_payload":false})";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) check_agrees(text.substr(0, cut));
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string changed = text;
        changed[i] = '"';
        check_agrees(changed);
        changed[i] = '}';
        check_agrees(changed);
    }
}
