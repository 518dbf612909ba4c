#include "persistence/alert_store.hpp"

#include <nlohmann/json.hpp>

namespace opsbot::db {
namespace {

constexpr const char* kIssueColumns =
    "issue_id, channel, project, environment, latest_json, events, status, status_by, "
    "muted_until, assignee, first_received, last_received, message_id";

AlertIssue read_issue(const Statement& row) {
    AlertIssue issue;
    issue.issue_id = row.column_text(0);
    issue.channel = row.column_text(1);
    issue.project = row.column_text(2);
    issue.environment = row.column_text(3);
    issue.latest = alert_from_json(row.column_text(4));
    issue.events = row.column_int(5);
    issue.status = parse_alert_status(row.column_text(6));
    issue.status_by = row.column_text(7);
    issue.muted_until = column_time(row, 8);
    issue.assignee = row.column_text(9);
    issue.first_received = parse_iso8601(row.column_text(10)).value_or(TimePoint{});
    issue.last_received = parse_iso8601(row.column_text(11)).value_or(TimePoint{});
    issue.message_id = row.column_is_null(12) ? 0 : row.column_int(12);
    return issue;
}

AlertMessage read_message(const Statement& row) {
    AlertMessage message;
    message.id = row.column_int(0);
    message.channel = row.column_text(1);
    message.ts = row.column_text(2);
    message.posted_to = row.column_text(3);
    message.kind =
        row.column_text(4) == "digest" ? AlertMessageKind::digest : AlertMessageKind::issue;
    message.created = parse_iso8601(row.column_text(5)).value_or(TimePoint{});
    return message;
}

constexpr const char* kMessageColumns = "id, channel, ts, posted_to, kind, created_at";

}  // namespace

std::string alert_to_json(const Alert& a) {
    nlohmann::json j{{"resource", a.resource},
                     {"action", a.action},
                     {"issue_id", a.issue_id},
                     {"short_id", a.short_id},
                     {"project", a.project},
                     {"title", a.title},
                     {"culprit", a.culprit},
                     {"level", a.level},
                     {"environment", a.environment},
                     {"release", a.release},
                     {"first_seen", a.first_seen},
                     {"last_seen", a.last_seen},
                     {"count", a.count},
                     {"link", a.link},
                     {"status", a.status},
                     {"assignee", a.assignee},
                     {"actor", a.actor},
                     {"rule", a.rule},
                     {"event_id", a.event_id}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Alert alert_from_json(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    Alert a;
    if (!j.is_object()) return a;
    const auto text_of = [&j](const char* key) { return j.value(key, std::string{}); };
    a.resource = text_of("resource");
    a.action = text_of("action");
    a.issue_id = text_of("issue_id");
    a.short_id = text_of("short_id");
    a.project = text_of("project");
    a.title = text_of("title");
    a.culprit = text_of("culprit");
    a.level = text_of("level");
    a.environment = text_of("environment");
    a.release = text_of("release");
    a.first_seen = text_of("first_seen");
    a.last_seen = text_of("last_seen");
    a.count = j.value("count", std::int64_t{0});
    a.link = text_of("link");
    a.status = text_of("status");
    a.assignee = text_of("assignee");
    a.actor = text_of("actor");
    a.rule = text_of("rule");
    a.event_id = text_of("event_id");
    return a;
}

void SqlAlertStore::defer_checkpoints() {
    // The intake's commits should not stop to copy the WAL into the
    // database: the relay's connection, which commits after every batch it
    // applies, checkpoints instead, off the request path.
    auto db = pool_.borrow();
    if (db->backend() == Backend::sqlite) db->exec("PRAGMA wal_autocheckpoint = 0");
}

struct SqlAlertStore::PendingRecord {
    std::string key;
    std::string received;
    std::string issue_id;
    std::int64_t occurrence = 0;
    std::string json;
    bool inserted = false;
};

SqlAlertStore::SqlAlertStore(Connections& pool)
    : pool_(pool), inbox_writes_([this](const auto& group) { commit_group(group); }) {}

SqlAlertStore::~SqlAlertStore() = default;

bool SqlAlertStore::record(const std::string& dedupe_key, TimePoint received, const Alert& alert) {
    PendingRecord mine{dedupe_key, format_iso8601(received), alert.issue_id,
                       alert.is_occurrence() ? 1 : 0, alert_to_json(alert)};
    inbox_writes_.submit(mine);
    return mine.inserted;
}

void SqlAlertStore::commit_group(const std::vector<PendingRecord*>& group) {
    auto db = pool_.borrow();
    Transaction transaction(*db, Serialize::alert_inbox);
    auto insert = db->prepare(
        "INSERT INTO alert_inbox (dedupe_key, received_at, issue_id, occurrence, alert_json) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    for (auto* record : group) {
        insert.reset();
        insert.bind(1, record->key)
            .bind(2, record->received)
            .bind(3, record->issue_id)
            .bind(4, record->occurrence)
            .bind(5, record->json);
        insert.run();
        record->inserted = insert.changes() > 0;
    }
    transaction.commit();
}

std::vector<InboxAlert> SqlAlertStore::unapplied(int limit) {
    auto db = pool_.borrow();
    // Not "after the newest id applied": on PostgreSQL (and with replicas)
    // inserts commit out of id order, and a row committed late below that
    // mark would never be relayed. The partial index (migration 017) holds
    // only the rows still to apply.
    auto select = db->prepare(
        "SELECT id, dedupe_key, received_at, alert_json FROM alert_inbox WHERE applied = 0 "
        "ORDER BY id LIMIT ?");
    select.bind(1, std::int64_t{limit});
    std::vector<InboxAlert> out;
    while (select.step())
        out.push_back({select.column_int(0), select.column_text(1),
                       parse_iso8601(select.column_text(2)).value_or(TimePoint{}),
                       alert_from_json(select.column_text(3))});
    return out;
}

void SqlAlertStore::apply(const std::vector<AlertIssue>& issues,
                          const std::vector<std::int64_t>& inbox_ids) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto upsert = db->prepare(upsert_sql("alert_issues", kIssueColumns, "issue_id"));
    auto mark = db->prepare("UPDATE alert_messages SET pending = 1 WHERE id = ?");
    for (const auto& issue : issues) {
        upsert.reset();
        upsert.bind(1, issue.issue_id)
            .bind(2, issue.channel)
            .bind(3, issue.project)
            .bind(4, issue.environment)
            .bind(5, alert_to_json(issue.latest))
            .bind(6, issue.events)
            .bind(7, to_string(issue.status))
            .bind(8, issue.status_by);
        bind_time(upsert, 9, issue.muted_until);
        upsert.bind(10, issue.assignee)
            .bind(11, format_iso8601(issue.first_received))
            .bind(12, format_iso8601(issue.last_received));
        if (issue.message_id > 0)
            upsert.bind(13, issue.message_id);
        else
            upsert.bind_null(13);
        upsert.run();
        if (issue.message_id > 0) {
            mark.reset();
            mark.bind(1, issue.message_id);
            mark.run();
        }
    }
    // The rows read, by id: one committed since, below them, is not one of them.
    auto applied = db->prepare("UPDATE alert_inbox SET applied = 1 WHERE id = ?");
    for (const auto id : inbox_ids) {
        applied.reset();
        applied.bind(1, id);
        applied.run();
    }
    transaction.commit();
}

std::vector<AlertIssue> SqlAlertStore::select_issues(Database& db,
                                                     const std::string& where_and_order,
                                                     const std::vector<std::string>& params) {
    auto select = db.prepare(std::string("SELECT ") + kIssueColumns + " FROM alert_issues " +
                             where_and_order);
    for (std::size_t i = 0; i < params.size(); ++i) select.bind(static_cast<int>(i) + 1, params[i]);
    std::vector<AlertIssue> out;
    while (select.step()) out.push_back(read_issue(select));
    return out;
}

std::optional<AlertIssue> SqlAlertStore::issue(const std::string& issue_id) {
    auto db = pool_.borrow();
    auto found = select_issues(*db, "WHERE issue_id = ?", {issue_id});
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::int64_t SqlAlertStore::occurrences_since(const std::string& issue_id, TimePoint since) {
    auto db = pool_.borrow();
    auto count = db->prepare(
        "SELECT COALESCE(SUM(occurrence), 0) FROM alert_inbox WHERE issue_id = ? AND "
        "received_at >= ?");
    count.bind(1, issue_id).bind(2, format_iso8601(since));
    return count.step() ? count.column_int(0) : 0;
}

std::vector<AlertIssue> SqlAlertStore::unposted() {
    auto db = pool_.borrow();
    return select_issues(*db,
                         "WHERE message_id IS NULL AND status = 'unresolved' AND events > 0 "
                         "ORDER BY first_received, issue_id",
                         {});
}

std::vector<AlertMessage> SqlAlertStore::pending_messages() {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kMessageColumns +
                              " FROM alert_messages WHERE pending = 1 OR ts = '' ORDER BY id");
    std::vector<AlertMessage> out;
    while (select.step()) out.push_back(read_message(select));
    return out;
}

std::vector<AlertIssue> SqlAlertStore::issues_of(std::int64_t message_id) {
    auto db = pool_.borrow();
    return select_issues(*db, "WHERE message_id = ? ORDER BY first_received, issue_id",
                         {std::to_string(message_id)});
}

std::optional<AlertMessage> SqlAlertStore::open_digest(const std::string& channel,
                                                       TimePoint created_after) {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kMessageColumns +
                              " FROM alert_messages WHERE channel = ? AND kind = 'digest' AND "
                              "created_at >= ? ORDER BY id DESC LIMIT 1");
    select.bind(1, channel).bind(2, format_iso8601(created_after));
    if (!select.step()) return std::nullopt;
    return read_message(select);
}

void SqlAlertStore::set_message_of(Database& db, std::int64_t message_id,
                                   const std::vector<std::string>& issue_ids) {
    auto update = db.prepare("UPDATE alert_issues SET message_id = ? WHERE issue_id = ?");
    for (const auto& id : issue_ids) {
        update.reset();
        update.bind(1, message_id).bind(2, id);
        update.run();
    }
}

AlertMessage SqlAlertStore::create_message(const std::string& channel, AlertMessageKind kind,
                                           TimePoint now,
                                           const std::vector<std::string>& issue_ids) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto insert = db->prepare(
        "INSERT INTO alert_messages (channel, kind, created_at, pending) VALUES (?, ?, ?, 1) "
        "RETURNING id");
    insert.bind(1, channel)
        .bind(2, kind == AlertMessageKind::digest ? "digest" : "issue")
        .bind(3, format_iso8601(now));
    AlertMessage message{returned_id(insert), channel, "", "", kind, now};
    set_message_of(*db, message.id, issue_ids);
    transaction.commit();
    return message;
}

