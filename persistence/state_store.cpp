#include "persistence/state_store.hpp"

namespace opsbot::db {

std::optional<std::string> SqlStateStore::get(const std::string& key) {
    auto db = pool_.borrow();
    auto select = db->prepare("SELECT value FROM state WHERE key = ?");
    select.bind(1, key);
    if (!select.step()) return std::nullopt;
    return select.column_text(0);
}

void SqlStateStore::set(const std::string& key, const std::string& value) {
    auto db = pool_.borrow();
    Transaction transaction(*db);  // fenced for singleton work (the backup watch's day)
    auto upsert = db->prepare(upsert_sql("state", "key, value, updated_at", "key"));
    upsert.bind(1, key).bind(2, value).bind(3, format_iso8601(clock_.now()));
    upsert.run();
    transaction.commit();
}

}  // namespace opsbot::db
