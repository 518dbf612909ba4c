#include "persistence/intent_journal.hpp"

#include <algorithm>

namespace opsbot::db {
namespace {

constexpr const char* kColumns =
    "key, correlation_id, command, actor_id, channel, thread, started_at, finished_at, outcome, "
    "replica";

Intent read_intent(const Statement& row) {
    Intent intent;
    intent.key = row.column_text(0);
    intent.correlation_id = row.column_text(1);
    intent.command = row.column_text(2);
    intent.actor_id = row.column_text(3);
    intent.channel = row.column_text(4);
    intent.thread = row.column_text(5);
    intent.started = parse_iso8601(row.column_text(6)).value_or(TimePoint{});
    if (!row.column_is_null(7)) intent.finished = parse_iso8601(row.column_text(7));
    intent.outcome = row.column_text(8);
    intent.replica = row.column_text(9);
    return intent;
}

}  // namespace

bool SqlIntentJournal::begin(const Intent& intent) {
    auto db = pool_.borrow();
    auto insert = db->prepare(
        "INSERT INTO intents (key, correlation_id, command, actor_id, channel, thread, "
        "started_at, replica) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    insert.bind(1, intent.key)
        .bind(2, intent.correlation_id)
        .bind(3, intent.command)
        .bind(4, intent.actor_id)
        .bind(5, intent.channel)
        .bind(6, intent.thread)
        .bind(7, format_iso8601(intent.started))
        .bind(8, intent.replica.empty() ? replica_ : intent.replica);
    insert.run();
    return insert.changes() == 1;
}

void SqlIntentJournal::finish(const std::string& key, const std::string& outcome) {
    auto db = pool_.borrow();
    auto update = db->prepare(
        "UPDATE intents SET finished_at = ?, outcome = ? WHERE key = ? AND finished_at IS NULL");
    update.bind(1, format_iso8601(std::chrono::system_clock::now())).bind(2, outcome).bind(3, key);
    update.run();
}

std::optional<Intent> SqlIntentJournal::find(const std::string& key) const {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kColumns + " FROM intents WHERE key = ?");
    select.bind(1, key);
    if (!select.step()) return std::nullopt;
    return read_intent(select);
}

std::vector<Intent> SqlIntentJournal::unfinished() const {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kColumns +
                              " FROM intents WHERE finished_at IS NULL ORDER BY started_at");
    std::vector<Intent> out;
    while (select.step()) out.push_back(read_intent(select));
    return out;
}

// One statement, so that a row is ended, and returned, once. A SQLite
// database belongs to one process: whatever is unfinished there is its own.
std::vector<Intent> SqlIntentJournal::interrupt(const std::string& replica) {
    auto db = pool_.borrow();
    const bool sqlite = db->backend() == Backend::sqlite;
    auto update = db->prepare(
        std::string("UPDATE intents SET finished_at = ?, outcome = 'interrupted' WHERE "
                    "finished_at IS NULL") +
        (sqlite ? "" : " AND (replica = ? OR replica = '')") + " RETURNING " + kColumns);
    update.bind(1, format_iso8601(std::chrono::system_clock::now()));
    if (!sqlite) update.bind(2, replica);
    std::vector<Intent> out;
    while (update.step()) out.push_back(read_intent(update));
    std::sort(out.begin(), out.end(),
              [](const Intent& a, const Intent& b) { return a.started < b.started; });
    return out;
}

}  // namespace opsbot::db
