#include "persistence/state_store.hpp"

namespace opsbot::db {

std::optional<std::string> SqliteStateStore::get(const std::string& key) {
    std::lock_guard guard(mutex_);
    auto select = db_.prepare("SELECT value FROM state WHERE key = ?");
    select.bind(1, key);
    if (!select.step()) return std::nullopt;
    return select.column_text(0);
}

void SqliteStateStore::set(const std::string& key, const std::string& value) {
    std::lock_guard guard(mutex_);
    auto upsert =
        db_.prepare("INSERT OR REPLACE INTO state (key, value, updated_at) VALUES (?, ?, ?)");
    upsert.bind(1, key).bind(2, value).bind(3, format_iso8601(clock_.now()));
    upsert.run();
}

}  // namespace opsbot::db
