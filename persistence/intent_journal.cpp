#include "persistence/intent_journal.hpp"

#include <sqlite3.h>

namespace opsbot::db {
namespace {

constexpr const char* kColumns =
    "key, correlation_id, command, actor_id, channel, thread, started_at, finished_at, outcome";

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
    return intent;
}

}  // namespace

bool SqliteIntentJournal::begin(const Intent& intent) {
    std::lock_guard lock(mutex_);
    auto insert = db_.prepare(
        "INSERT OR IGNORE INTO intents (key, correlation_id, command, actor_id, channel, thread, "
        "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, intent.key)
        .bind(2, intent.correlation_id)
        .bind(3, intent.command)
        .bind(4, intent.actor_id)
        .bind(5, intent.channel)
        .bind(6, intent.thread)
        .bind(7, format_iso8601(intent.started));
    insert.run();
    return sqlite3_changes(db_.handle()) == 1;
}

void SqliteIntentJournal::finish(const std::string& key, const std::string& outcome) {
    std::lock_guard lock(mutex_);
    auto update = db_.prepare(
        "UPDATE intents SET finished_at = ?, outcome = ? WHERE key = ? AND finished_at IS NULL");
    update.bind(1, format_iso8601(std::chrono::system_clock::now())).bind(2, outcome).bind(3, key);
    update.run();
}

std::optional<Intent> SqliteIntentJournal::find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto select = db_.prepare(std::string("SELECT ") + kColumns + " FROM intents WHERE key = ?");
    select.bind(1, key);
    if (!select.step()) return std::nullopt;
    return read_intent(select);
}

std::vector<Intent> SqliteIntentJournal::unfinished() const {
    std::lock_guard lock(mutex_);
    auto select = db_.prepare(std::string("SELECT ") + kColumns +
                              " FROM intents WHERE finished_at IS NULL ORDER BY started_at");
    std::vector<Intent> out;
    while (select.step()) out.push_back(read_intent(select));
    return out;
}

}  // namespace opsbot::db
