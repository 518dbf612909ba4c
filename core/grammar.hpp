#pragma once
// The command grammar: what a command declares about its arguments, and the
// parser that turns "deploy acme prod v1.2" into checked, typed values. The
// same text works from a slash command, a mention and the console.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"

namespace opsbot {

enum class ParamType {
    project,      // a slug from the catalogue
    environment,  // stage or prod
    date,         // YYYY-MM-DD
    duration,     // 30m, 2h, 1d
    word,         // one token
    user,         // a Slack mention <@U123>, or an id
    text,         // everything that is left, joined by spaces
    list,         // everything that is left, as separate values
};

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::word;
    std::string help;
    bool optional = false;
    std::string default_value;  // used when optional and absent; may be empty
};

struct FlagSpec {
    std::string name;  // without dashes: "since"
    std::string help;
    std::string value_name;  // empty: a switch; else "--since <value_name>"
    ParamType type = ParamType::word;
    // Using the flag needs this permission too, scoped like the command's
    // own; the dispatcher checks the requester and, at a confirmation, the
    // approver. Empty: the command's permission is enough.
    std::string permission;
    // Using the flag always asks for a confirmation, which someone other
    // than the requester must give.
    bool second_person = false;
};

enum class ConfirmPolicy { never, prod_only, always };

// What a live lock on the command's project and environment (its "project"
// and "env" parameters) does to it. The dispatcher checks just before the
// command runs, so every command refuses in the same words; a dry run changes
// nothing and is never refused.
enum class LockPolicy {
    ignore,
    refuse_any,     // even the holder's own lock: one deploy at a time
    refuse_others,  // the holder may go on (a purge during their own migration)
};

// What a freeze window (core/freeze.hpp) in force over the command's project
// does to it. The dispatcher checks before asking for a confirmation and
// again just before the command runs; a dry run is never refused, and shows
// the window.
enum class FreezePolicy {
    ignore,
    refuse_prod,  // refused for prod unless overridden with --override-freeze
};

struct CommandSpec {
    std::string name;  // "deploy", or two words for a subcommand: "audit verify"
    std::string summary;
    std::vector<ParamSpec> params;
    std::vector<FlagSpec> flags;
    std::vector<std::string> examples;
    // Empty: anyone may run it. Scoped by the command's project and
    // environment parameters when it has them.
    std::string permission;
    ConfirmPolicy confirm = ConfirmPolicy::never;
    LockPolicy lock = LockPolicy::ignore;
    FreezePolicy freeze = FreezePolicy::ignore;
    // Changes something outside opsbot: takes --dry-run.
    bool action = false;
    std::string group = "general";  // heading in help
};

struct ParsedArgs {
    std::map<std::string, std::string> values;
    std::map<std::string, std::vector<std::string>> lists;
    std::map<std::string, std::string> flags;  // switches map to "true"
    bool dry_run = false;

    std::string get(const std::string& name) const;  // "" when absent
    bool has(const std::string& name) const;
    bool flag(const std::string& name) const;
    std::string flag_value(const std::string& name) const;
    std::optional<Env> env() const;  // from the "env" parameter
    std::string project() const;     // from the "project" parameter
    // A JSON object of everything parsed, for the audit log.
    std::string to_json() const;
};

// Splits on white space; "double", 'single' and Slack's “curly” quotes group
// words. An unbalanced quote is an error.
Result<std::vector<std::string>> tokenize(std::string_view text);

// Checks tokens (the words after the command name) against the spec.
Result<ParsedArgs> parse_args(const CommandSpec& spec, const std::vector<std::string>& tokens,
                              const Catalogue& catalogue);

// Checks one value of a parameter or flag (name as shown: "ttl", "--since")
// against its type, as parse_args does; returns the normalised value. Forms
// check each field with it, to answer next to the field.
Result<std::string> check_argument(const CommandSpec& spec, const std::string& name, ParamType type,
                                   const std::string& value, const Catalogue& catalogue);

// "deploy <project> <env> [ref] [--dry-run]"
std::string usage(const CommandSpec& spec);

// Strips Slack's markup from a user mention: "<@U123|alice>" → "U123".
std::string normalise_user(std::string_view token);

}  // namespace opsbot
