#include "bot/runbooks/runbook_service.hpp"

#include <spdlog/spdlog.h>

#include "bot/runbooks/runbook_messages.hpp"
#include "core/text.hpp"

namespace opsbot::runbooks {
namespace {

// Slack people as mentions; the console user by name.
std::string who(const Actor& actor) {
    return actor.local || actor.user_id.empty() ? actor.name : "<@" + actor.user_id + ">";
}

std::string step_label(const RunRecord& run, int step) {
    return "step " + std::to_string(step + 1) + " (" +
           substitute(run.runbook.steps.at(static_cast<std::size_t>(step)).title, run.params) + ")";
}

Actor oncall_actor(const RunRecord& run) {
    Actor actor;
    actor.user_id = run.oncall_id;
    actor.name = run.oncall_name;
    actor.source = run.source;
    actor.local = run.source == Source::console;
    return actor;
}

Actor opsbot_actor() {
    Actor actor;
    actor.user_id = "opsbot";
    actor.name = "opsbot";
    actor.source = Source::system;
    actor.local = true;
    return actor;
}

std::string capitalised(std::string text) {
    if (!text.empty())
        text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    return text;
}

}  // namespace

ThreadRunbookService::ThreadRunbookService(std::vector<Runbook> runbooks, RunbookDeps deps)
    : runbooks_(std::move(runbooks)), deps_(std::move(deps)) {}

const Runbook* ThreadRunbookService::find_runbook(const std::string& name) const {
    for (const auto& runbook : runbooks_)
        if (runbook.name == name) return &runbook;
    return nullptr;
}

std::optional<RunRecord> ThreadRunbookService::find_run(std::int64_t id) const {
    return deps_.store.find(id);
}

std::vector<RunRecord> ThreadRunbookService::active() const {
    return deps_.store.active();
}

Result<RunbookValues> ThreadRunbookService::check_start(const Runbook& runbook,
                                                        const RunbookStart& request) const {
    auto values = bind_params(runbook, request.args);
    if (!values) return values.error();
    auto& v = values.value();
    if (v.count("env") && !parse_env(v["env"]))
        return Error{"bad_env", "env must be stage or prod, not '" + v["env"] + "'", ""};
    if (!v.count("project")) return values;
    const auto catalogue = deps_.actions.catalogue->current();
    if (!catalogue->find_project(v["project"])) {
        const auto hint = did_you_mean(v["project"], catalogue->project_slugs());
        return Error{"unknown_project", "unknown project '" + v["project"] + "'",
                     hint.empty() ? "projects: " + join(catalogue->project_slugs(), ", ") : hint};
    }
    const Env env = parse_env(v.count("env") ? v["env"] : "prod").value_or(Env::prod);
    if (!deps_.locks) return values;
    const auto now = deps_.clock.now();
    const auto held = deps_.locks->find(v["project"], env, now);
    if (held && held->owner_id != request.actor.user_id)
        return locked_error(*held, now, "start runbook " + runbook.name + " on");
    return values;
}

Result<RunRecord> ThreadRunbookService::start(const RunbookStart& request) {
    const auto* runbook = find_runbook(request.name);
    if (!runbook) {
        std::vector<std::string> names;
        for (const auto& r : runbooks_) names.push_back(r.name);
        const auto hint = did_you_mean(request.name, names);
        return Error{"unknown_runbook", "there is no runbook '" + request.name + "'",
                     hint.empty() ? "`runbook list` shows them" : hint};
    }
    auto values = check_start(*runbook, request);
    if (!values) return values.error();
    RunRecord run;
    run.runbook = *runbook;
    run.params = values.value();
    run.project = run.params.count("project") ? run.params["project"] : "";
    run.environment =
        run.params.count("env") ? run.params["env"] : (run.project.empty() ? "" : "prod");
    run.started_by = run.oncall_id = request.actor.user_id;
    run.started_by_name = run.oncall_name = who(request.actor);
    run.source = request.actor.source;
    run.channel = request.channel;
    run.thread = request.thread;
    run.created = deps_.clock.now();
    run.steps.resize(runbook->steps.size());
    run.id = deps_.store.create(run);
    std::vector<std::string> params;
    for (const auto& [name, value] : run.params) params.push_back(name + "=" + value);
    audit(run, request.actor, request.correlation_id, "runbook start " + runbook->name,
          Outcome::started, join(params, " "));
    const auto posted = deps_.notifier.post(run.channel, run.thread, render_header(run));
    if (posted && run.thread.empty() && !posted.value().ts.empty()) {
        if (!posted.value().channel.empty()) run.channel = posted.value().channel;
        run.thread = posted.value().ts;
        deps_.store.set_thread(run.id, run.channel, run.thread);
    }
    begin(run.id, 0);
    return *find_run(run.id);
}

void ThreadRunbookService::begin(std::int64_t id, int step) {
    const auto now = deps_.clock.now();
    deps_.store.begin_step(id, step, now);
    auto run = *find_run(id);
    const auto& declared = run.runbook.steps.at(static_cast<std::size_t>(step));
    if (declared.downtime == Downtime::starts && !run.downtime_started)
        deps_.store.set_downtime(id, now, std::nullopt);
    audit(run, opsbot_actor(), "", "runbook " + step_label(run, step) + " started",
          Outcome::started);
    post_step(id, step);
    if (declared.action && !declared.requires_confirmation)
        (void)execute(*find_run(id), step, oncall_actor(run), "", false);
}

Error ThreadRunbookService::refusal(const RunRecord& run, int step) const {
    const auto& record = run.steps.at(static_cast<std::size_t>(step));
    const std::string label = capitalised(step_label(run, step));
    switch (record.state) {
        case RunbookStepState::done:
            return Error{"already_done",
                         label + " was already " +
                             (run.runbook.steps.at(static_cast<std::size_t>(step)).action
                                  ? "done by opsbot for "
                                  : "confirmed by ") +
                             record.decided_name + ".",
                         ""};
        case RunbookStepState::skipped:
            return Error{"already_done",
                         label + " was already skipped by " + record.decided_name + ".", ""};
        case RunbookStepState::running:
            return Error{"running",
                         label + " is running now (started by " + record.decided_name + ").",
                         "wait for its result in the thread"};
        default:
            break;
    }
    return Error{
        "not_current",
        label + " is not open: the run is at step " + std::to_string(run.current_step + 1) + ".",
        "`runbook status " + std::to_string(run.id) + "` shows where it is"};
}

Result<std::string> ThreadRunbookService::press(const RunbookPress& press) {
    const auto found = find_run(press.run);
    if (!found)
        return Error{"unknown_run", "there is no runbook run " + std::to_string(press.run),
                     "`runbooks` lists the active runs"};
    const auto& run = *found;
    const std::string id = std::to_string(run.id);
    if (run.state != RunState::running)
        return Error{
            "run_over",
            "Run " + id + " of " + run.runbook.name + " is already " + to_string(run.state) + ".",
            "`runbook report " + id + "` shows its timeline"};
    const int step = press.step ? *press.step - 1 : run.current_step;
    if (step < 0 || step >= static_cast<int>(run.steps.size()))
        return Error{"bad_step", "run " + id + " has no step " + std::to_string(step + 1), ""};
    const auto state = run.steps.at(static_cast<std::size_t>(step)).state;
    const bool open = state == RunbookStepState::pending || state == RunbookStepState::failed;
    if (press.verb != RunbookVerb::abort && (!open || step != run.current_step))
        return refusal(run, step);
    if (press.actor.user_id != run.oncall_id)
        return Error{"not_oncall",
                     "Only " + run.oncall_name + ", on call for run " + id +
                         ", can press the buttons of this run.",
                     "ask them to hand it over: `runbook handover " + id + " @you`"};
    switch (press.verb) {
        case RunbookVerb::done:
            return confirm(run, step, press);
        case RunbookVerb::skip:
            return skip(run, step, press);
        case RunbookVerb::run:
            return execute(run, step, press.actor, press.correlation_id, false);
        case RunbookVerb::abort:
            break;
    }
    return abort(run, press);
}

Result<std::string> ThreadRunbookService::confirm(const RunRecord& run, int step,
                                                  const RunbookPress& press) {
    const auto& declared = run.runbook.steps.at(static_cast<std::size_t>(step));
    const std::string id = std::to_string(run.id);
    if (declared.action)
        return Error{"action_step",
                     capitalised(step_label(run, step)) + " is opsbot's to run, not confirmed.",
                     "press Run (`runbook run " + id + "`)"};
    return decide(run, step, press, {RunbookStepState::done, "done", "✅", "confirmed"},
                  {RunbookStepState::pending});
}

// A person's decision on the step, taken only from the states in `from`.
Result<std::string> ThreadRunbookService::decide(const RunRecord& run, int step,
                                                 const RunbookPress& press,
                                                 const Decision& decision,
                                                 const std::vector<RunbookStepState>& from) {
    const StepChange change{decision.to, deps_.clock.now(), press.actor.user_id, who(press.actor),
                            ""};
    if (!deps_.store.change_step(run.id, step, from, change))
        return refusal(*find_run(run.id), step);
    audit(run, press.actor, press.correlation_id,
          "runbook " + step_label(run, step) + " " + decision.word,
          decision.to == RunbookStepState::done ? Outcome::confirmed : Outcome::cancelled);
    close_step(run.id, step);
    return std::string(decision.icon) + " " + capitalised(step_label(run, step)) + " " +
           decision.said + "." + advance(run.id, step);
}

Result<std::string> ThreadRunbookService::skip(const RunRecord& run, int step,
                                               const RunbookPress& press) {
    if (!run.runbook.steps.at(static_cast<std::size_t>(step)).skippable)
        return Error{
            "not_skippable",
            capitalised(step_label(run, step)) + " cannot be skipped in " + run.runbook.name + ".",
            "press Done when it is done, or Abort the run"};
    return decide(run, step, press, {RunbookStepState::skipped, "skipped", "⏭️", "skipped"},
                  {RunbookStepState::pending, RunbookStepState::failed});
}

Result<std::string> ThreadRunbookService::execute(const RunRecord& run, int step,
                                                  const Actor& actor,
                                                  const std::string& correlation_id, bool claimed) {
    const auto& declared = run.runbook.steps.at(static_cast<std::size_t>(step));
    const std::string label = step_label(run, step);
    if (!declared.action)
        return Error{"confirm_step", capitalised(label) + " is done by a person: press Done.", ""};
    const StepChange running{
        RunbookStepState::running, deps_.clock.now(), actor.user_id, who(actor), "", deps_.replica};
    if (!claimed &&
        !deps_.store.change_step(run.id, step,
                                 {RunbookStepState::pending, RunbookStepState::failed}, running))
        return refusal(*find_run(run.id), step);
    audit(run, actor, correlation_id, "runbook " + label + " run " + declared.action->type,
          Outcome::started);
    RunbookValues args;
    for (const auto& [name, value] : declared.action->args)
        args[name] = substitute(value, run.params);
    const auto result =
        perform_action(deps_.actions, declared.action->type, {run, args, actor, correlation_id});
    const auto now = deps_.clock.now();
    if (result) {
        deps_.store.change_step(run.id, step, {RunbookStepState::running},
                                {RunbookStepState::done, now, actor.user_id, who(actor),
                                 result.value(), deps_.replica});
        audit(run, actor, correlation_id, "runbook " + label + " " + declared.action->type,
              Outcome::succeeded, result.value());
        close_step(run.id, step);
        return "✅ " + capitalised(label) + ": " + result.value() + advance(run.id, step);
    }
    const auto& error = result.error();
    deps_.store.change_step(
        run.id, step, {RunbookStepState::running},
        {RunbookStepState::failed, now, actor.user_id, who(actor), error.message, deps_.replica});
    audit(run, actor, correlation_id, "runbook " + label + " " + declared.action->type,
          Outcome::failed, error.message);
    const auto failed = *find_run(run.id);
    const auto& record = failed.steps.at(static_cast<std::size_t>(step));
    if (!record.message_ts.empty())
        (void)deps_.notifier.update({failed.channel, record.message_ts},
                                    render_step(failed, step, now));
    else
        post_step(run.id, step);
    return Error{
        "action_failed", "❌ " + capitalised(label) + " failed: " + error.message,
        "Retry with `runbook run " + std::to_string(run.id) + "`" +
            (declared.skippable ? ", or skip it with `runbook skip " + std::to_string(run.id) + "`"
                                : ", or abort the run")};
}

Result<std::string> ThreadRunbookService::abort(const RunRecord& run, const RunbookPress& press) {
    if (!deps_.store.finish(run.id, RunState::aborted, deps_.clock.now()))
        return Error{"run_over", "Run " + std::to_string(run.id) + " is already over.", ""};
    audit(run, press.actor, press.correlation_id,
          "runbook abort at " + step_label(run, run.current_step), Outcome::cancelled);
    close_step(run.id, run.current_step);
    post(*find_run(run.id), render_summary(*find_run(run.id), deps_.clock.now()));
    return "🛑 Run " + std::to_string(run.id) + " of " + run.runbook.name + " aborted at " +
           step_label(run, run.current_step) + ".";
}

std::string ThreadRunbookService::advance(std::int64_t id, int step) {
    const auto now = deps_.clock.now();
    auto run = *find_run(id);
    const auto& declared = run.runbook.steps.at(static_cast<std::size_t>(step));
    if (declared.downtime == Downtime::ends && !run.downtime_ended)
        deps_.store.set_downtime(id, run.downtime_started.value_or(now), now);
    if (step + 1 < static_cast<int>(run.steps.size())) {
        begin(id, step + 1);
        const auto next = *find_run(id);
        if (next.state != RunState::running) return "\n🏁 Run " + std::to_string(id) + " finished.";
        return "\nNow: " + step_label(next, next.current_step) + ".";
    }
    if (!deps_.store.finish(id, RunState::done, now)) return "";
    run = *find_run(id);
    audit(run, oncall_actor(run), "", "runbook " + run.runbook.name + " finished",
          Outcome::succeeded);
    post(run, render_summary(run, now));
    return "\n🏁 Run " + std::to_string(id) + " finished.";
}

Result<std::string> ThreadRunbookService::handover(std::int64_t id, const Actor& actor,
                                                   const std::string& to_user) {
    const auto run = find_run(id);
    if (!run || run->state != RunState::running)
        return Error{"unknown_run", "there is no active runbook run " + std::to_string(id),
                     "`runbooks` lists the active runs"};
    if (actor.user_id != run->oncall_id)
        return Error{"not_oncall",
                     "Only " + run->oncall_name + ", on call for run " + std::to_string(id) +
                         ", can hand it over.",
                     ""};
    const std::string name = "<@" + to_user + ">";
    deps_.store.set_oncall(id, to_user, name);
    audit(*run, actor, "", "runbook handover to " + to_user, Outcome::succeeded);
    Reply note;
    note.text = "🔁 " + who(actor) + " handed run " + std::to_string(id) + " over to " + name +
                ", who is on call now.";
    post(*run, note);
    return note.text;
}

// A step recorded without a replica ran before replicas existed: this
// process's predecessor ran it.
void ThreadRunbookService::recover() {
    for (const auto& run : active()) {
        for (int step = 0; step < static_cast<int>(run.steps.size()); ++step) {
            const auto& record = run.steps[static_cast<std::size_t>(step)];
            if (record.state != RunbookStepState::running ||
                (!record.replica.empty() && record.replica != deps_.replica))
                continue;
            fail_interrupted(
                run, step,
                "interrupted by a restart of opsbot; check its effect, then Retry or Skip");
        }
    }
}

void ThreadRunbookService::take_over_steps(
    const std::function<bool(const std::string& replica)>& alive) {
    for (const auto& run : active()) {
        for (int step = 0; step < static_cast<int>(run.steps.size()); ++step) {
            const auto& record = run.steps[static_cast<std::size_t>(step)];
            if (record.state != RunbookStepState::running || record.replica.empty() ||
                record.replica == deps_.replica || alive(record.replica))
                continue;
            if (!record.retried) {
                retry_step(run, step);
                continue;
            }
            fail_interrupted(run, step,
                             "interrupted twice: replica " + record.replica +
                                 " stopped while it retried it; check its effect, then Retry or "
                                 "Skip");
        }
    }
}

// Once: take_step() marks the step retried, so no replica runs it a third time.
void ThreadRunbookService::retry_step(const RunRecord& run, int step) {
    const std::string dead = run.steps[static_cast<std::size_t>(step)].replica;
    if (!deps_.store.take_step(run.id, step, dead, deps_.replica)) return;
    const std::string label = step_label(run, step);
    spdlog::warn("runbooks: run {} {}: replica {} stopped while running it; retrying it here",
                 run.id, label, dead);
    audit(run, opsbot_actor(), "", "runbook " + label + " retried on replica " + deps_.replica,
          Outcome::started, "replica " + dead + " stopped");
    post(run, {"🔁 " + capitalised(label) + " is being retried on replica " + deps_.replica +
               " because replica " + dead + " stopped while running it."});
    const auto result = execute(*find_run(run.id), step, opsbot_actor(), "", true);
    post(*find_run(run.id), {result ? result.value() : result.error().message});
}

void ThreadRunbookService::fail_interrupted(const RunRecord& run, int step,
                                            const std::string& why) {
    if (!deps_.store.change_step(
            run.id, step, {RunbookStepState::running},
            {RunbookStepState::failed, deps_.clock.now(), "opsbot", "opsbot", why, deps_.replica}))
        return;
    audit(run, opsbot_actor(), "", "runbook " + step_label(run, step) + " interrupted",
          Outcome::failed, why);
    const auto now_run = *find_run(run.id);
    const auto& ts = now_run.steps[static_cast<std::size_t>(step)].message_ts;
    if (!ts.empty())
        (void)deps_.notifier.update({now_run.channel, ts},
                                    render_step(now_run, step, deps_.clock.now()));
}

void ThreadRunbookService::post_step(std::int64_t id, int step) {
    const auto run = *find_run(id);
    const auto posted =
        deps_.notifier.post(run.channel, run.thread, render_step(run, step, deps_.clock.now()));
    if (!posted) {
        spdlog::warn("runbooks: could not post step {} of run {}: {}", step + 1, id,
                     posted.error().message);
        return;
    }
    if (!posted.value().ts.empty()) deps_.store.set_step_message(id, step, posted.value().ts);
}

void ThreadRunbookService::close_step(std::int64_t id, int step) {
    const auto run = *find_run(id);
    const auto reply = render_step_closed(run, step, deps_.clock.now());
    const auto& ts = run.steps.at(static_cast<std::size_t>(step)).message_ts;
    if (ts.empty()) return post(run, reply);  // the console: no message to edit
    if (!deps_.notifier.update({run.channel, ts}, reply))
        spdlog::warn("runbooks: could not update step {} of run {}", step + 1, id);
}

void ThreadRunbookService::post(const RunRecord& run, const Reply& reply) {
    const auto posted = deps_.notifier.post(run.channel, run.thread, reply);
    if (!posted)
        spdlog::warn("runbooks: could not post to run {}'s thread: {}", run.id,
                     posted.error().message);
}

void ThreadRunbookService::audit(const RunRecord& run, const Actor& actor,
                                 const std::string& correlation_id, const std::string& what,
                                 Outcome outcome, const std::string& detail) {
    AuditEntry entry;
    entry.correlation_id = correlation_id;
    entry.actor_id = actor.user_id;
    entry.actor_name = actor.name;
    entry.source = actor.source;
    entry.channel = run.channel;
    entry.thread = run.thread;
    entry.command = what;
    entry.project = run.project;
    entry.environment = run.environment;
    entry.outcome = outcome;
    entry.external_ref = "runbook run " + std::to_string(run.id);
    if (outcome == Outcome::failed)
        entry.error = detail;
    else if (!detail.empty())
        entry.external_ref += ": " + detail;
    deps_.audit.append(std::move(entry));
}

}  // namespace opsbot::runbooks