void SqlAlertStore::attach(std::int64_t message_id, const std::vector<std::string>& issue_ids) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    set_message_of(*db, message_id, issue_ids);
    set_pending(*db, message_id, true);
    transaction.commit();
}

void SqlAlertStore::set_pending(Database& db, std::int64_t message_id, bool pending) {
    auto update = db.prepare("UPDATE alert_messages SET pending = ? WHERE id = ?");
    update.bind(1, std::int64_t{pending ? 1 : 0}).bind(2, message_id);
    update.run();
}

// take() and delivered() are transactions so that the relay's lease fences
// them (core/write_fence.hpp): a former holder stops before it posts, and
// cannot mark a message its successor posted.
void SqlAlertStore::take(std::int64_t message_id) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    set_pending(*db, message_id, false);
    transaction.commit();
}

void SqlAlertStore::delivered(std::int64_t message_id, const std::string& posted_to,
                              const std::string& ts) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto update = db->prepare("UPDATE alert_messages SET ts = ?, posted_to = ? WHERE id = ?");
    update.bind(1, ts).bind(2, posted_to).bind(3, message_id);
    update.run();
    transaction.commit();
}

void SqlAlertStore::repost(std::int64_t message_id) {
    auto db = pool_.borrow();
    auto update =
        db->prepare("UPDATE alert_messages SET ts = '', posted_to = '', pending = 1 WHERE id = ?");
    update.bind(1, message_id);
    update.run();
}

