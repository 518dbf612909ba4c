#include "bot/views/form_input.hpp"

#include <algorithm>

#include "bot/views/form_blocks.hpp"
#include "core/text.hpp"

namespace opsbot::views {
namespace {

std::vector<std::string> words_of(const std::vector<std::string>& values) {
    std::vector<std::string> words;
    for (const auto& value : values) {
        std::string word;
        for (const char c : value + " ") {
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                word += c;
            } else if (!word.empty()) {
                words.push_back(std::move(word));
                word.clear();
            }
        }
    }
    return words;
}

std::string missing(const ParamSpec& param) {
    if (param.type == ParamType::project) return "Choose a project.";
    if (param.type == ParamType::environment) return "Choose an environment.";
    return "Required: " + param.help + ".";
}

const ParamSpec* param_of(const CommandSpec& spec, ParamType type) {
    for (const auto& param : spec.params)
        if (param.type == type) return &param;
    return nullptr;
}

// The block an error of the whole command belongs next to.
std::string block_for(const CommandSpec& spec, const std::string& code) {
    const ParamSpec* param = nullptr;
    if (code == "unknown_project") param = param_of(spec, ParamType::project);
    if (code == "unknown_environment") param = param_of(spec, ParamType::environment);
    if (code == "bad_duration") param = param_of(spec, ParamType::duration);
    if (code == "bad_date") param = param_of(spec, ParamType::date);
    if (!param && !spec.params.empty()) param = &spec.params.front();
    return param ? param->name : kSwitchesBlock;
}

class Reader {
public:
    Reader(const CommandSpec& spec, const slack::ViewValues& values, const Catalogue& catalogue)
        : spec_(spec), values_(values), catalogue_(catalogue) {}

    FormInput input;

    // Each parameter's token ("" when left empty), in the declared order.
    std::vector<std::string> params() {
        std::vector<std::string> tokens;
        for (const auto& param : spec_.params) tokens.push_back(param_token(param));
        return tokens;
    }

    // "name=value" for each extra input that is filled.
    std::vector<std::string> extras(const std::vector<ParamSpec>& extra) {
        std::vector<std::string> tokens;
        for (const auto& param : extra) {
            const std::string value = this->value(param.name);
            if (value.empty()) {
                if (!param.optional) input.errors[param.name] = missing(param);
                continue;
            }
            if (checked(param.name, param.type, value).empty()) continue;
            tokens.push_back(
                as_token(param.name.substr(std::string(kExtraPrefix).size()) + "=" + value));
        }
        return tokens;
    }

    std::vector<std::string> flags() {
        std::vector<std::string> tokens;
        for (const auto& flag : spec_.flags) {
            if (flag.value_name.empty()) continue;
            const std::string block_id = "--" + flag.name;
            auto token = checked(block_id, flag.type, trim(slack::first_value(values_, block_id)));
            if (!token.empty()) tokens.push_back(block_id + " " + token);
        }
        const auto ticked = values_.find(kSwitchesBlock);
        if (ticked == values_.end()) return tokens;
        for (const auto& name : ticked->second) {
            const bool known = std::any_of(spec_.flags.begin(), spec_.flags.end(), [&](auto& f) {
                return f.name == name && f.value_name.empty();
            });
            if (known || (name == "dry-run" && spec_.action)) tokens.push_back("--" + name);
        }
        return tokens;
    }

    std::string value(const std::string& name) const {
        return trim(slack::first_value(values_, name));
    }

private:
    std::string param_token(const ParamSpec& param) {
        if (param.type == ParamType::list) {
            const auto it = values_.find(param.name);
            const auto words =
                it == values_.end() ? std::vector<std::string>{} : words_of(it->second);
            if (words.empty() && !param.optional) input.errors[param.name] = missing(param);
            return join(words, " ");
        }
        const std::string value = this->value(param.name);
        if (value.empty()) {
            if (!param.optional) input.errors[param.name] = missing(param);
            return "";
        }
        return checked(param.name, param.type, value);
    }

