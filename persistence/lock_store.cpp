

#include "persistence/ops_stores.hpp"

namespace opsbot::db {
namespace {

constexpr const char* kColumns =
    "project, environment, kind, owner_id, owner_name, reason, acquired_at, expires_at, ref";

Lock read_lock(const Statement& row) {
    Lock lock;
    lock.project = row.column_text(0);
    lock.env = parse_env(row.column_text(1)).value_or(Env::stage);
    lock.kind = parse_lock_kind(row.column_text(2)).value_or(LockKind::manual);
    lock.owner_id = row.column_text(3);
    lock.owner_name = row.column_text(4);
    lock.reason = row.column_text(5);
    lock.acquired = parse_iso8601(row.column_text(6)).value_or(TimePoint{});
    if (!row.column_is_null(7)) lock.expires = parse_iso8601(row.column_text(7));
    lock.ref = row.column_text(8);
    return lock;
}

bool expired(const Lock& lock, TimePoint now) {
    return lock.expires && *lock.expires <= now;
}

std::optional<Lock> select_lock(Database& db, const std::string& project, Env env) {
    auto select = db.prepare(std::string("SELECT ") + kColumns +
                             " FROM locks WHERE project = ? AND environment = ?");
    select.bind(1, project).bind(2, to_string(env));
    if (!select.step()) return std::nullopt;
    return read_lock(select);
}

}  // namespace

std::optional<Lock> SqlLockStore::acquire(const Lock& wanted, TimePoint now) {
    return take(wanted, std::nullopt, now);
}

std::optional<Lock> SqlLockStore::take_over(const Lock& wanted, LockKind from, TimePoint now) {
    return take(wanted, from, now);
}

// In one transaction: the live lock in the way (unless it is of the kind
// taken over), or the wanted lock written.
std::optional<Lock> SqlLockStore::take(const Lock& wanted, std::optional<LockKind> from,
                                       TimePoint now) {
    auto db = pool_.borrow();
    Transaction transaction(*db, Serialize::locks);
    if (const auto held = select_lock(*db, wanted.project, wanted.env);
        held && !expired(*held, now) && held->kind != from)
        return held;
    auto upsert = db->prepare(upsert_sql("locks", kColumns, "project, environment"));
    upsert.bind(1, wanted.project)
        .bind(2, to_string(wanted.env))
        .bind(3, to_string(wanted.kind))
        .bind(4, wanted.owner_id)
        .bind(5, wanted.owner_name)
        .bind(6, wanted.reason)
        .bind(7, format_iso8601(wanted.acquired));
    if (wanted.expires)
        upsert.bind(8, format_iso8601(*wanted.expires));
    else
        upsert.bind_null(8);
    upsert.bind(9, wanted.ref);
    upsert.run();
    transaction.commit();
    return std::nullopt;
}

bool SqlLockStore::release(const std::string& project, Env env, LockKind kind,
                           const std::string& owner_id) {
    auto db = pool_.borrow();
    Transaction transaction(*db, Serialize::locks);  // fenced when a deploy follower frees it
    auto remove = db->prepare(
        "DELETE FROM locks WHERE project = ? AND environment = ? AND kind = ? AND "
        "(? = '' OR owner_id = ?)");
    remove.bind(1, project).bind(2, to_string(env)).bind(3, to_string(kind));
    remove.bind(4, owner_id).bind(5, owner_id);
    remove.run();
    const bool removed = remove.changes() > 0;
    transaction.commit();
    return removed;
}

void SqlLockStore::set_ref(const std::string& project, Env env, const std::string& ref) {
    auto db = pool_.borrow();
    auto update = db->prepare("UPDATE locks SET ref = ? WHERE project = ? AND environment = ?");
    update.bind(1, ref).bind(2, project).bind(3, to_string(env));
    update.run();
}

std::optional<Lock> SqlLockStore::find(const std::string& project, Env env, TimePoint now) const {
    auto db = pool_.borrow();
    auto lock = select_lock(*db, project, env);
    if (lock && expired(*lock, now)) return std::nullopt;
    return lock;
}

std::vector<Lock> SqlLockStore::all(TimePoint now) const {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kColumns +
                              " FROM locks ORDER BY project, environment");
    std::vector<Lock> out;
    while (select.step()) {
        auto lock = read_lock(select);
        if (!expired(lock, now)) out.push_back(std::move(lock));
    }
    return out;
}

}  // namespace opsbot::db
