#include "persistence/runbook_store.hpp"

#include <nlohmann/json.hpp>

namespace opsbot::db {
namespace {

using nlohmann::json;

constexpr const char* kRunColumns =
    "id, definition, params_json, project, environment, started_by, started_by_name, oncall_id, "
    "oncall_name, source, channel, thread, state, current_step, downtime_started, "
    "downtime_ended, created_at, finished_at";

json step_to_json(const RunbookStep& step) {
    json out{{"title", step.title},        {"instructions", step.instructions},
             {"commands", step.commands},  {"requires_confirmation", step.requires_confirmation},
             {"critical", step.critical},  {"downtime", to_string(step.downtime)},
             {"skippable", step.skippable}};
    if (step.action) out["action"] = {{"type", step.action->type}, {"args", step.action->args}};
    return out;
}

RunbookStep step_from_json(const json& in) {
    RunbookStep step;
    step.title = in.value("title", "");
    step.instructions = in.value("instructions", "");
    step.commands = in.value("commands", std::vector<std::string>{});
    step.requires_confirmation = in.value("requires_confirmation", false);
    step.critical = in.value("critical", false);
    step.downtime = parse_downtime(in.value("downtime", "none")).value_or(Downtime::none);
    step.skippable = in.value("skippable", false);
    if (const auto action = in.find("action"); action != in.end() && action->is_object())
        step.action =
            RunbookAction{action->value("type", ""), action->value("args", RunbookValues{})};
    return step;
}

RunRecord read_run(const Statement& row) {
    RunRecord run;
    run.id = row.column_int(0);
    run.runbook = runbook_from_json(row.column_text(1));
    const auto params = json::parse(row.column_text(2), nullptr, false);
    if (params.is_object()) run.params = params.get<RunbookValues>();
    run.project = row.column_text(3);
    run.environment = row.column_text(4);
    run.started_by = row.column_text(5);
    run.started_by_name = row.column_text(6);
    run.oncall_id = row.column_text(7);
    run.oncall_name = row.column_text(8);
    run.source = parse_source(row.column_text(9)).value_or(Source::slack);
    run.channel = row.column_text(10);
    run.thread = row.column_text(11);
    run.state = parse_run_state(row.column_text(12)).value_or(RunState::aborted);
    run.current_step = static_cast<int>(row.column_int(13));
    run.downtime_started = column_time(row, 14);
    run.downtime_ended = column_time(row, 15);
    run.created = column_time(row, 16).value_or(TimePoint{});
    run.finished = column_time(row, 17);
    return run;
}

std::string states_list(const std::vector<RunbookStepState>& states) {
    std::string list;
    for (const auto state : states)
        list += std::string(list.empty() ? "'" : ", '") + to_string(state) + "'";
    return list;
}

}  // namespace

std::string runbook_to_json(const Runbook& runbook) {
    json params = json::array();
    for (const auto& p : runbook.params) {
        json param{{"name", p.name}, {"help", p.help}};
        if (p.default_value) param["default"] = *p.default_value;
        params.push_back(param);
    }
    json steps = json::array();
    for (const auto& step : runbook.steps) steps.push_back(step_to_json(step));
    return json{{"name", runbook.name},
                {"description", runbook.description},
                {"params", params},
                {"steps", steps}}
        .dump();
}

Runbook runbook_from_json(const std::string& text) {
    Runbook runbook;
    const auto in = json::parse(text, nullptr, false);
    if (!in.is_object()) return runbook;
    runbook.name = in.value("name", "");
    runbook.description = in.value("description", "");
    for (const auto& p : in.value("params", json::array())) {
        RunbookParam param{p.value("name", ""), p.value("help", ""), std::nullopt};
        if (p.contains("default")) param.default_value = p.value("default", "");
        runbook.params.push_back(param);
    }
    for (const auto& step : in.value("steps", json::array()))
        runbook.steps.push_back(step_from_json(step));
    return runbook;
}

std::int64_t SqlRunbookStore::create(const RunRecord& run) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto insert = db->prepare(
        "INSERT INTO runbook_runs (runbook, definition, params_json, project, environment, "
        "started_by, started_by_name, oncall_id, oncall_name, source, channel, thread, state, "
        "current_step, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
        "RETURNING id");
    insert.bind(1, run.runbook.name)
        .bind(2, runbook_to_json(run.runbook))
        .bind(3, json(run.params).dump())
        .bind(4, run.project)
        .bind(5, run.environment)
        .bind(6, run.started_by)
        .bind(7, run.started_by_name)
        .bind(8, run.oncall_id)
        .bind(9, run.oncall_name)
        .bind(10, to_string(run.source))
        .bind(11, run.channel)
        .bind(12, run.thread)
        .bind(13, to_string(run.state))
        .bind(14, format_iso8601(run.created));
    const auto id = returned_id(insert);
    for (std::size_t i = 0; i < run.runbook.steps.size(); ++i) {
        auto step = db->prepare("INSERT INTO runbook_steps (run_id, step) VALUES (?, ?)");
        step.bind(1, id).bind(2, static_cast<std::int64_t>(i));
        step.run();
    }
    transaction.commit();
    return id;
}

