#include "tests/fakes/block_kit_limits.hpp"

namespace opsbot::test {
namespace {

const nlohmann::json& field(const nlohmann::json& object, const char* key) {
    static const nlohmann::json missing;
    if (!object.is_object()) return missing;
    const auto it = object.find(key);
    return it == object.end() ? missing : *it;
}

// Slack counts characters, not bytes.
std::size_t characters(const std::string& text) {
    std::size_t n = 0;
    for (const unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

class Checker {
public:
    std::vector<std::string> problems;

    void text(const nlohmann::json& object, const std::string& where, std::size_t max,
              bool plain_only = false) {
        if (!object.is_object()) return problem(where + ": not a text object");
        const auto type = object.value("type", "");
        if (type != "plain_text" && (plain_only || type != "mrkdwn"))
            return problem(where + ": text of type '" + type + "'");
        const auto value = object.value("text", "");
        if (value.empty()) problem(where + ": empty text");
        if (characters(value) > max)
            problem(where + ": " + std::to_string(characters(value)) + " characters, at most " +
                    std::to_string(max));
    }

    void string(const nlohmann::json& parent, const char* key, const std::string& where,
                std::size_t max) {
        const auto it = parent.find(key);
        if (it == parent.end()) return;
        if (!it->is_string()) return problem(where + "." + key + ": not a string");
        if (characters(it->get<std::string>()) > max)
            problem(where + "." + key + ": longer than " + std::to_string(max));
    }

    void count(const nlohmann::json& array, const std::string& where, std::size_t max) {
        if (!array.is_array()) return problem(where + ": not an array");
        if (array.size() > max)
            problem(where + ": " + std::to_string(array.size()) + " items, at most " +
                    std::to_string(max));
    }

    void option(const nlohmann::json& option, const std::string& where) {
        if (!option.is_object()) return problem(where + ": not an object");
        text(field(option, "text"), where + ".text", 75);
        string(option, "value", where, 150);
        if (option.contains("description"))
            text(field(option, "description"), where + ".description", 75);
    }

    void element(const nlohmann::json& e, const std::string& where) {
        if (!e.is_object()) return problem(where + ": not an object");
        const auto type = e.value("type", "");
        string(e, "action_id", where, 255);
        if (e.contains("placeholder"))
            text(field(e, "placeholder"), where + ".placeholder", 150, true);
        if (type == "button") {
            text(field(e, "text"), where + ".text", 75, true);
            string(e, "value", where, 2000);
            string(e, "url", where, 3000);
        } else if (type == "static_select" || type == "multi_static_select" ||
                   type == "radio_buttons" || type == "checkboxes" || type == "overflow") {
            const bool has_groups = e.contains("option_groups");
            if (!has_groups && !e.contains("options")) problem(where + ": no options");
            if (e.contains("options")) {
                count(field(e, "options"), where + ".options",
                      type == "overflow"                                  ? 5
                      : (type == "radio_buttons" || type == "checkboxes") ? 10
                                                                          : 100);
                for (std::size_t i = 0;
                     field(e, "options").is_array() && i < field(e, "options").size(); ++i)
                    option(field(e, "options")[i], where + ".options[" + std::to_string(i) + "]");
            }
        } else if (type == "plain_text_input") {
            string(e, "initial_value", where, 3000);
        }
        if (e.contains("initial_option"))
            option(field(e, "initial_option"), where + ".initial_option");
    }

    void block(const nlohmann::json& b, const std::string& where) {
        if (!b.is_object()) return problem(where + ": not an object");
        const auto type = b.value("type", "");
        string(b, "block_id", where, 255);
        if (type == "section") {
            if (!b.contains("text") && !b.contains("fields"))
                problem(where + ": no text or fields");
            if (b.contains("text")) text(field(b, "text"), where + ".text", 3000);
            if (b.contains("fields")) {
                count(field(b, "fields"), where + ".fields", 10);
                for (std::size_t i = 0;
                     field(b, "fields").is_array() && i < field(b, "fields").size(); ++i)
                    text(field(b, "fields")[i], where + ".fields[" + std::to_string(i) + "]", 2000);
            }
            if (b.contains("accessory")) element(field(b, "accessory"), where + ".accessory");
        } else if (type == "header") {
            text(field(b, "text"), where + ".text", 150, true);
        } else if (type == "context") {
            count(field(b, "elements"), where + ".elements", 10);
        } else if (type == "actions") {
            count(field(b, "elements"), where + ".elements", 25);
            for (std::size_t i = 0;
                 field(b, "elements").is_array() && i < field(b, "elements").size(); ++i)
                element(field(b, "elements")[i], where + ".elements[" + std::to_string(i) + "]");
        } else if (type == "input") {
            text(field(b, "label"), where + ".label", 2000, true);
            if (b.contains("hint")) text(field(b, "hint"), where + ".hint", 2000, true);
            if (!b.contains("element")) problem(where + ": no element");
            element(field(b, "element"), where + ".element");
        } else if (type != "divider" && type != "image" && type != "rich_text") {
            problem(where + ": unknown block type '" + type + "'");
        }
    }

private:
    void problem(std::string text) { problems.push_back(std::move(text)); }
};

}  // namespace

std::vector<std::string> view_problems(const nlohmann::json& view) {
    Checker check;
    if (!view.is_object()) return {"view: not an object"};
    const auto type = view.value("type", "");
    if (type != "modal" && type != "home") check.problems.push_back("type: '" + type + "'");
    if (!view.contains("blocks")) return {"blocks: missing"};
    check.count(field(view, "blocks"), "blocks", 100);
    check.string(view, "private_metadata", "view", 3000);
    check.string(view, "callback_id", "view", 255);
    if (type == "modal") {
        check.text(field(view, "title"), "title", 24, true);
        bool has_input = false;
        for (const auto& b : field(view, "blocks"))
            has_input |= b.is_object() && b.value("type", "") == "input";
        if (view.contains("submit"))
            check.text(field(view, "submit"), "submit", 24, true);
        else if (has_input)
            check.problems.push_back("submit: required with input blocks");
        if (view.contains("close")) check.text(field(view, "close"), "close", 24, true);
    }
    for (std::size_t i = 0; field(view, "blocks").is_array() && i < field(view, "blocks").size();
         ++i)
        check.block(field(view, "blocks")[i], "blocks[" + std::to_string(i) + "]");
    return check.problems;
}

std::vector<std::string> view_buttons(const nlohmann::json& view) {
    std::vector<std::string> ids;
    for (const auto& block : field(view, "blocks"))
        if (block.value("type", "") == "actions")
            for (const auto& element : field(block, "elements"))
                ids.push_back(element.value("action_id", "") + ":" + element.value("value", ""));
    return ids;
}

}  // namespace opsbot::test