void SqlAlertStore::retry_later(std::int64_t message_id) {
    auto db = pool_.borrow();
    set_pending(*db, message_id, true);
}

void SqlAlertStore::set_status(const std::string& issue_id, AlertStatus status,
                               const std::string& by, std::optional<TimePoint> muted_until) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto update = db->prepare(
        "UPDATE alert_issues SET status = ?, status_by = ?, muted_until = ? WHERE issue_id = ?");
    update.bind(1, to_string(status)).bind(2, by);
    bind_time(update, 3, muted_until);
    update.bind(4, issue_id);
    update.run();
    auto mark = db->prepare(
        "UPDATE alert_messages SET pending = 1 WHERE id = (SELECT message_id FROM alert_issues "
        "WHERE issue_id = ?)");
    mark.bind(1, issue_id);
    mark.run();
    transaction.commit();
}

std::vector<AlertIssue> SqlAlertStore::recent(const std::string& project, bool open_only,
                                              int limit) {
    auto db = pool_.borrow();
    std::string where = "WHERE 1 = 1";
    std::vector<std::string> params;
    if (!project.empty()) {
        where += " AND project = ?";
        params.push_back(project);
    }
    if (open_only) where += " AND status = 'unresolved'";
    // Bound, not written into the SQL: one prepared statement for every limit.
    params.push_back(std::to_string(limit));
    return select_issues(*db, where + " ORDER BY last_received DESC LIMIT ?", params);
}

std::int64_t SqlAlertStore::prune(TimePoint before) {
    // In batches, so the intake's commits never wait long for the write lock.
    std::int64_t removed = 0;
    for (;;) {
        auto db = pool_.borrow();
        auto remove = db->prepare(
            "DELETE FROM alert_inbox WHERE id IN (SELECT id FROM alert_inbox WHERE applied = 1 "
            "AND received_at < ? LIMIT 2000)");
        remove.bind(1, format_iso8601(before));
        remove.run();
        const auto n = remove.changes();
        removed += n;
        if (n < 2000) return removed;
    }
}

}  // namespace opsbot::db
