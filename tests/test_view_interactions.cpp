// Interactions answered in their ack (a form's submission, an external
// select's options) through the real opsbot, and the fake Slack's view
// limits that the Home tab and forms are checked against.

#include <catch2/catch.hpp>

#include "bot/slack/envelope.hpp"
#include "bot/slack/interactions.hpp"
#include "tests/fakes/block_kit_limits.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

nlohmann::json section(const std::string& text) {
    return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}};
}

nlohmann::json modal_with(nlohmann::json blocks) {
    return {{"type", "modal"},
            {"title", {{"type", "plain_text"}, {"text", "Deploy"}}},
            {"blocks", std::move(blocks)}};
}

}  // namespace

TEST_CASE("view limits: what Slack refuses is named, what it takes passes", "[views]") {
    CHECK(test::view_problems(modal_with({section("ok")})).empty());
    CHECK(test::view_problems({{"type", "home"}, {"blocks", {section("ok")}}}).empty());

    auto many = nlohmann::json::array();
    for (int i = 0; i < 101; ++i) many.push_back(section("line"));
    const auto over = test::view_problems({{"type", "home"}, {"blocks", many}});
    REQUIRE(over.size() == 1);
    CHECK(over.front() == "blocks: 101 items, at most 100");

    auto long_title = modal_with({section("ok")});
    long_title["title"]["text"] = "A title longer than 24 chars";
    CHECK(test::view_problems(long_title).size() == 1);
    // Characters, not bytes: 24 accented letters fit.
    long_title["title"]["text"] = "éééééééééééééééééééééééé";
    CHECK(test::view_problems(long_title).empty());

    CHECK(test::view_problems(modal_with({section(std::string(3001, 'x'))})).size() == 1);
    const nlohmann::json input{{"type", "input"},
                               {"block_id", "ref"},
                               {"label", {{"type", "plain_text"}, {"text", "Ref"}}},
                               {"element", {{"type", "plain_text_input"}, {"action_id", "a"}}}};
    CHECK(test::view_problems(modal_with({input})) ==
          std::vector<std::string>{"submit: required with input blocks"});
}

TEST_CASE("view values: each element type's state reads as its values", "[views]") {
    const auto state = nlohmann::json::parse(R"({
        "project": {"p": {"type": "external_select", "selected_option": {"value": "acme"}}},
        "ref": {"r": {"type": "plain_text_input", "value": "develop"}},
        "empty": {"e": {"type": "plain_text_input", "value": null}},
        "date": {"d": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "who": {"u": {"type": "users_select", "selected_user": "U01ALICE01"}},
        "flags": {"f": {"type": "checkboxes", "selected_options": [{"value": "dry-run"}, {"value": "x"}]}}
    })");
    const auto values = slack::read_view_values(state);
    CHECK(slack::first_value(values, "project") == "acme");
    CHECK(slack::first_value(values, "ref") == "develop");
    CHECK(slack::first_value(values, "empty").empty());
    CHECK(slack::first_value(values, "date") == "2026-12-01");
    CHECK(slack::first_value(values, "who") == "U01ALICE01");
    CHECK(values.at("flags") == std::vector<std::string>{"dry-run", "x"});
    CHECK(slack::first_value(values, "absent").empty());
}

TEST_CASE("envelopes: submissions and options requests are answered in their ack", "[envelope]") {
    const auto parsed = [](const nlohmann::json& payload) {
        return slack::parse_envelope(nlohmann::json{{"envelope_id", "e1"},
                                                    {"type", "interactive"},
                                                    {"accepts_response_payload", true},
                                                    {"payload", payload}}
                                         .dump())
            .value();
    };
    CHECK(slack::answered_in_ack(parsed({{"type", "view_submission"}})));
    CHECK(slack::answered_in_ack(parsed({{"type", "block_suggestion"}})));
    CHECK_FALSE(slack::answered_in_ack(parsed({{"type", "block_actions"}})));
    CHECK(slack::ack_with_payload("e1", nlohmann::json::object()) == R"({"envelope_id":"e1"})");
    CHECK(nlohmann::json::parse(slack::ack_with_payload("e1", {{"options", {1}}})) ==
          nlohmann::json{{"envelope_id", "e1"}, {"payload", {{"options", {1}}}}});
}

// Nothing in opsbot handles these callback and action ids: the ack still
// comes, plain for the form (Slack closes it) and with no options for the
// select, rather than Slack's "this app did not respond".
TEST_CASE("slack e2e: a form or options request nobody handles is still acknowledged",
          "[e2e][views]") {
    test::SlackBot bot;
    bot.start();
    const auto submitted = bot.slack.send_view_submission("U01ALICE01", "V0UNKNOWN", {});
    REQUIRE(bot.slack.wait_for_ack(submitted, 10s));
    CHECK_FALSE(bot.slack.ack_of(submitted)->contains("payload"));

    const auto asked = bot.slack.send_block_suggestion("U01ALICE01", "V0UNKNOWN", "nobody", "ac");
    REQUIRE(bot.slack.wait_for_ack(asked, 10s));
    CHECK(bot.slack.ack_of(asked)->at("payload") ==
          nlohmann::json{{"options", nlohmann::json::array()}});
    // The log says what had no handler.
    bot.process->wait_for_log("no options for the select 'nobody'");
}

// A submission whose answer misses the ack's wait (here a slow, failing
// Slack API behind the person's user groups, so never cached, and a short
// OPSBOT_SLACK_ANSWER_WITHIN):
// the ack goes plain, the modal closes, and the field errors it would have
// carried reach the person by direct message; nothing runs.
TEST_CASE("slack e2e: a form's field errors that come too late for the ack are sent by DM",
          "[e2e][views]") {
    test::SlackBot bot;
    bot.env["OPSBOT_SLACK_ANSWER_WITHIN"] = "200ms";
    bot.slack.slow_method("usergroups.users.list", 1500ms, "internal_error");
    bot.start();
    const auto slash = bot.slack.send_slash({.text = "", .command = "/deploy"});
    const auto opened = bot.slack.views().wait_for_opened(bot.slack.trigger_of(slash));
    REQUIRE(opened);
    const auto submitted = bot.slack.send_view_submission(
        "U01ALICE01", opened->at("id").get<std::string>(),
        {{"project", test::FakeViews::select("acmee", "external_select")}});
    REQUIRE(bot.slack.wait_for_ack(submitted, 10s));
    CHECK_FALSE(bot.slack.ack_of(submitted)->contains("payload"));
    REQUIRE(bot.slack.wait_for_api_calls("chat.postMessage", 1, 10s));
    const auto told = bot.slack.api_calls("chat.postMessage").front();
    CHECK(told.value("channel", "") == "U01ALICE01");
    const auto text = told.value("text", "");
    CHECK_THAT(text, Catch::Contains("closed before opsbot could check it"));
    CHECK_THAT(text, Catch::Contains("project: unknown project 'acmee'"));
    CHECK_THAT(text, Catch::Contains("env: Choose an environment."));
    bot.process->wait_for_log("came too late for its ack");
    CHECK(bot.slack.responses().empty());  // nothing ran
}