namespace {

void read_steps(Database& db, RunRecord& run) {
    auto select = db.prepare(
        "SELECT state, attempts, started_at, finished_at, decided_by, decided_name, result, "
        "message_ts, replica, retried FROM runbook_steps WHERE run_id = ? ORDER BY step");
    select.bind(1, run.id);
    while (select.step()) {
        StepRecord step;
        step.state =
            parse_runbook_step_state(select.column_text(0)).value_or(RunbookStepState::waiting);
        step.attempts = static_cast<int>(select.column_int(1));
        step.started = column_time(select, 2);
        step.finished = column_time(select, 3);
        step.decided_by = select.column_text(4);
        step.decided_name = select.column_text(5);
        step.result = select.column_text(6);
        step.message_ts = select.column_text(7);
        step.replica = select.column_text(8);
        step.retried = select.column_int(9) != 0;
        run.steps.push_back(std::move(step));
    }
}

std::optional<RunRecord> find_run(Database& db, std::int64_t id) {
    auto select =
        db.prepare(std::string("SELECT ") + kRunColumns + " FROM runbook_runs WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) return std::nullopt;
    auto run = read_run(select);
    read_steps(db, run);
    return run;
}
}  // namespace

std::optional<RunRecord> SqlRunbookStore::find(std::int64_t id) const {
    auto db = pool_.borrow();
    return find_run(*db, id);
}

std::vector<RunRecord> SqlRunbookStore::active() const {
    auto db = pool_.borrow();
    std::vector<std::int64_t> ids;
    auto select =
        db->prepare("SELECT id FROM runbook_runs WHERE state = 'running' ORDER BY created_at, id");
    while (select.step()) ids.push_back(select.column_int(0));
    std::vector<RunRecord> runs;
    for (const auto id : ids)
        if (auto run = find_run(*db, id)) runs.push_back(std::move(*run));
    return runs;
}

bool SqlRunbookStore::change_step(std::int64_t run, int step,
                                  const std::vector<RunbookStepState>& from,
                                  const StepChange& change) {
    auto db = pool_.borrow();
    // With finish(): a step approved as its run is aborted must not win on
    // PostgreSQL either, where the subquery below alone would take no lock.
    Transaction transaction(*db, Serialize::runbooks);
    const bool finishes = change.to != RunbookStepState::running;
    auto update = db->prepare(
        std::string(
            "UPDATE runbook_steps SET state = ?, decided_by = ?, decided_name = ?, result = ?, ") +
        "attempts = attempts + ?, finished_at = ?, replica = ? WHERE run_id = ? AND step = ? AND "
        "state IN (" +
        states_list(from) + ") AND (SELECT state FROM runbook_runs WHERE id = ?) = 'running'");
    update.bind(1, to_string(change.to))
        .bind(2, change.by)
        .bind(3, change.by_name)
        .bind(4, change.result)
        .bind(5, std::int64_t{finishes ? 0 : 1})
        .bind(7, change.replica)
        .bind(8, run)
        .bind(9, static_cast<std::int64_t>(step))
        .bind(10, run);
    bind_time(update, 6, finishes ? std::optional<TimePoint>(change.when) : std::nullopt);
    update.run();
    transaction.commit();
    return update.changes() == 1;
}

bool SqlRunbookStore::take_step(std::int64_t run, int step, const std::string& from_replica,
                                const std::string& to_replica) {
    auto db = pool_.borrow();
    Transaction transaction(*db, Serialize::runbooks);
    auto update = db->prepare(
        "UPDATE runbook_steps SET replica = ?, retried = 1 WHERE run_id = ? AND step = ? AND "
        "state = 'running' AND replica = ? AND retried = 0 AND "
        "(SELECT state FROM runbook_runs WHERE id = ?) = 'running'");
    update.bind(1, to_replica)
        .bind(2, run)
        .bind(3, static_cast<std::int64_t>(step))
        .bind(4, from_replica)
        .bind(5, run);
    update.run();
    const bool taken = update.changes() == 1;
    transaction.commit();
    return taken;
}

void SqlRunbookStore::begin_step(std::int64_t run, int step, TimePoint when) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto update = db->prepare(
        "UPDATE runbook_steps SET state = 'pending', started_at = ? "
        "WHERE run_id = ? AND step = ? AND state = 'waiting'");
    update.bind(1, format_iso8601(when)).bind(2, run).bind(3, static_cast<std::int64_t>(step));
    update.run();
    auto current = db->prepare("UPDATE runbook_runs SET current_step = ? WHERE id = ?");
    current.bind(1, static_cast<std::int64_t>(step)).bind(2, run);
    current.run();
    transaction.commit();
}

