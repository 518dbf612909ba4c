#include "bot/runbooks/runbook_messages.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace opsbot::runbooks {
namespace {

using nlohmann::json;

json button(const std::string& verb, const std::string& label, const std::string& value,
            const char* style = nullptr) {
    json b{{"type", "button"},
           {"action_id", std::string(kActionPrefix) + verb},
           {"text", {{"type", "plain_text"}, {"text", label}}},
           {"value", value}};
    if (style) b["style"] = style;
    return b;
}

json section(const std::string& text) {
    return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", shorten(text, 2900)}}}};
}

json context(const std::string& text) {
    return {{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", text}}})}};
}

std::chrono::milliseconds since(TimePoint from, TimePoint now) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - from);
}

const RunbookStep& declared(const RunRecord& run, int step) {
    return run.runbook.steps.at(static_cast<std::size_t>(step));
}

std::string step_heading(const RunRecord& run, int step) {
    const auto& s = declared(run, step);
    return "*Step " + std::to_string(step + 1) + "/" + std::to_string(run.steps.size()) + ": " +
           substitute(s.title, run.params) + "*" + (s.critical ? "  ⚠️ critical" : "");
}

// The instructions and the commands for the person, parameters filled in.
std::string step_body(const RunRecord& run, int step) {
    const auto& s = declared(run, step);
    std::string text = step_heading(run, step);
    if (!s.instructions.empty()) text += "\n" + substitute(trim(s.instructions), run.params);
    if (!s.commands.empty()) {
        std::vector<std::string> lines;
        for (const auto& line : s.commands) lines.push_back(substitute(line, run.params));
        text += "\n```" + join(lines, "\n") + "```";
    }
    if (s.action) {
        std::vector<std::string> args;
        for (const auto& [name, value] : s.action->args)
            args.push_back(name + "=" + substitute(value, run.params));
        text += "\nopsbot runs `" + s.action->type + "`" +
                (args.empty() ? "" : " (" + join(args, ", ") + ")");
    }
    return text;
}

std::string clock_line(const RunRecord& run, int step, TimePoint now) {
    const auto& record = run.steps.at(static_cast<std::size_t>(step));
    std::string line = "Run " + std::to_string(run.id) + " · on call: " + run.oncall_name;
    if (record.started) line += " · step open " + format_duration(since(*record.started, now));
    if (run.downtime_started && !run.downtime_ended)
        line += " · ⏱️ downtime " + format_duration(since(*run.downtime_started, now));
    return line;
}

std::string value_of(const RunRecord& run, int step) {
    return std::to_string(run.id) + " " + std::to_string(step + 1);
}

std::string typed_hint(const RunRecord& run, const RunbookStep& step) {
    const std::string id = std::to_string(run.id);
    std::string hint = step.action ? "`runbook run " + id + "`" : "`runbook done " + id + "`";
    if (step.skippable) hint += ", `runbook skip " + id + "`";
    return hint + " or `runbook abort " + id + "`";
}

}  // namespace

Reply render_header(const RunRecord& run) {
    std::vector<std::string> params;
    for (const auto& [name, value] : run.params) params.push_back(name + "=`" + value + "`");
    const std::string text = "📋 *Runbook " + run.runbook.name + "* (run " + std::to_string(run.id) +
                             "): " + run.runbook.description + "\nStarted by " +
                             run.started_by_name + " · on call: " + run.oncall_name + " · " +
                             std::to_string(run.steps.size()) +
                             " steps\nParameters: " + join(params, ", ");
    Reply reply;
    reply.text = text;
    reply.blocks_json = json::array({section(text)}).dump();
    return reply;
}

Reply render_step(const RunRecord& run, int step, TimePoint now) {
    const auto& s = declared(run, step);
    const auto& record = run.steps.at(static_cast<std::size_t>(step));
    std::string body = step_body(run, step);
    if (record.state == RunbookStepState::failed)
        body += "\n❌ Failed (attempt " + std::to_string(record.attempts) + "): " + record.result;
    const std::string value = value_of(run, step);
    json buttons = json::array();
    if (s.action)
        buttons.push_back(button("run", record.state == RunbookStepState::failed ? "Retry" : "Run",
                                 value, "primary"));
    else
        buttons.push_back(button("done", "Done", value, "primary"));
    if (s.skippable) buttons.push_back(button("skip", "Skip", value));
    buttons.push_back(button("abort", "Abort", value, "danger"));
    const std::string clock = clock_line(run, step, now);
    Reply reply;
    reply.text = body + "\n" + clock + "\nType " + typed_hint(run, s) + ".";
    reply.blocks_json =
        json::array({section(body), context(clock), {{"type", "actions"}, {"elements", buttons}}})
            .dump();
    return reply;
}

Reply render_step_closed(const RunRecord& run, int step, TimePoint now) {
    const auto& record = run.steps.at(static_cast<std::size_t>(step));
    std::string outcome;
    switch (record.state) {
        case RunbookStepState::done:
            outcome = "✅ Done";
            break;
        case RunbookStepState::skipped:
            outcome = "⏭️ Skipped";
            break;
        default:
            outcome = "🛑 Stopped (" + std::string(to_string(record.state)) + ")";
            break;
    }
    if (!record.decided_name.empty()) outcome += " by " + record.decided_name;
    if (const auto took = describe_step_time(record, now); !took.empty()) outcome += " in " + took;
    if (!record.result.empty()) outcome += ": " + record.result;
    const std::string body = step_heading(run, step);
    Reply reply;
    reply.text = body + "\n" + outcome;
    reply.blocks_json = json::array({section(body), context(shorten(outcome, 2900))}).dump();
    return reply;
}

Reply render_summary(const RunRecord& run, TimePoint now) {
    const std::string headline = std::string(run.state == RunState::done ? "🏁" : "🛑") +
                                 " *Runbook " + run.runbook.name + "* (run " +
                                 std::to_string(run.id) + ") " +
                                 (run.state == RunState::done ? "finished" : "aborted");
    const std::string timeline = format_timeline(run, now);
    Reply reply;
    reply.text = headline + "\n" + timeline;
    reply.blocks_json = json::array({section(headline), section(timeline)}).dump();
    return reply;
}

std::string button_command(const std::string& action_id, const std::string& value) {
    return "runbook " + action_id.substr(std::string(kActionPrefix).size()) + " " + value;
}

}  // namespace opsbot::runbooks
