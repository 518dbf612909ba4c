#pragma once
// Runbooks: the operations manual's procedures as ordered steps, and the
// guided runs of them. A step is done by a person (who presses Done) or by
// opsbot (an action). The model is plain structs; YAML stays in the loader,
// SQL in persistence/, Slack in bot/runbooks/.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

using RunbookValues = std::map<std::string, std::string>;

struct RunbookParam {
    std::string name;  // "project", "old_host": used as {name} in the steps
    std::string help;
    std::optional<std::string> default_value;  // absent: required
};

enum class Downtime { none, starts, ends };

struct RunbookAction {
    std::string type;    // purge, deploy, cloudflare.dns.point, wait_for_http
    RunbookValues args;  // may hold {param} placeholders
};

struct RunbookStep {
    std::string title;
    std::string instructions;             // may hold {param} placeholders
    std::vector<std::string> commands;    // shown as code for the person to run
    std::optional<RunbookAction> action;  // absent: a person does it and presses Done
    bool requires_confirmation = false;   // an action waits for Run instead of starting
    bool critical = false;
    Downtime downtime = Downtime::none;
    bool skippable = false;
    SourceLocation location;
};

struct Runbook {
    std::string name;
    std::string description;
    std::vector<RunbookParam> params;
    std::vector<RunbookStep> steps;
    SourceLocation location;

    const RunbookParam* param(const std::string& name) const;
};

// The action types opsbot can perform.
const std::vector<std::string>& runbook_action_types();
const char* to_string(Downtime downtime);
std::optional<Downtime> parse_downtime(std::string_view text);

// "{new_host}" → its value; unknown names are left as they are.
std::string substitute(std::string_view text, const RunbookValues& values);
// The {names} a text refers to.
std::vector<std::string> placeholders(std::string_view text);
// Positional values in the declared order, or name=value; defaults fill the
// rest. The error names the missing parameter and shows the usage.
Result<RunbookValues> bind_params(const Runbook& runbook, const std::vector<std::string>& args);
// "runbook start move-site <project> <old_host> <new_host> [port]"
std::string runbook_usage(const Runbook& runbook);

enum class RunbookStepState { waiting, pending, running, failed, done, skipped };
enum class RunState { running, done, aborted };
const char* to_string(RunbookStepState state);
std::optional<RunbookStepState> parse_runbook_step_state(std::string_view text);
const char* to_string(RunState state);
std::optional<RunState> parse_run_state(std::string_view text);

struct StepRecord {
    RunbookStepState state = RunbookStepState::waiting;
    int attempts = 0;
    std::optional<TimePoint> started;
    std::optional<TimePoint> finished;
    std::string decided_by;  // Slack user id (or the console user)
    std::string decided_name;
    std::string result;  // what an action got, or why it failed
    std::string message_ts;
    std::string replica;   // running: the replica that runs its action
    bool retried = false;  // taken over once from a replica that died
};

struct RunRecord {
    std::int64_t id = 0;
    Runbook runbook;  // as started: an edited file never changes a run under way
    RunbookValues params;
    std::string project;
    std::string environment;
    std::string started_by;
    std::string started_by_name;
    std::string oncall_id;
    std::string oncall_name;
    Source source = Source::console;
    std::string channel;
    std::string thread;
    RunState state = RunState::running;
    int current_step = 0;
    std::optional<TimePoint> downtime_started;
    std::optional<TimePoint> downtime_ended;
    TimePoint created;
    std::optional<TimePoint> finished;
    std::vector<StepRecord> steps;  // one per runbook step
};

// What a step change records.
struct StepChange {
    RunbookStepState to = RunbookStepState::done;
    TimePoint when;
    std::string by;
    std::string by_name;
    std::string result;
    std::string replica;  // the replica that runs it (to running), else ""
};

class RunbookStore {
public:
    virtual ~RunbookStore() = default;
    // Stores the run and one row per step; returns its id.
    virtual std::int64_t create(const RunRecord& run) = 0;
    virtual std::optional<RunRecord> find(std::int64_t id) const = 0;
    virtual std::vector<RunRecord> active() const = 0;
    // Atomic: changes the step only when it is in one of `from` and the run
    // is still running. False when another press got there first.
    virtual bool change_step(std::int64_t run, int step, const std::vector<RunbookStepState>& from,
                             const StepChange& change) = 0;
    // Makes `step` the current one (pending, started now).
    // A running step of a replica that died becomes to_replica's, once:
    // false when it was retried before, or another replica took it.
    virtual bool take_step(std::int64_t run, int step, const std::string& from_replica,
                           const std::string& to_replica) = 0;
    virtual void begin_step(std::int64_t run, int step, TimePoint when) = 0;
    virtual void set_step_message(std::int64_t run, int step, const std::string& ts) = 0;
    virtual void set_thread(std::int64_t run, const std::string& channel,
                            const std::string& thread) = 0;
    virtual void set_oncall(std::int64_t run, const std::string& id, const std::string& name) = 0;
    virtual void set_downtime(std::int64_t run, std::optional<TimePoint> started,
                              std::optional<TimePoint> ended) = 0;
    // Atomic: false when the run was no longer running.
    virtual bool finish(std::int64_t run, RunState state, TimePoint when) = 0;
};

// A press or its typed form: runbook done|skip|run|abort <id> [step].
enum class RunbookVerb { done, skip, run, abort };
const char* to_string(RunbookVerb verb);

struct RunbookPress {
    RunbookVerb verb = RunbookVerb::done;
    std::int64_t run = 0;
    std::optional<int> step;  // 1-based, from a button; absent: the current step
    Actor actor;
    std::string correlation_id;
};

struct RunbookStart {
    std::string name;
    std::vector<std::string> args;
    Actor actor;
    std::string channel;
    std::string thread;
    std::string correlation_id;
};

class RunbookService {
public:
    virtual ~RunbookService() = default;
    virtual const std::vector<Runbook>& runbooks() const = 0;
    virtual const Runbook* find_runbook(const std::string& name) const = 0;
    virtual Result<RunRecord> start(const RunbookStart& request) = 0;
    // The answer for the presser; an Error when the press was refused.
    virtual Result<std::string> press(const RunbookPress& press) = 0;
    virtual Result<std::string> handover(std::int64_t run, const Actor& actor,
                                         const std::string& to_user) = 0;
    virtual std::optional<RunRecord> find_run(std::int64_t id) const = 0;
    virtual std::vector<RunRecord> active() const = 0;
};

// Text shared by the chat answers and the thread messages.
std::string describe_step_time(const StepRecord& step, TimePoint now);
std::string format_timeline(const RunRecord& run, TimePoint now);
std::string format_status(const RunRecord& run, TimePoint now);
std::string format_runbook(const Runbook& runbook);

}  // namespace opsbot
