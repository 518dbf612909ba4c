#include "bot/slack/interactions.hpp"

#include "core/json.hpp"

namespace opsbot::slack {
namespace {

void add_option_values(const nlohmann::json& options, std::vector<std::string>& out) {
    if (!options.is_array()) return;
    for (const auto& option : options)
        if (option.is_object()) out.push_back(string_field(option, "value"));
}

}  // namespace

// One element's state, as Slack sends it for each element type.
std::vector<std::string> element_values(const nlohmann::json& element) {
    std::vector<std::string> out;
    if (!element.is_object()) return out;
    for (const char* key : {"value", "selected_date", "selected_time", "selected_user",
                            "selected_channel", "selected_conversation"})
        if (const auto it = element.find(key); it != element.end() && it->is_string())
            out.push_back(it->get<std::string>());
    if (const auto it = element.find("selected_option"); it != element.end() && it->is_object())
        out.push_back(string_field(*it, "value"));
    if (const auto it = element.find("selected_options"); it != element.end())
        add_option_values(*it, out);
    if (const auto it = element.find("selected_users"); it != element.end() && it->is_array())
        for (const auto& user : *it)
            if (user.is_string()) out.push_back(user.get<std::string>());
    return out;
}

ViewValues read_view_values(const nlohmann::json& state_values) {
    ViewValues values;
    if (!state_values.is_object()) return values;
    for (const auto& [block_id, elements] : state_values.items()) {
        if (!elements.is_object()) continue;
        auto& into = values[block_id];
        for (const auto& [action_id, element] : elements.items()) {
            auto more = element_values(element);
            into.insert(into.end(), more.begin(), more.end());
        }
    }
    return values;
}

std::string first_value(const ViewValues& values, const std::string& block_id) {
    const auto it = values.find(block_id);
    return it == values.end() || it->second.empty() ? "" : it->second.front();
}

ViewRef read_view(const nlohmann::json& view) {
    ViewRef ref;
    if (!view.is_object()) return ref;
    ref.id = string_field(view, "id");
    ref.hash = string_field(view, "hash");
    ref.callback_id = string_field(view, "callback_id");
    ref.private_metadata = string_field(view, "private_metadata");
    if (const auto state = view.find("state"); state != view.end() && state->is_object())
        if (const auto values = state->find("values"); values != state->end())
            ref.values = read_view_values(*values);
    return ref;
}

}  // namespace opsbot::slack
