#include "persistence/envelope_journal.hpp"

#include <sqlite3.h>

namespace opsbot::db {

bool SqliteEnvelopeJournal::record(const std::string& envelope_id, std::string_view body) {
    std::lock_guard lock(mutex_);
    auto insert = db_.prepare(
        "INSERT OR IGNORE INTO envelope_journal (envelope_id, body, received_at) VALUES (?, ?, ?)");
    insert.bind(1, envelope_id).bind(2, body).bind(3, format_iso8601(clock_.now()));
    insert.run();
    return sqlite3_changes(db_.handle()) == 1;
}

void SqliteEnvelopeJournal::handled(const std::string& envelope_id) {
    std::lock_guard lock(mutex_);
    auto update = db_.prepare(
        "UPDATE envelope_journal SET handled_at = ? WHERE envelope_id = ? AND handled_at IS NULL");
    update.bind(1, format_iso8601(clock_.now())).bind(2, envelope_id);
    update.run();
}

std::vector<JournaledEnvelope> SqliteEnvelopeJournal::pending() const {
    std::lock_guard lock(mutex_);
    auto select = db_.prepare(
        "SELECT envelope_id, body, received_at FROM envelope_journal WHERE handled_at IS NULL "
        "ORDER BY rowid");
    std::vector<JournaledEnvelope> out;
    while (select.step())
        out.push_back({select.column_text(0), select.column_text(1),
                       parse_iso8601(select.column_text(2)).value_or(TimePoint{})});
    return out;
}

std::size_t SqliteEnvelopeJournal::prune(TimePoint before) {
    std::lock_guard lock(mutex_);
    auto remove = db_.prepare(
        "DELETE FROM envelope_journal WHERE handled_at IS NOT NULL AND received_at < ?");
    remove.bind(1, format_iso8601(before));
    remove.run();
    return static_cast<std::size_t>(sqlite3_changes(db_.handle()));
}

}  // namespace opsbot::db
