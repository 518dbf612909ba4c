#include "core/runbook_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/text.hpp"

namespace opsbot {
namespace {

const std::vector<std::string> kRunbookKeys{"name", "description", "params", "steps"};
const std::vector<std::string> kParamKeys{"name", "help", "default"};
const std::vector<std::string> kStepKeys{"title",    "instructions", "commands",
                                         "confirm",  "action",       "requires_confirmation",
                                         "critical", "downtime",     "skippable"};

// Collects the problems of one runbook file; never throws.
class RunbookChecker {
public:
    explicit RunbookChecker(std::string file) : file_(std::move(file)) {}

    SourceLocation at(const YAML::Node& node) const {
        const auto mark = node.Mark();
        return {file_, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
    }
    void problem(const YAML::Node& node, std::string message, std::string fix) {
        problems_.push_back({at(node), std::move(message), std::move(fix)});
    }
    bool is_map(const YAML::Node& node, const std::string& what) {
        if (node.IsMap()) return true;
        problem(node, what + " must be a map of keys", "see config/runbooks/move-site.yaml");
        return false;
    }
    void known_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                    const std::string& where) {
        for (const auto& entry : map) {
            const auto key = entry.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            const auto hint = did_you_mean(key, allowed);
            problem(entry.first, "unknown key '" + key + "' in " + where,
                    hint.empty() ? "allowed keys: " + join(allowed, ", ") : hint);
        }
    }
    std::string text(const YAML::Node& map, const std::string& key, const std::string& where,
                     bool required) {
        const auto node = map[key];
        if (!node || node.IsNull()) {
            if (required)
                problem(map, where + " has no '" + key + "'", "add '" + key + ": …' to " + where);
            return {};
        }
        if (node.IsScalar()) return node.Scalar();
        problem(node, "'" + key + "' in " + where + " must be a single value", "quote it");
        return {};
    }
    bool flag(const YAML::Node& map, const std::string& key, const std::string& where) {
        const auto value = text(map, key, where, false);
        if (value.empty() || value == "false") return false;
        if (value == "true") return true;
        problem(map[key], "'" + key + "' in " + where + " must be true or false", "");
        return false;
    }
    std::vector<ConfigProblem> take() { return std::move(problems_); }

private:
    std::string file_;
    std::vector<ConfigProblem> problems_;
};

// Every {name} of a text must be a parameter.
void check_placeholders(RunbookChecker& c, const YAML::Node& node, const std::string& text,
                        const Runbook& runbook, const std::string& where) {
    for (const auto& name : placeholders(text)) {
        if (runbook.param(name)) continue;
        std::vector<std::string> names;
        for (const auto& p : runbook.params) names.push_back(p.name);
        const auto hint = did_you_mean(name, names);
        c.problem(
            node, "unknown parameter {" + name + "} in " + where,
            hint.empty() ? "declare it under params: (known: " + join(names, ", ") + ")" : hint);
    }
}

RunbookParam read_param(RunbookChecker& c, const YAML::Node& node, const std::string& where) {
    RunbookParam p;
    if (!c.is_map(node, where)) return p;
    c.known_keys(node, kParamKeys, where);
    p.name = c.text(node, "name", where, true);
    p.help = c.text(node, "help", where, false);
    if (node["default"]) p.default_value = c.text(node, "default", where, false);
    static const std::regex pattern("^[a-z][a-z0-9_]*$");
    if (!p.name.empty() && !std::regex_match(p.name, pattern))
        c.problem(node["name"], "parameter name '" + p.name + "' is not a word",
                  "use lowercase letters, digits and underscores, e.g. new_host");
    return p;
}

RunbookAction read_action(RunbookChecker& c, const YAML::Node& node, const Runbook& runbook,
                          const std::string& where) {
    RunbookAction action;
    if (node.IsScalar()) {
        action.type = node.Scalar();
    } else if (c.is_map(node, "the action of " + where)) {
        action.type = c.text(node, "type", "the action of " + where, true);
        for (const auto& entry : node) {
            const auto key = entry.first.Scalar();
            if (key == "type") continue;
            if (!entry.second.IsScalar()) {
                c.problem(entry.second, "'" + key + "' of the action must be a single value", "");
                continue;
            }
            action.args[key] = entry.second.Scalar();
            check_placeholders(c, entry.second, action.args[key], runbook, where);
        }
    }
    const auto& types = runbook_action_types();
    if (!action.type.empty() && std::find(types.begin(), types.end(), action.type) == types.end()) {
        const auto hint = did_you_mean(action.type, types);
        c.problem(
            node.IsMap() ? node["type"] : node, "unknown action '" + action.type + "' in " + where,
            (hint.empty() ? std::string{} : hint + " ") + "opsbot can run: " + join(types, ", "));
    }
    return action;
}

RunbookStep read_step(RunbookChecker& c, const YAML::Node& node, const Runbook& runbook,
                      const std::string& where) {
    RunbookStep step;
    step.location = c.at(node);
    if (!c.is_map(node, where)) return step;
    c.known_keys(node, kStepKeys, where);
    step.title = c.text(node, "title", where, true);
    step.instructions = c.text(node, "instructions", where, false);
    check_placeholders(c, node["instructions"] ? node["instructions"] : node, step.instructions,
                       runbook, where);
    if (const auto commands = node["commands"]; commands) {
        if (!commands.IsSequence())
            c.problem(commands, "'commands' in " + where + " must be a list", "");
        else
            for (const auto& line : commands) {
                if (!line.IsScalar()) {
                    c.problem(line, "a command in " + where + " must be a single line", "");
                    continue;
                }
                step.commands.push_back(line.Scalar());
                check_placeholders(c, line, line.Scalar(), runbook, where);
            }
    }
    const bool confirm = c.flag(node, "confirm", where);
    if (const auto action = node["action"]; action) {
        step.action = read_action(c, action, runbook, where);
        if (confirm)
            c.problem(node["confirm"], where + " has both 'confirm' and 'action'",
                      "a person confirms it (confirm: true) or opsbot runs it (action: …), "
                      "not both");
    }
    step.requires_confirmation = c.flag(node, "requires_confirmation", where);
    step.critical = c.flag(node, "critical", where);
    step.skippable = c.flag(node, "skippable", where);
    if (const auto downtime = c.text(node, "downtime", where, false); !downtime.empty()) {
        const auto parsed = parse_downtime(downtime);
        if (!parsed || *parsed == Downtime::none)
            c.problem(node["downtime"], "downtime '" + downtime + "' in " + where,
                      "use 'starts' or 'ends'");
        else
            step.downtime = *parsed;
    }
    return step;
}

void read_runbook(RunbookChecker& c, const YAML::Node& root, Runbook& runbook) {
    if (!c.is_map(root, "a runbook")) return;
    c.known_keys(root, kRunbookKeys, "the runbook");
    runbook.location = c.at(root);
    runbook.name = c.text(root, "name", "the runbook", true);
    static const std::regex pattern("^[a-z][a-z0-9-]{1,40}$");
    if (!runbook.name.empty() && !std::regex_match(runbook.name, pattern))
        c.problem(root["name"], "runbook name '" + runbook.name + "' is not a slug",
                  "use lowercase letters, digits and dashes, e.g. move-site");
    runbook.description = c.text(root, "description", "the runbook", true);
    if (const auto params = root["params"]; params) {
        if (!params.IsSequence())
            c.problem(params, "'params' must be a list", "- {name: project, help: …}");
        else
            for (const auto& node : params)
                runbook.params.push_back(read_param(c, node, "a parameter"));
    }
    const auto steps = root["steps"];
    if (!steps || !steps.IsSequence() || steps.size() == 0) {
        c.problem(steps ? steps : root, "the runbook has no steps",
                  "add 'steps:' with at least one step (title, instructions, confirm or action)");
        return;
    }
    for (std::size_t i = 0; i < steps.size(); ++i)
        runbook.steps.push_back(read_step(c, steps[i], runbook, "step " + std::to_string(i + 1)));
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

LoadedRunbooks parse_runbook(std::string_view yaml_text, const std::string& file_name) {
    LoadedRunbooks loaded;
    RunbookChecker checker(file_name);
    Runbook runbook;
    try {
        read_runbook(checker, YAML::Load(std::string(yaml_text)), runbook);
    } catch (const YAML::Exception& e) {
        loaded.problems.push_back({{file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                                    e.mark.column >= 0 ? e.mark.column + 1 : 0},
                                   "YAML syntax error: " + e.msg,
                                   "check the indentation and quoting on this line"});
    }
    auto found = checker.take();
    loaded.problems.insert(loaded.problems.end(), found.begin(), found.end());
    if (loaded.problems.empty()) loaded.runbooks.push_back(std::move(runbook));
    return loaded;
}

LoadedRunbooks load_runbooks_dir(const std::string& folder) {
    LoadedRunbooks loaded;
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) return loaded;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::set<std::string> names;
    for (const auto& file : files) {
        auto one = parse_runbook(read_file(file), file.string());
        loaded.problems.insert(loaded.problems.end(), one.problems.begin(), one.problems.end());
        for (auto& runbook : one.runbooks) {
            if (!names.insert(runbook.name).second) {
                loaded.problems.push_back({runbook.location,
                                           "a second runbook named '" + runbook.name + "'",
                                           "give each runbook file its own name"});
                continue;
            }
            loaded.runbooks.push_back(std::move(runbook));
        }
    }
    std::sort(loaded.runbooks.begin(), loaded.runbooks.end(),
              [](const Runbook& a, const Runbook& b) { return a.name < b.name; });
    return loaded;
}

}  // namespace opsbot