    // The value as a token, or "" with its error noted.
    std::string checked(const std::string& block_id, ParamType type, const std::string& value) {
        if (value.empty()) return "";
        if (value.find('"') != std::string::npos && value.find('\'') != std::string::npos) {
            input.errors[block_id] = "Use either \" or ' in this field, not both.";
            return "";
        }
        auto normalised = check_argument(spec_, block_id, type, value, catalogue_);
        if (!normalised) {
            input.errors[block_id] = normalised.error().message;
            return "";
        }
        return as_token(normalised.value());
    }

    const CommandSpec& spec_;
    const slack::ViewValues& values_;
    const Catalogue& catalogue_;
};

// An optional parameter left empty before one that is filled takes its
// default, so that the filled one keeps its place in the command.
std::vector<std::string> in_place(const CommandSpec& spec, std::vector<std::string> tokens) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!tokens[i].empty()) {
            out.push_back(tokens[i]);
            continue;
        }
        const bool later = std::any_of(tokens.begin() + static_cast<long>(i) + 1, tokens.end(),
                                       [](const std::string& t) { return !t.empty(); });
        if (later && !spec.params[i].default_value.empty())
            out.push_back(as_token(spec.params[i].default_value));
    }
    return out;
}

// The project's and environment's fields against the catalogue and the
// person's roles: the first error found is the one shown.
void check_access(const CommandSpec& spec, const Reader& reader, const Catalogue& catalogue,
                  const Permissions& permissions, const Actor& actor, FormInput& input) {
    const std::string project = reader.value("project");
    const auto env = parse_env(to_lower(reader.value("env")));
    if (project.empty() || input.errors.count("project")) return;
    const Project* found = catalogue.find_project(project);
    if (env && found && !found->environment(*env) && !input.errors.count("env")) {
        input.errors["env"] = project + " has no " + to_string(*env) + " environment.";
        return;
    }
    if (spec.permission.empty()) return;
    for (const auto& [block_id, scope] : {std::pair{std::string("project"), std::optional<Env>{}},
                                          std::pair{std::string("env"), env}}) {
        if (block_id == "env" && (!env || input.errors.count("env"))) continue;
        const AccessRequest access{spec.permission, project, scope};
        const auto decision = permissions.check(actor, access);
        if (decision.allowed) continue;
        input.errors[block_id] = Permissions::explain_denial(access, decision);
        input.denied = true;
        return;
    }
}

}  // namespace

std::string as_token(const std::string& value) {
    if (value.find_first_of(" \t\r\n") == std::string::npos) return value;
    return value.find('"') == std::string::npos ? "\"" + value + "\"" : "'" + value + "'";
}

FormInput read_form(const CommandSpec& spec, const slack::ViewValues& values,
                    const Catalogue& catalogue, const Permissions& permissions, const Actor& actor,
                    const std::vector<ParamSpec>& extra) {
    Reader reader(spec, values, catalogue);
    auto tokens = in_place(spec, reader.params());
    for (auto& token : reader.extras(extra)) tokens.push_back(std::move(token));
    for (auto& flag : reader.flags()) tokens.push_back(std::move(flag));
    FormInput input = std::move(reader.input);
    check_access(spec, reader, catalogue, permissions, actor, input);
    input.text = trim(spec.name + " " + join(tokens, " "));
    if (!input.ok()) return input;
    // What only the whole command tells (too many words, a ref for a project
    // that takes none is the command's own): as a typed command would hear it.
    const auto words = tokenize(input.text);
    if (!words) {
        input.errors[block_for(spec, words.error().code)] = words.error().message;
        return input;
    }
    const auto name_words = words_of({spec.name}).size();
    const std::vector<std::string> rest(words.value().begin() + static_cast<long>(name_words),
                                        words.value().end());
    if (auto parsed = parse_args(spec, rest, catalogue); !parsed)
        input.errors[block_for(spec, parsed.error().code)] = parsed.error().message;
    return input;
}

}  // namespace opsbot::views