void SqlRunbookStore::set_step_message(std::int64_t run, int step, const std::string& ts) {
    auto db = pool_.borrow();
    auto update =
        db->prepare("UPDATE runbook_steps SET message_ts = ? WHERE run_id = ? AND step = ?");
    update.bind(1, ts).bind(2, run).bind(3, static_cast<std::int64_t>(step));
    update.run();
}

void SqlRunbookStore::set_thread(std::int64_t run, const std::string& channel,
                                 const std::string& thread) {
    auto db = pool_.borrow();
    auto update = db->prepare("UPDATE runbook_runs SET channel = ?, thread = ? WHERE id = ?");
    update.bind(1, channel).bind(2, thread).bind(3, run);
    update.run();
}

void SqlRunbookStore::set_oncall(std::int64_t run, const std::string& id, const std::string& name) {
    auto db = pool_.borrow();
    auto update =
        db->prepare("UPDATE runbook_runs SET oncall_id = ?, oncall_name = ? WHERE id = ?");
    update.bind(1, id).bind(2, name).bind(3, run);
    update.run();
}

void SqlRunbookStore::set_downtime(std::int64_t run, std::optional<TimePoint> started,
                                   std::optional<TimePoint> ended) {
    auto db = pool_.borrow();
    auto update = db->prepare(
        "UPDATE runbook_runs SET downtime_started = ?, downtime_ended = ? WHERE id = ?");
    bind_time(update, 1, started);
    bind_time(update, 2, ended);
    update.bind(3, run);
    update.run();
}

bool SqlRunbookStore::finish(std::int64_t run, RunState state, TimePoint when) {
    auto db = pool_.borrow();
    Transaction transaction(*db, Serialize::runbooks);
    auto update = db->prepare(
        "UPDATE runbook_runs SET state = ?, finished_at = ? WHERE id = ? AND state = 'running'");
    update.bind(1, to_string(state)).bind(2, format_iso8601(when)).bind(3, run);
    update.run();
    transaction.commit();
    return update.changes() == 1;
}

}  // namespace opsbot::db
