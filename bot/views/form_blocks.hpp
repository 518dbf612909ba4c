#pragma once
// A command's form as a Block Kit modal, generated from its declaration
// (CommandSpec): one input per parameter (block_id = the parameter's name),
// one per flag that takes a value ("--name"), and the switches and --dry-run
// as checkboxes ("switches"). Labels and hints come from the spec's help.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/catalogue.hpp"
#include "core/grammar.hpp"

namespace opsbot::views {

// callback_id of a form: the prefix and the command's name.
inline constexpr const char* kFormCallback = "opsbot_form:";
// action_id of a field's element: the prefix and the block_id.
inline constexpr const char* kFieldAction = "opsbot_field:";
// Between a text input's action_id and the digest of the value opsbot
// filled it with (see param_input).
inline constexpr const char* kFillMark = "~";
inline constexpr const char* kSwitchesBlock = "switches";
// Slack's limit on the options of an external select.
inline constexpr std::size_t kMaxOptions = 100;

// Where a form came from, kept in its private_metadata: the answer goes back
// there (the slash command's response_url, else a direct message).
struct FormOrigin {
    std::string command;
    std::string channel;
    std::string response_url;

    std::string to_json() const;
    static FormOrigin from_json(const std::string& text);  // empty fields when unreadable
};

// What a form shows besides its fields.
struct FormContent {
    std::map<std::string, std::string> prefill;  // block_id → value
    std::string notice;                          // mrkdwn above the fields (a plan, a warning)
    // block_id → the only values it takes, newest first (a backup's dates):
    // a select instead of free input.
    std::map<std::string, std::vector<std::string>> choices;
    // Selects among the choices whose change redraws the form (a runbook's name).
    std::vector<std::string> redraws;
    // Declared parameters left out, and inputs added after the declared
    // ones: a runbook's own parameters (block_id "arg:<name>") in place of
    // `runbook start`'s list of arguments.
    std::vector<std::string> hidden;
    std::vector<ParamSpec> extra;
};

// The block_id prefix of the inputs in FormContent::extra.
inline constexpr const char* kExtraPrefix = "arg:";

nlohmann::json form_view(const CommandSpec& spec, const FormOrigin& origin,
                         const FormContent& content);
// A modal with a message and no fields (a person who may use the form nowhere).
nlohmann::json message_view(const CommandSpec& spec, const FormOrigin& origin,
                            const std::string& text);
// Whether choosing a project or an environment redraws the form (a ref to
// prefill, a plan to show, the dates there are backups of).
bool refreshes_on_select(const CommandSpec& spec);
// {"options":[…]} for an external select of projects.
nlohmann::json project_options(const std::vector<const Project*>& projects);

}  // namespace opsbot::views
