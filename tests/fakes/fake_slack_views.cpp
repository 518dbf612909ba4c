// FakeSlack's envelopes for views: submissions, options requests, actions
// in a modal or Home tab, and app_home_opened, in Slack's documented shapes.
#include "tests/fakes/fake_slack.hpp"

namespace opsbot::test {
namespace {

nlohmann::json user_of(const std::string& user) {
    return {{"id", user},
            {"username", "user-" + user},
            {"name", "user-" + user},
            {"team_id", "T0TEST0001"}};
}

// The action_id of the element of block_id in the view ("" if none).
std::string action_in(const nlohmann::json& view, const std::string& block_id) {
    for (const auto& block : view.value("blocks", nlohmann::json::array())) {
        if (block.value("block_id", "") != block_id) continue;
        if (block.contains("element")) return block["element"].value("action_id", "");
        if (block.contains("accessory")) return block["accessory"].value("action_id", "");
    }
    return "";
}

// The block holding the element action_id ("" if none).
std::string block_of(const nlohmann::json& view, const std::string& action_id) {
    for (const auto& block : view.value("blocks", nlohmann::json::array())) {
        for (const char* key : {"element", "accessory"})
            if (block.contains(key) && block[key].value("action_id", "") == action_id)
                return block.value("block_id", "");
        for (const auto& element : block.value("elements", nlohmann::json::array()))
            if (element.is_object() && element.value("action_id", "") == action_id)
                return block.value("block_id", "");
    }
    return "";
}

// The view as the fake holds it, with values (block_id → element state) as
// its state, keyed by the action_id each block's element has.
nlohmann::json with_state(nlohmann::json view, const nlohmann::json& values) {
    auto state = nlohmann::json::object();
    for (const auto& [block_id, element] : values.items())
        state[block_id][action_in(view, block_id)] = element;
    view["state"] = {{"values", state}};
    return view;
}

}  // namespace

std::string FakeSlack::trigger_of(const std::string& envelope_id) const {
    std::lock_guard lock(mutex_);
    const auto found = triggers_.find(envelope_id);
    return found == triggers_.end() ? "" : found->second;
}

std::string FakeSlack::send_view_submission(const std::string& user, const std::string& view_id,
                                            const nlohmann::json& values) {
    auto view = with_state(views_.view(view_id).value_or(nlohmann::json{{"id", view_id}}), values);
    views_.entered(view_id, view);
    return send_envelope("interactive", {{"type", "view_submission"},
                                         {"team", {{"id", "T0TEST0001"}, {"domain", "agency"}}},
                                         {"user", user_of(user)},
                                         {"api_app_id", "A0TEST"},
                                         {"token", "verification-token"},
                                         {"trigger_id", "trigger-" + next_id("")},
                                         {"view", std::move(view)},
                                         {"response_urls", nlohmann::json::array()}});
}

std::string FakeSlack::send_block_suggestion(const std::string& user, const std::string& view_id,
                                             const std::string& action_id,
                                             const std::string& typed) {
    const auto view = views_.view(view_id).value_or(nlohmann::json{{"id", view_id}});
    return send_envelope("interactive", {{"type", "block_suggestion"},
                                         {"user", user_of(user)},
                                         {"team", {{"id", "T0TEST0001"}, {"domain", "agency"}}},
                                         {"container", {{"type", "view"}, {"view_id", view_id}}},
                                         {"api_app_id", "A0TEST"},
                                         {"token", "verification-token"},
                                         {"action_id", action_id},
                                         {"block_id", block_of(view, action_id)},
                                         {"value", typed},
                                         {"view", view}});
}

std::string FakeSlack::send_view_action(const std::string& user, const std::string& view_id,
                                        const std::string& action_id, const std::string& value,
                                        const nlohmann::json& values) {
    const std::string n = next_id("");
    const auto view =
        with_state(views_.view(view_id).value_or(nlohmann::json{{"id", view_id}}), values);
    views_.entered(view_id, view);
    nlohmann::json action{{"action_id", action_id},
                          {"block_id", block_of(view, action_id)},
                          {"action_ts", "1700000300." + n}};
    if (view.value("type", "") == "home" && !values.contains(action_id)) {
        action["type"] = "button";
        action["value"] = value;
    } else {
        action["type"] = "static_select";
        action["selected_option"] = {{"text", {{"type", "plain_text"}, {"text", value}}},
                                     {"value", value}};
    }
    return send_envelope("interactive", {{"type", "block_actions"},
                                         {"user", user_of(user)},
                                         {"api_app_id", "A0TEST"},
                                         {"token", "verification-token"},
                                         {"team", {{"id", "T0TEST0001"}, {"domain", "agency"}}},
                                         {"container", {{"type", "view"}, {"view_id", view_id}}},
                                         {"trigger_id", "trigger-" + n},
                                         {"view", view},
                                         {"actions", nlohmann::json::array({action})}});
}

std::string FakeSlack::send_home_opened(const std::string& user) {
    const std::string n = next_id("");
    nlohmann::json event{{"type", "app_home_opened"},
                         {"user", user},
                         {"channel", "D0" + user},
                         {"tab", "home"},
                         {"event_ts", "1700000400." + n}};
    if (auto home = views_.home_of(user)) event["view"] = *home;
    return send_envelope("events_api", {{"token", "verification-token"},
                                        {"team_id", "T0TEST0001"},
                                        {"api_app_id", "A0TEST"},
                                        {"event", event},
                                        {"type", "event_callback"},
                                        {"event_id", "Ev" + n},
                                        {"event_time", 1700000400}});
}

}  // namespace opsbot::test
