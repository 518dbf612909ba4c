#include "core/grammar.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/time.hpp"

namespace opsbot {
namespace {

constexpr std::string_view kLeftCurly = "\xE2\x80\x9C";   // “
constexpr std::string_view kRightCurly = "\xE2\x80\x9D";  // ”

Error usage_error(const CommandSpec& spec, std::string code, std::string message) {
    std::string hint = "usage: `" + usage(spec) + "`";
    if (!spec.examples.empty()) hint += "  example: `" + spec.examples.front() + "`";
    return Error{std::move(code), std::move(message), std::move(hint)};
}

std::string placeholder(const ParamSpec& param) {
    const std::string name = param.type == ParamType::list ? param.name + "…" : param.name;
    return param.optional ? "[" + name + "]" : "<" + name + ">";
}

// Checks one value against its declared type; returns the normalised value.
Result<std::string> check_value(const CommandSpec& spec, const std::string& name, ParamType type,
                                const std::string& value, const Catalogue& catalogue) {
    switch (type) {
        case ParamType::project: {
            if (catalogue.find_project(value)) return value;
            const auto slugs = catalogue.project_slugs();
            const auto suggestion = did_you_mean(value, slugs);
            std::string message = "unknown project '" + value + "'";
            message +=
                suggestion.empty() ? " — known projects: " + join(slugs, ", ") : " — " + suggestion;
            return usage_error(spec, "unknown_project", message);
        }
        case ParamType::environment: {
            if (const auto env = parse_env(to_lower(value))) return std::string(to_string(*env));
            return usage_error(spec, "unknown_environment",
                               "unknown environment '" + value + "' — use stage or prod");
        }
        case ParamType::date:
            if (is_valid_date(value)) return value;
            return usage_error(spec, "bad_date",
                               "'" + value + "' is not a date for " + name + " — use YYYY-MM-DD");
        case ParamType::duration:
            if (parse_duration(value)) return value;
            return usage_error(spec, "bad_duration",
                               "'" + value + "' is not a duration for " + name +
                                   " — use a number and a unit, like 30m, 2h or 1d");
        case ParamType::user:
            return normalise_user(value);
        case ParamType::word:
        case ParamType::text:
        case ParamType::list:
            return value;
    }
    return value;
}

const FlagSpec* find_flag(const CommandSpec& spec, const std::string& name) {
    const auto it = std::find_if(spec.flags.begin(), spec.flags.end(),
                                 [&](const FlagSpec& f) { return f.name == name; });
    return it == spec.flags.end() ? nullptr : &*it;
}

std::vector<std::string> flag_names(const CommandSpec& spec) {
    std::vector<std::string> names;
    for (const auto& f : spec.flags) names.push_back("--" + f.name);
    if (spec.action) names.push_back("--dry-run");
    return names;
}

// Takes "--name", "--name=value" or "--name value" off the front of tokens.
Status parse_flag(const CommandSpec& spec, const std::vector<std::string>& tokens, std::size_t& i,
                  const Catalogue& catalogue, ParsedArgs& args) {
    std::string name = tokens[i].substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
    }
    if (name == "dry-run") {
        if (!spec.action)
            return usage_error(spec, "bad_flag",
                               "`" + spec.name + "` changes nothing, so it has no --dry-run");
        args.dry_run = true;
        return success();
    }
    const FlagSpec* flag = find_flag(spec, name);
    if (!flag) {
        const auto suggestion = did_you_mean("--" + name, flag_names(spec));
        return usage_error(
            spec, "unknown_flag",
            "unknown option '--" + name + "'" + (suggestion.empty() ? "" : " — " + suggestion));
    }
    if (flag->value_name.empty()) {
        args.flags[name] = "true";
        return success();
    }
    if (!inline_value) {
        if (i + 1 >= tokens.size())
            return usage_error(
                spec, "missing_value",
                "--" + name + " needs a value: --" + name + " <" + flag->value_name + ">");
        inline_value = tokens[++i];
    }
    if (trim(*inline_value).empty())  // --override-freeze "" gives no reason
        return usage_error(spec, "missing_value",
                           "--" + name + " needs a value: --" + name + " <" + flag->value_name +
                               ">, not an empty one");
    auto checked = check_value(spec, "--" + name, flag->type, *inline_value, catalogue);
    if (!checked) return checked.error();
    args.flags[name] = std::move(checked).value();
    return success();
}

bool is_flag(const std::string& token) {
    return token.size() > 2 && starts_with(token, "--");
}

// The environment must exist for the project when both are given.
Status check_project_has_env(const CommandSpec& spec, const ParsedArgs& args,
                             const Catalogue& catalogue) {
    const auto env = args.env();
    const Project* project = catalogue.find_project(args.project());
    if (!env || !project || project->environment(*env)) return success();
    return usage_error(spec, "unknown_environment",
                       "project '" + project->slug + "' has no " + to_string(*env) +
                           " environment in the catalogue");
}

}  // namespace

std::string ParsedArgs::get(const std::string& name) const {
    const auto it = values.find(name);
    return it == values.end() ? std::string{} : it->second;
}

bool ParsedArgs::has(const std::string& name) const {
    return values.count(name) > 0 || lists.count(name) > 0;
}

