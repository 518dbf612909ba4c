#include <nlohmann/json.hpp>

#include "persistence/ops_stores.hpp"

namespace opsbot::db {
namespace {

constexpr const char* kColumns =
    "id, correlation_id, project, environment, job, ref, params_json, requested_by, "
    "requested_by_name, approved_by, queue_url, queue_id, build_number, build_url, state, "
    "result, channel, thread, status_ts, created_at, started_at, finished_at, error, kind, "
    "commit_sha, replaced_commit";

DeployRecord read_deploy(const Statement& row) {
    DeployRecord r;
    r.id = row.column_int(0);
    r.correlation_id = row.column_text(1);
    r.plan.project = row.column_text(2);
    r.plan.env = parse_env(row.column_text(3)).value_or(Env::stage);
    r.plan.job = row.column_text(4);
    r.plan.ref = row.column_text(5);
    const auto params = nlohmann::json::parse(row.column_text(6), nullptr, false);
    if (params.is_object())
        for (const auto& [name, value] : params.items())
            r.plan.params[name] = value.is_string() ? value.get<std::string>() : value.dump();
    r.requested_by = row.column_text(7);
    r.requested_by_name = row.column_text(8);
    r.approved_by = row.column_text(9);
    r.queue_url = row.column_text(10);
    r.queue_id = row.column_int(11);
    r.build_number = row.column_int(12);
    r.build_url = row.column_text(13);
    r.state = parse_deploy_state(row.column_text(14)).value_or(DeployState::lost);
    r.result = row.column_text(15);
    r.channel = row.column_text(16);
    r.thread = row.column_text(17);
    r.status_ts = row.column_text(18);
    r.created = parse_iso8601(row.column_text(19)).value_or(TimePoint{});
    r.started = column_time(row, 20);
    r.finished = column_time(row, 21);
    r.error = row.column_text(22);
    r.kind = parse_deploy_kind(row.column_text(23)).value_or(DeployKind::job);
    r.commit = row.column_text(24);
    r.replaced_commit = row.column_text(25);
    return r;
}

// The mutable columns, bound from 1; the caller binds the id after them.
void bind_progress(Statement& s, const DeployRecord& r) {
    s.bind(1, r.queue_url)
        .bind(2, r.queue_id)
        .bind(3, r.build_number)
        .bind(4, r.build_url)
        .bind(5, to_string(r.state))
        .bind(6, r.result)
        .bind(7, r.status_ts)
        .bind(8, r.thread);
    bind_time(s, 9, r.started);
    bind_time(s, 10, r.finished);
    s.bind(11, r.error).bind(12, r.commit);
}

constexpr const char* kProgressUpdate =
    "UPDATE deploys SET queue_url = ?, queue_id = ?, build_number = ?, build_url = ?, "
    "state = ?, result = ?, status_ts = ?, thread = ?, started_at = ?, finished_at = ?, "
    "error = ?, commit_sha = ? WHERE id = ? AND finished_at IS NULL";

}  // namespace

std::int64_t SqlDeployStore::create(const DeployRecord& r) {
    auto db = pool_.borrow();
    auto insert = db->prepare(
        "INSERT INTO deploys (correlation_id, project, environment, job, ref, params_json, "
        "requested_by, requested_by_name, approved_by, state, channel, thread, created_at, kind, "
        "commit_sha, replaced_commit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id");
    insert.bind(1, r.correlation_id)
        .bind(2, r.plan.project)
        .bind(3, to_string(r.plan.env))
        .bind(4, r.plan.job)
        .bind(5, r.plan.ref)
        .bind(6, nlohmann::json(r.plan.params).dump())
        .bind(7, r.requested_by)
        .bind(8, r.requested_by_name)
        .bind(9, r.approved_by)
        .bind(10, to_string(r.state))
        .bind(11, r.channel)
        .bind(12, r.thread)
        .bind(13, format_iso8601(r.created))
        .bind(14, to_string(r.kind))
        .bind(15, r.commit)
        .bind(16, r.replaced_commit);
    return returned_id(insert);
}

void SqlDeployStore::save_progress(const DeployRecord& record) {
    auto db = pool_.borrow();
    auto update = db->prepare(kProgressUpdate);
    bind_progress(update, record);
    update.bind(13, record.id);
    update.run();
}

// In a transaction: the follower's finish is fenced by its lease
// (core/write_fence.hpp), so a former holder cannot report a build twice.
bool SqlDeployStore::finish(const DeployRecord& record) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    DeployRecord finished = record;
    if (!finished.finished) finished.finished = std::chrono::system_clock::now();
    auto update = db->prepare(kProgressUpdate);
    bind_progress(update, finished);
    update.bind(13, finished.id);
    update.run();
    const bool changed = update.changes() == 1;
    transaction.commit();
    return changed;
}

std::vector<DeployRecord> SqlDeployStore::select(const std::string& where,
                                                 const std::vector<std::string>& params) const {
    auto db = pool_.borrow();
    auto statement = db->prepare(std::string("SELECT ") + kColumns + " FROM deploys " + where);
    for (std::size_t i = 0; i < params.size(); ++i)
        statement.bind(static_cast<int>(i) + 1, params[i]);
    std::vector<DeployRecord> out;
    while (statement.step()) out.push_back(read_deploy(statement));
    return out;
}

std::optional<DeployRecord> SqlDeployStore::find(std::int64_t id) const {
    auto rows = select("WHERE id = ?", {std::to_string(id)});
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::optional<DeployRecord> SqlDeployStore::find_by_build(const std::string& job,
                                                          std::int64_t number) const {
    auto rows = select("WHERE job = ? AND build_number = ? ORDER BY id DESC LIMIT 1",
                       {job, std::to_string(number)});
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::optional<DeployRecord> SqlDeployStore::find_by_queue_id(const std::string& job,
                                                             std::int64_t queue_id) const {
    auto rows = select("WHERE job = ? AND queue_id = ? ORDER BY id DESC LIMIT 1",
                       {job, std::to_string(queue_id)});
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::vector<DeployRecord> SqlDeployStore::unfinished() const {
    return select("WHERE finished_at IS NULL ORDER BY id", {});
}

std::vector<DeployRecord> SqlDeployStore::recent(const std::string& project, int limit) const {
    return select("WHERE (? = '' OR project = ?) ORDER BY id DESC LIMIT ?",
                  {project, project, std::to_string(limit)});
}

std::vector<DeployRecord> SqlDeployStore::live_history(const std::string& project, Env env,
                                                       int limit) const {
    return select(
        "WHERE project = ? AND environment = ? AND state = 'succeeded' ORDER BY id DESC LIMIT ?",
        {project, to_string(env), std::to_string(limit)});
}

}  // namespace opsbot::db
