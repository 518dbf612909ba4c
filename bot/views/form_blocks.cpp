#include "bot/views/form_blocks.hpp"

#include <algorithm>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot::views {
namespace {

using nlohmann::json;

// Slack counts characters; shorten counts bytes, which is never fewer.
std::string fit(const std::string& text, std::size_t limit) {
    return shorten(text, limit - 3);
}

json plain(const std::string& text, std::size_t limit = 2000) {
    return {{"type", "plain_text"}, {"text", fit(text, limit)}};
}

json option(const std::string& text, const std::string& value) {
    return {{"text", plain(text, 75)}, {"value", value}};
}

std::string capitalised(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
        text[0] = static_cast<char>(text[0] - 32);
    for (auto& c : text)
        if (c == '-' || c == '_') c = ' ';
    return text;
}

std::string label_of(const std::string& name) {
    static const std::map<std::string, std::string> labels{
        {"env", "Environment"}, {"ref", "Ref"}, {"urls", "URLs"}, {"ttl", "Time to live"}};
    const auto it = labels.find(name);
    return it == labels.end() ? capitalised(name) : it->second;
}

std::string prefilled(const FormContent& content, const std::string& block_id,
                      const std::string& fallback = "") {
    const auto it = content.prefill.find(block_id);
    return it == content.prefill.end() || it->second.empty() ? fallback : it->second;
}

json text_element(const std::string& action_id, const std::string& value, bool multiline) {
    json element{{"type", "plain_text_input"}, {"action_id", action_id}};
    if (multiline) element["multiline"] = true;
    if (!value.empty()) element["initial_value"] = fit(value, 3000);
    return element;
}

json project_element(const std::string& action_id, const std::string& value) {
    json element{{"type", "external_select"},
                 {"action_id", action_id},
                 {"min_query_length", 0},
                 {"placeholder", plain("Type to search your projects", 150)}};
    if (!value.empty()) element["initial_option"] = option(value, value);
    return element;
}

json environment_element(const std::string& action_id, const std::string& value) {
    json element{{"type", "static_select"},
                 {"action_id", action_id},
                 {"placeholder", plain("stage or prod", 150)},
                 {"options", json::array({option("stage", "stage"), option("prod", "prod")})}};
    if (value == "stage" || value == "prod") element["initial_option"] = option(value, value);
    return element;
}

json choice_element(const std::string& action_id, const std::vector<std::string>& values,
                    const std::string& value) {
    json options = json::array();
    for (const auto& choice : values)
        if (options.size() < kMaxOptions) options.push_back(option(choice, choice));
    json element{{"type", "static_select"}, {"action_id", action_id}, {"options", options}};
    if (std::find(values.begin(), values.end(), value) != values.end())
        element["initial_option"] = option(value, value);
    return element;
}

json element_for(const ParamSpec& param, const std::string& value, const FormContent& content) {
    const std::string action_id = kFieldAction + param.name;
    if (const auto it = content.choices.find(param.name);
        it != content.choices.end() && !it->second.empty())
        return choice_element(action_id, it->second, value);
    switch (param.type) {
        case ParamType::project:
            return project_element(action_id, value);
        case ParamType::environment:
            return environment_element(action_id, value);
        case ParamType::date: {
            json element{{"type", "datepicker"}, {"action_id", action_id}};
            if (!value.empty()) element["initial_date"] = value;
            return element;
        }
        case ParamType::user: {
            json element{{"type", "users_select"}, {"action_id", action_id}};
            if (!value.empty()) element["initial_user"] = value;
            return element;
        }
        case ParamType::list:
            return text_element(action_id, value, true);
        case ParamType::duration:
        case ParamType::word:
        case ParamType::text:
            return text_element(action_id, value, false);
    }
    return text_element(action_id, value, false);
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

json input(const std::string& block_id, const std::string& label, const std::string& hint,
           bool optional, json element) {
    json block{{"type", "input"},
               {"block_id", block_id},
               {"label", plain(label)},
               {"optional", optional},
               {"element", std::move(element)}};
    if (!hint.empty()) block["hint"] = plain(hint);
    return block;
}

std::string hint_of(const ParamSpec& param) {
    if (param.type == ParamType::list) return param.help + "; one per line, or empty";
    return param.help;
}

// Slack keeps the text in an input across views.update when its block_id
// and action_id stay the same, the new view's initial value ignored. A value
// opsbot fills in (the chosen environment's branch as the ref) must replace
// the old one, so the text input's action_id names the value it starts with:
// a new value, a new action_id, and Slack shows it.
json param_input(const ParamSpec& param, const std::string& label, const FormContent& content) {
    auto element = element_for(param, prefilled(content, param.name, param.default_value), content);
    if (const auto filled = prefilled(content, param.name);
        !filled.empty() && element.value("type", "") == "plain_text_input")
        element["action_id"] =
            element["action_id"].get<std::string>() + kFillMark + sha256_hex(filled).substr(0, 8);
    return input(param.name, label, hint_of(param), param.optional, std::move(element));
}

json switches_block(const CommandSpec& spec) {
    json options = json::array();
    for (const auto& flag : spec.flags)
        if (flag.value_name.empty()) options.push_back(option(capitalised(flag.name), flag.name));
    if (spec.action) {
        auto dry_run = option("Dry run", "dry-run");
        dry_run["description"] = plain("show the plan and the exact requests; change nothing", 75);
        options.push_back(std::move(dry_run));
    }
    if (options.empty()) return nullptr;
    json element{{"type", "checkboxes"},
                 {"action_id", std::string(kFieldAction) + kSwitchesBlock},
                 {"options", options}};
    return input(kSwitchesBlock, "Options", "", true, std::move(element));
}

json modal(const CommandSpec& spec, const FormOrigin& origin, json blocks, bool submit) {
    json view{{"type", "modal"},
              {"callback_id", kFormCallback + spec.name},
              {"title", plain(capitalised(spec.name), 24)},
              {"close", plain("Cancel", 24)},
              {"private_metadata", origin.to_json()},
              {"blocks", std::move(blocks)}};
    if (submit) {
        const auto space = spec.name.rfind(' ');
        view["submit"] = plain(
            capitalised(space == std::string::npos ? spec.name : spec.name.substr(space + 1)), 24);
    }
    return view;
}

json section(const std::string& text) {
    return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", fit(text, 3000)}}}};
}

}  // namespace

std::string FormOrigin::to_json() const {
    return json{{"command", command}, {"channel", channel}, {"response_url", response_url}}.dump();
}

FormOrigin FormOrigin::from_json(const std::string& text) {
    const auto parsed = json::parse(text, nullptr, false);
    FormOrigin origin;
    if (!parsed.is_object()) return origin;
    origin.command = parsed.value("command", "");
    origin.channel = parsed.value("channel", "");
    origin.response_url = parsed.value("response_url", "");
    return origin;
}

bool refreshes_on_select(const CommandSpec& spec) {
    for (const auto& param : spec.params)
        if (param.name == "ref" || param.type == ParamType::date) return true;
    return spec.confirm != ConfirmPolicy::never;
}

nlohmann::json form_view(const CommandSpec& spec, const FormOrigin& origin,
                         const FormContent& content) {
    json blocks = json::array();
    if (!content.notice.empty()) blocks.push_back(section(content.notice));
    const bool refresh = refreshes_on_select(spec);
    for (const auto& param : spec.params) {
        if (contains(content.hidden, param.name)) continue;
        auto block = param_input(param, label_of(param.name), content);
        const bool select =
            param.type == ParamType::project || param.type == ParamType::environment;
        if ((refresh && select) || contains(content.redraws, param.name))
            block["dispatch_action"] = true;
        blocks.push_back(std::move(block));
    }
    for (const auto& param : content.extra)
        blocks.push_back(param_input(
            param, label_of(param.name.substr(std::string(kExtraPrefix).size())), content));
    for (const auto& flag : spec.flags) {
        if (flag.value_name.empty()) continue;
        const std::string block_id = "--" + flag.name;
        blocks.push_back(
            input(block_id, capitalised(flag.name), flag.help, true,
                  text_element(kFieldAction + block_id, prefilled(content, block_id), false)));
    }
    if (auto switches = switches_block(spec); !switches.is_null())
        blocks.push_back(std::move(switches));
    return modal(spec, origin, std::move(blocks), true);
}

nlohmann::json message_view(const CommandSpec& spec, const FormOrigin& origin,
                            const std::string& text) {
    return modal(spec, origin, json::array({section(text)}), false);
}

nlohmann::json project_options(const std::vector<const Project*>& projects) {
    json options = json::array();
    for (const Project* project : projects) {
        if (options.size() == kMaxOptions) break;
        const std::string text =
            project->name.empty() ? project->slug : project->slug + " — " + project->name;
        options.push_back(option(text, project->slug));
    }
    return {{"options", options}};
}

}  // namespace opsbot::views
