#include "tests/fakes/fake_views.hpp"

#include "tests/fakes/block_kit_limits.hpp"

namespace opsbot::test {
namespace {

FakeResponse answer(const nlohmann::json& body) {
    return FakeResponse{200, body.dump(), "application/json; charset=utf-8", {}};
}

FakeResponse error(const std::string& code) {
    return answer({{"ok", false}, {"error", code}});
}

nlohmann::json view_of(const nlohmann::json& body) {
    const auto it = body.find("view");
    if (it == body.end()) return nullptr;
    // Slack takes the view as an object or as a JSON-encoded string.
    return it->is_string() ? nlohmann::json::parse(it->get<std::string>(), nullptr, false) : *it;
}

}  // namespace

void FakeViews::issued(const std::string& trigger_id) {
    std::lock_guard lock(mutex_);
    triggers_[trigger_id] = std::chrono::steady_clock::now();
}

void FakeViews::expire_triggers(bool expired) {
    std::lock_guard lock(mutex_);
    expired_ = expired;
}

FakeResponse FakeViews::refuse_invalid(const nlohmann::json& view) {
    const auto problems = view_problems(view);
    if (problems.empty()) return FakeResponse{0, "", "", {}};
    refusals_.insert(refusals_.end(), problems.begin(), problems.end());
    return answer({{"ok", false},
                   {"error", "invalid_arguments"},
                   {"response_metadata", {{"messages", problems}}}});
}

nlohmann::json FakeViews::store(const std::string& id, nlohmann::json view,
                                const std::string& user) {
    view["id"] = id;
    view["hash"] = "h" + std::to_string(next_++);
    if (!view.contains("state")) view["state"] = {{"values", nlohmann::json::object()}};
    auto& stored = views_[id];
    if (!stored.view.is_null()) ++stored.updates;
    stored.view = view;
    stored.user = user;
    return view;
}

FakeResponse FakeViews::call(const std::string& method, const nlohmann::json& body) {
    const auto view = view_of(body);
    std::lock_guard lock(mutex_);
    if (!view.is_object()) return error("invalid_arguments");
    if (method == "views.open") {
        const auto trigger = body.value("trigger_id", "");
        const auto found = triggers_.find(trigger);
        if (found == triggers_.end()) {
            ++trigger_refusals_;
            return error(opened_by_trigger_.count(trigger) ? "exchanged_trigger_id"
                                                           : "invalid_trigger_id");
        }
        const bool expired =
            expired_ || std::chrono::steady_clock::now() - found->second > kTriggerLife;
        triggers_.erase(found);
        if (expired) {
            ++trigger_refusals_;
            return error("expired_trigger_id");
        }
        if (auto refused = refuse_invalid(view); refused.status) return refused;
        const auto id = "V0MODAL" + std::to_string(next_);
        opened_by_trigger_[trigger] = id;
        return answer({{"ok", true}, {"view", store(id, view, "")}});
    }
    if (method == "views.update") {
        const auto id = body.value("view_id", "");
        const auto found = views_.find(id);
        if (found == views_.end()) return error("not_found");
        const auto hash = body.value("hash", "");
        if (!hash.empty() && hash != found->second.view.value("hash", ""))
            return error("hash_conflict");
        if (auto refused = refuse_invalid(view); refused.status) return refused;
        auto updated = view;
        updated["state"] = found->second.view["state"];  // what the person entered stays
        return answer({{"ok", true}, {"view", store(id, updated, found->second.user)}});
    }
    if (method == "views.publish") {
        const auto user = body.value("user_id", "");
        if (user.empty()) return error("invalid_arguments");
        if (view.value("type", "") != "home") return error("invalid_arguments");
        if (auto refused = refuse_invalid(view); refused.status) return refused;
        ++publishes_[user];
        return answer({{"ok", true}, {"view", store("V0HOME" + user, view, user)}});
    }
    return FakeResponse{404,
                        nlohmann::json{{"ok", false}, {"error", "unknown_method"}}.dump(),
                        "application/json",
                        {}};
}

void FakeViews::entered(const std::string& view_id, const nlohmann::json& view_with_state) {
    std::lock_guard lock(mutex_);
    entered_[view_id] = view_with_state;
}

namespace {

std::string value_of(const nlohmann::json& state_or_element, const char* text, const char* option) {
    if (state_or_element.contains(text)) return state_or_element.value(text, "");
    if (state_or_element.contains(option)) return state_or_element[option].value("value", "");
    return "";
}

}  // namespace

std::string FakeViews::shown(const std::string& view_id, const std::string& block_id) const {
    std::lock_guard lock(mutex_);
    const auto found = views_.find(view_id);
    if (found == views_.end()) return "";
    for (const auto& block : found->second.view.value("blocks", nlohmann::json::array())) {
        if (block.value("block_id", "") != block_id || !block.contains("element")) continue;
        const auto& element = block["element"];
        const std::string action = element.value("action_id", "");
        if (const auto was = entered_.find(view_id); was != entered_.end()) {
            const auto state = was->second["state"]["values"].value(block_id, nlohmann::json{});
            if (state.contains(action)) return value_of(state[action], "value", "selected_option");
        }
        return value_of(element, "initial_value", "initial_option");
    }
    return "";
}

std::optional<nlohmann::json> FakeViews::view(const std::string& view_id) const {
    std::lock_guard lock(mutex_);
    const auto found = views_.find(view_id);
    if (found == views_.end()) return std::nullopt;
    return found->second.view;
}

std::optional<nlohmann::json> FakeViews::opened_with(const std::string& trigger_id) const {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        const auto found = opened_by_trigger_.find(trigger_id);
        if (found == opened_by_trigger_.end()) return std::nullopt;
        id = found->second;
    }
    return view(id);
}