bool ParsedArgs::flag(const std::string& name) const {
    return flags.count(name) > 0;
}

std::string ParsedArgs::flag_value(const std::string& name) const {
    const auto it = flags.find(name);
    return it == flags.end() ? std::string{} : it->second;
}

std::optional<Env> ParsedArgs::env() const {
    return parse_env(get("env"));
}

std::string ParsedArgs::project() const {
    return get("project");
}

std::string ParsedArgs::to_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : values) out[key] = value;
    for (const auto& [key, value] : lists) out[key] = value;
    for (const auto& [key, value] : flags) out["--" + key] = value;
    if (dry_run) out["--dry-run"] = true;
    // Chat text is not always valid UTF-8 (the console takes any bytes): a
    // bad sequence becomes U+FFFD instead of an exception (found by fuzzing).
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> tokenize(std::string_view text) {
    std::vector<std::string> tokens;
    std::string current;
    bool in_token = false;
    std::string closing;  // the quote we are inside, if any
    for (std::size_t i = 0; i < text.size();) {
        const std::string_view rest = text.substr(i);
        if (!closing.empty()) {
            if (starts_with(rest, closing)) {
                i += closing.size();
                closing.clear();
            } else {
                current += text[i++];
            }
            continue;
        }
        if (rest[0] == '"' || rest[0] == '\'') {
            closing = std::string(1, rest[0]);
            in_token = true;
            ++i;
        } else if (starts_with(rest, kLeftCurly)) {
            closing = std::string(kRightCurly);
            in_token = true;
            i += kLeftCurly.size();
        } else if (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r') {
            if (in_token) tokens.push_back(std::move(current));
            current.clear();
            in_token = false;
            ++i;
        } else {
            current += text[i++];
            in_token = true;
        }
    }
    if (!closing.empty())
        return Error{"unbalanced_quote", "a quote is opened but never closed",
                     "close it with " + closing + " or remove it"};
    if (in_token) tokens.push_back(std::move(current));
    return tokens;
}

namespace {

bool could_be(ParamType type, const std::string& token) {
    if (type == ParamType::environment) return parse_env(to_lower(token)).has_value();
    if (type == ParamType::date) return is_valid_date(token);
    return true;
}

}  // namespace

Result<ParsedArgs> parse_args(const CommandSpec& spec, const std::vector<std::string>& tokens,
                              const Catalogue& catalogue) {
    ParsedArgs args;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!is_flag(tokens[i])) {
            positional.push_back(tokens[i]);
            continue;
        }
        if (auto status = parse_flag(spec, tokens, i, catalogue, args); !status)
            return status.error();
    }

    std::size_t next = 0;
    for (const auto& param : spec.params) {
        if (param.type == ParamType::text || param.type == ParamType::list) {
            std::vector<std::string> rest(positional.begin() + static_cast<long>(next),
                                          positional.end());
            next = positional.size();
            if (rest.empty() && !param.optional)
                return usage_error(spec, "missing_argument", "missing " + placeholder(param));
            if (param.type == ParamType::text && !rest.empty())
                args.values[param.name] = join(rest, " ");
            if (param.type == ParamType::list) args.lists[param.name] = std::move(rest);
            continue;
        }
        // An optional environment or date that is not there lets the word
        // go to the next parameter: "purge acme https://…", "backup acme 2026-11-24".
        const bool absent = next >= positional.size() ||
                            (param.optional && !could_be(param.type, positional[next]));
        if (absent) {
            if (!param.optional)
                return usage_error(spec, "missing_argument",
                                   "missing " + placeholder(param) + " (" + param.help + ")");
            if (!param.default_value.empty()) args.values[param.name] = param.default_value;
            continue;
        }
        auto checked = check_value(spec, param.name, param.type, positional[next++], catalogue);
        if (!checked) return checked.error();
        args.values[param.name] = std::move(checked).value();
    }
    if (next < positional.size())
        return usage_error(spec, "too_many_arguments",
                           "unexpected '" + positional[next] + "' — `" + spec.name + "` takes " +
                               std::to_string(spec.params.size()) + " argument(s)");
    if (auto status = check_project_has_env(spec, args, catalogue); !status) return status.error();
    return args;
}

Result<std::string> check_argument(const CommandSpec& spec, const std::string& name, ParamType type,
                                   const std::string& value, const Catalogue& catalogue) {
    return check_value(spec, name, type, value, catalogue);
}

std::string usage(const CommandSpec& spec) {
    std::string out = spec.name;
    for (const auto& param : spec.params) out += " " + placeholder(param);
    for (const auto& flag : spec.flags)
        out += " [--" + flag.name + (flag.value_name.empty() ? "" : " <" + flag.value_name + ">") +
               "]";
    if (spec.action) out += " [--dry-run]";
    return out;
}

std::string normalise_user(std::string_view token) {
    if (starts_with(token, "<@") && token.size() > 3 && token.back() == '>') {
        token = token.substr(2, token.size() - 3);
        if (const auto bar = token.find('|'); bar != std::string_view::npos)
            token = token.substr(0, bar);
    }
    return std::string(token);
}

}  // namespace opsbot
