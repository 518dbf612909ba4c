#pragma once
// A form's submission read back into the command a person would have typed,
// each field checked on its own first so that a mistake is answered next to
// its field: a missing value, an unknown project, a bad duration or date, an
// environment the project lacks, a project or environment the person may not
// use. What only the whole command can tell (a freeze, a lock) is left to the
// dispatcher, which runs the text as it runs a typed command.

#include <map>
#include <string>

#include "bot/slack/interactions.hpp"
#include "core/command.hpp"
#include "core/permissions.hpp"

namespace opsbot::views {

struct FormInput {
    std::string text;                           // "deploy acme stage develop --dry-run"
    std::map<std::string, std::string> errors;  // block_id → what is wrong and what to do
    bool denied = false;                        // an error is a missing permission

    bool ok() const { return errors.empty(); }
};

// extra: the inputs the form added after the declared parameters
// (FormContent::extra), passed on as name=value words at the end.
FormInput read_form(const CommandSpec& spec, const slack::ViewValues& values,
                    const Catalogue& catalogue, const Permissions& permissions, const Actor& actor,
                    const std::vector<ParamSpec>& extra = {});

// The value as one token of a command line: quoted when it holds spaces.
std::string as_token(const std::string& value);

}  // namespace opsbot::views
