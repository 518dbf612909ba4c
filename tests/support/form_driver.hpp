#pragma once
// Driving opsbot's forms as a person does through Slack, for the forms and
// Home tab end-to-end tests: a bare slash command opens a modal, its project
// select is asked for options, a form is redrawn and submitted, and the
// audit rows of submissions (Source::modal) are read back.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/slack_bot.hpp"

namespace opsbot::test {

// The people of the forms tests (catalogue_with_deployer_permissions, and
// Carol in the deploy bots' catalogue).
inline constexpr const char* kAlice = "U01ALICE01";  // developer: stage only, every project
inline constexpr const char* kBob = "U02BOB0002";    // prod-deployer on acme only
inline constexpr const char* kCarol = "U03CAROL03";  // prod-deployer everywhere

struct OpenedForm {
    std::string envelope;  // the slash command's
    nlohmann::json view;
    std::string id() const { return view.at("id").get<std::string>(); }
};

// Sends a bare slash command and returns the modal it opened.
inline OpenedForm open_form(SlackBot& bot, const std::string& command, const std::string& text,
                            const std::string& user) {
    const auto envelope = bot.slack.send_slash({.text = text, .command = command, .user = user});
    const auto opened = bot.slack.views().wait_for_opened(bot.slack.trigger_of(envelope));
    REQUIRE(opened);
    return {envelope, *opened};
}

// Opens user's Home tab and presses its button action ("deploy_stage",
// "purge") for project; returns the id of the form it opened.
inline std::string press_home(SlackBot& bot, const std::string& user, const std::string& action,
                              const std::string& project) {
    bot.slack.send_home_opened(user);
    REQUIRE(bot.slack.views().wait_for_home(user, 1));
    const auto home = bot.slack.views().home_of(user);
    REQUIRE(home);
    const auto press =
        bot.slack.send_view_action(user, home->value("id", ""), "opsbot_home_" + action, project);
    const auto opened = bot.slack.views().wait_for_opened(bot.slack.trigger_of(press));
    REQUIRE(opened);
    return opened->value("id", "");
}

// The block_ids of a view's inputs, in order.
inline std::vector<std::string> block_ids(const nlohmann::json& view) {
    std::vector<std::string> ids;
    for (const auto& block : view.at("blocks"))
        if (block.value("type", "") == "input") ids.push_back(block.value("block_id", ""));
    return ids;
}

inline const nlohmann::json& block(const nlohmann::json& view, const std::string& block_id) {
    for (const auto& b : view.at("blocks"))
        if (b.value("block_id", "") == block_id) return b;
    FAIL("no block " << block_id << " in " << view.dump());
    throw std::logic_error("unreachable");
}

// The option values a form's project select was offered for what was typed.
inline std::vector<std::string> offered(SlackBot& bot, const std::string& user,
                                        const std::string& view_id, const std::string& typed) {
    const auto asked =
        bot.slack.send_block_suggestion(user, view_id, "opsbot_field:project", typed);
    REQUIRE(bot.slack.wait_for_ack(asked, std::chrono::seconds(10)));
    const auto ack = bot.slack.ack_of(asked);  // kept: the loop reads into it
    std::vector<std::string> values;
    for (const auto& option : ack->at("payload").at("options"))
        values.push_back(option.at("value").get<std::string>());
    return values;
}

// Submits a form; returns the ack's payload ({} when it closed the modal).
inline nlohmann::json submit(SlackBot& bot, const std::string& user, const std::string& view_id,
                             const nlohmann::json& values) {
    const auto envelope = bot.slack.send_view_submission(user, view_id, values);
    REQUIRE(bot.slack.wait_for_ack(envelope, std::chrono::seconds(10)));
    return bot.slack.ack_of(envelope)->value("payload", nlohmann::json::object());
}

// The state of a project select with slug chosen.
inline nlohmann::json project(const std::string& slug) {
    return FakeViews::select(slug, "external_select");
}

// Chooses value in a form's select, which redraws the form, with the state
// Slack sends: what the form shows, and the value chosen.
inline void choose(SlackBot& bot, const std::string& user, const std::string& view_id,
                   const std::string& block_id, const std::string& value) {
    const auto view = bot.slack.views().view(view_id);
    REQUIRE(view);
    auto values = FakeViews::as_shown(*view);
    values[block_id] =
        FakeViews::select(value, block(*view, block_id)["element"].value("type", ""));
    bot.slack.send_view_action(user, view_id, "opsbot_field:" + block_id, value, values);
}

// The view once its blocks hold part (a plan, a date, a prefilled value).
inline nlohmann::json wait_for_form(const SlackBot& bot, const std::string& view_id,
                                    const std::string& part,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto view = bot.slack.views().wait_for_view(
        view_id,
        [&part](const nlohmann::json& v) {
            return v.at("blocks").dump().find(part) != std::string::npos;
        },
        timeout);
    REQUIRE(view);
    INFO(view->dump());
    REQUIRE(view->at("blocks").dump().find(part) != std::string::npos);
    return *view;
}

// The form once opsbot filled it in (its first views.update: who may use
// it, a prefilled project's environment, ref and plan).
inline nlohmann::json wait_for_filled(const SlackBot& bot, const std::string& view_id) {
    REQUIRE(FakeHttpServer::wait_until([&] { return bot.slack.views().updates(view_id) >= 1; },
                                       std::chrono::seconds(20)));
    return *bot.slack.views().view(view_id);
}

// The rows of a bot's audit log that came from a form.
inline std::vector<AuditRecord> modal_rows(const std::vector<AuditRecord>& rows) {
    std::vector<AuditRecord> out;
    for (const auto& row : rows)
        if (row.source == Source::modal) out.push_back(row);
    return out;
}

}  // namespace opsbot::test
