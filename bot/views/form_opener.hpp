#pragma once
// Opens a command's form (a modal) for a person: from a bare slash command
// ("/deploy" with no arguments) or a button on the Home tab. The Home tab
// knows only this interface; bot/views/forms.* implements it.

#include <string>

namespace opsbot::views {

struct FormRequest {
    std::string command;  // "deploy", "release", "purge", "backup", "runbook start", "lock"
    std::string project;  // prefilled when set (a Home tab button's project)
    // With a project, the environment prefilled: a Home tab button's
    // ("Deploy stage"); "" for the command's default where the person may
    // use it, else the first environment of the project where they may.
    std::string env;
    std::string trigger_id;
    std::string user_id;
    std::string user_name;
    std::string channel;       // where a slash command was typed; "" from the Home tab
    std::string response_url;  // a slash command's; "" from the Home tab
};

class FormOpener {
public:
    virtual ~FormOpener() = default;
    // Whether command has a form.
    virtual bool has_form(const std::string& command) const = 0;
    // Opens it within the trigger's 3 s; a failure (an expired trigger) is
    // told to the person (ephemeral, or a direct message) and audited.
    virtual void open(const FormRequest& request) = 0;
};

}  // namespace opsbot::views