std::optional<nlohmann::json> FakeViews::home_of(const std::string& user) const {
    return view("V0HOME" + user);
}

std::size_t FakeViews::publishes(const std::string& user) const {
    std::lock_guard lock(mutex_);
    const auto found = publishes_.find(user);
    return found == publishes_.end() ? 0 : found->second;
}

std::size_t FakeViews::updates(const std::string& view_id) const {
    std::lock_guard lock(mutex_);
    const auto found = views_.find(view_id);
    return found == views_.end() ? 0 : found->second.updates;
}

std::vector<std::string> FakeViews::refusals() const {
    std::lock_guard lock(mutex_);
    return refusals_;
}

std::size_t FakeViews::trigger_refusals() const {
    std::lock_guard lock(mutex_);
    return trigger_refusals_;
}

bool FakeViews::wait_for_home(const std::string& user, std::size_t count,
                              std::chrono::milliseconds timeout) const {
    return FakeHttpServer::wait_until([&] { return publishes(user) >= count; }, timeout);
}

std::optional<nlohmann::json> FakeViews::wait_for_opened(const std::string& trigger_id,
                                                         std::chrono::milliseconds timeout) const {
    std::optional<nlohmann::json> found;
    FakeHttpServer::wait_until([&] { return (found = opened_with(trigger_id)).has_value(); },
                               timeout);
    return found;
}

std::optional<nlohmann::json> FakeViews::wait_for_view(
    const std::string& view_id, const std::function<bool(const nlohmann::json&)>& test,
    std::chrono::milliseconds timeout) const {
    std::optional<nlohmann::json> seen;
    FakeHttpServer::wait_until(
        [&] {
            seen = view(view_id);
            return seen && test(*seen);
        },
        timeout);
    return seen;
}

nlohmann::json FakeViews::text(const std::string& value) {
    return {{"type", "plain_text_input"}, {"value", value}};
}

nlohmann::json FakeViews::select(const std::string& value, const std::string& type) {
    return {{"type", type},
            {"selected_option",
             {{"text", {{"type", "plain_text"}, {"text", value}}}, {"value", value}}}};
}

nlohmann::json FakeViews::date(const std::string& value) {
    return {{"type", "datepicker"}, {"selected_date", value}};
}

nlohmann::json FakeViews::checked(const std::vector<std::string>& values) {
    auto options = nlohmann::json::array();
    for (const auto& v : values)
        options.push_back({{"text", {{"type", "plain_text"}, {"text", v}}}, {"value", v}});
    return {{"type", "checkboxes"}, {"selected_options", options}};
}

nlohmann::json FakeViews::as_shown(const nlohmann::json& view) {
    auto values = nlohmann::json::object();
    for (const auto& block : view.value("blocks", nlohmann::json::array())) {
        if (block.value("type", "") != "input") continue;
        const auto& element = block.at("element");
        const std::string type = element.value("type", "");
        const std::string block_id = block.value("block_id", "");
        if (element.contains("initial_option"))
            values[block_id] = select(element["initial_option"].value("value", ""), type);
        else if (element.contains("initial_value"))
            values[block_id] = text(element.value("initial_value", ""));
        else if (element.contains("initial_date"))
            values[block_id] = date(element.value("initial_date", ""));
        else if (element.contains("initial_options"))
            values[block_id] = {{"type", type}, {"selected_options", element["initial_options"]}};
    }
    return values;
}

}  // namespace opsbot::test
