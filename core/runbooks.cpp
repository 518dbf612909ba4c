#include "core/runbooks.hpp"

#include <algorithm>
#include <array>

#include "core/text.hpp"

namespace opsbot {
namespace {

template <std::size_t N>
const char* name_of(const std::array<const char*, N>& names, int index) {
    return names.at(static_cast<std::size_t>(index));
}

template <class E, std::size_t N>
std::optional<E> parse_name(const std::array<const char*, N>& names, std::string_view text) {
    for (std::size_t i = 0; i < N; ++i)
        if (text == names[i]) return static_cast<E>(i);
    return std::nullopt;
}

constexpr std::array<const char*, 3> kDowntimeNames{"none", "starts", "ends"};
constexpr std::array<const char*, 6> kStepStateNames{"waiting", "pending", "running",
                                                     "failed",  "done",    "skipped"};
constexpr std::array<const char*, 3> kRunStateNames{"running", "done", "aborted"};
constexpr std::array<const char*, 4> kVerbNames{"done", "skip", "run", "abort"};

std::chrono::milliseconds between(TimePoint from, TimePoint to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

const char* step_icon(RunbookStepState state) {
    switch (state) {
        case RunbookStepState::done:
            return "✅";
        case RunbookStepState::skipped:
            return "⏭️";
        case RunbookStepState::failed:
            return "❌";
        case RunbookStepState::running:
            return "⚙️";
        case RunbookStepState::pending:
            return "👉";
        case RunbookStepState::waiting:
            break;
    }
    return "▫️";
}

}  // namespace

const RunbookParam* Runbook::param(const std::string& wanted) const {
    for (const auto& p : params)
        if (p.name == wanted) return &p;
    return nullptr;
}

const std::vector<std::string>& runbook_action_types() {
    static const std::vector<std::string> types{"purge", "deploy", "cloudflare.dns.point",
                                                "wait_for_http"};
    return types;
}

const char* to_string(Downtime downtime) {
    return name_of(kDowntimeNames, static_cast<int>(downtime));
}
std::optional<Downtime> parse_downtime(std::string_view text) {
    return parse_name<Downtime>(kDowntimeNames, text);
}
const char* to_string(RunbookStepState state) {
    return name_of(kStepStateNames, static_cast<int>(state));
}
std::optional<RunbookStepState> parse_runbook_step_state(std::string_view text) {
    return parse_name<RunbookStepState>(kStepStateNames, text);
}
const char* to_string(RunState state) {
    return name_of(kRunStateNames, static_cast<int>(state));
}
std::optional<RunState> parse_run_state(std::string_view text) {
    return parse_name<RunState>(kRunStateNames, text);
}
const char* to_string(RunbookVerb verb) {
    return name_of(kVerbNames, static_cast<int>(verb));
}

std::vector<std::string> placeholders(std::string_view text) {
    std::vector<std::string> names;
    std::size_t at = 0;
    while ((at = text.find('{', at)) != std::string_view::npos) {
        const auto end = text.find('}', at);
        if (end == std::string_view::npos) break;
        const auto name = text.substr(at + 1, end - at - 1);
        const bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
        if (word) names.emplace_back(name);
        at = word ? end + 1 : at + 1;
    }
    return names;
}

std::string substitute(std::string_view text, const RunbookValues& values) {
    std::string out(text);
    for (const auto& [name, value] : values) {
        const std::string token = "{" + name + "}";
        for (auto at = out.find(token); at != std::string::npos;
             at = out.find(token, at + value.size()))
            out.replace(at, token.size(), value);
    }
    return out;
}

std::string runbook_usage(const Runbook& runbook) {
    std::string usage = "runbook start " + runbook.name;
    for (const auto& p : runbook.params)
        usage += p.default_value ? " [" + p.name + "]" : " <" + p.name + ">";
    return usage;
}

Result<RunbookValues> bind_params(const Runbook& runbook, const std::vector<std::string>& args) {
    RunbookValues values;
    std::size_t position = 0;
    for (const auto& arg : args) {
        const auto eq = arg.find('=');
        if (eq != std::string::npos && runbook.param(arg.substr(0, eq))) {
            values[arg.substr(0, eq)] = arg.substr(eq + 1);
            continue;
        }
        while (position < runbook.params.size() && values.count(runbook.params[position].name))
            ++position;
        if (position == runbook.params.size())
            return Error{"bad_arguments",
                         "too many values for runbook " + runbook.name + ": '" + arg +
                             "' has no parameter left",
                         "usage: `" + runbook_usage(runbook) + "`"};
        values[runbook.params[position++].name] = arg;
    }
    for (const auto& p : runbook.params) {
        if (values.count(p.name)) continue;
        if (!p.default_value)
            return Error{"missing_argument",
                         "runbook " + runbook.name + " needs <" + p.name + "> (" + p.help + ")",
                         "usage: `" + runbook_usage(runbook) + "`"};
        values[p.name] = substitute(*p.default_value, values);
    }
    return values;
}

std::string describe_step_time(const StepRecord& step, TimePoint now) {
    if (!step.started) return "";
    return format_duration(between(*step.started, step.finished.value_or(now)));
}

std::string format_timeline(const RunRecord& run, TimePoint now) {
    std::string text;
    for (std::size_t i = 0; i < run.steps.size(); ++i) {
        const auto& step = run.steps[i];
        const auto& declared = run.runbook.steps.at(i);
        text += std::string(step_icon(step.state)) + " " + std::to_string(i + 1) + ". " +
                declared.title + " — " + to_string(step.state);
        if (!step.decided_name.empty()) text += " by " + step.decided_name;
        if (step.started) text += " at " + format_iso8601(*step.started).substr(11, 8) + " UTC";
        if (const auto took = describe_step_time(step, now); !took.empty())
            text += " (" + took + ")";
        if (!step.result.empty()) text += "\n      " + shorten(step.result, 300);
        text += "\n";
    }
    if (run.downtime_started)
        text += "⏱️ Downtime: " +
                format_duration(between(*run.downtime_started, run.downtime_ended.value_or(now))) +
                (run.downtime_ended ? "" : " so far") + "\n";
    text += "Total: " + format_duration(between(run.created, run.finished.value_or(now)));
    return text;
}

std::string format_status(const RunRecord& run, TimePoint now) {
    std::string text = "*Run " + std::to_string(run.id) + "* of *" + run.runbook.name + "* — " +
                       to_string(run.state) + ", on call: " + run.oncall_name;
    if (run.state == RunState::running && run.current_step < static_cast<int>(run.steps.size()))
        text += ", step " + std::to_string(run.current_step + 1) + "/" +
                std::to_string(run.steps.size()) + " (" +
                run.runbook.steps.at(static_cast<std::size_t>(run.current_step)).title + ")";
    std::vector<std::string> params;
    for (const auto& [name, value] : run.params) params.push_back(name + "=" + value);
    text += "\nParameters: " + join(params, ", ") + "\n";
    return text + format_timeline(run, now);
}

std::string format_runbook(const Runbook& runbook) {
    std::string text = "*" + runbook.name + "* — " + runbook.description + "\nUsage: `" +
                       runbook_usage(runbook) + "`\n";
    for (const auto& p : runbook.params)
        text += "• `" + p.name + "`: " + p.help +
                (p.default_value ? " (default " + *p.default_value + ")" : "") + "\n";
    for (std::size_t i = 0; i < runbook.steps.size(); ++i) {
        const auto& step = runbook.steps[i];
        text += std::to_string(i + 1) + ". " + step.title;
        if (step.action) text += " — opsbot runs `" + step.action->type + "`";
        if (step.critical) text += " ⚠️ critical";
        if (step.skippable) text += " (skippable)";
        text += "\n";
    }
    return text;
}

}  // namespace opsbot
