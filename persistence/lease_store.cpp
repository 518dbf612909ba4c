#include "persistence/lease_store.hpp"

namespace opsbot::db {

const char* now_ms_sql(Backend backend) {
    return backend == Backend::postgresql
               ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
               : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

namespace {

std::string with_now(std::string sql, Backend backend) {
    const std::string now = now_ms_sql(backend);
    for (auto at = sql.find("NOW_MS"); at != std::string::npos; at = sql.find("NOW_MS", at))
        sql.replace(at, 6, now);
    return sql;
}

std::int64_t millis(std::chrono::milliseconds ttl) {
    return static_cast<std::int64_t>(ttl.count());
}

}  // namespace

// The epoch grows when the lease changes holder or had lapsed: a holder
// that lost its lease and takes it again starts a new term.
LeaseAttempt SqlLeaseStore::acquire(const std::string& name, const std::string& holder,
                                    std::chrono::milliseconds ttl, const std::string& replacing) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto take = db->prepare(with_now(
        "INSERT INTO leases (name, holder, epoch, expires_ms) VALUES (?, ?, 1, NOW_MS + ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_ms > NOW_MS "
        "THEN leases.epoch ELSE leases.epoch + 1 END, expires_ms = excluded.expires_ms "
        "WHERE leases.holder = excluded.holder OR leases.expires_ms <= NOW_MS "
        "OR leases.holder = ? RETURNING epoch",
        db->backend()));
    take.bind(1, name).bind(2, holder).bind(3, millis(ttl)).bind(4, replacing);
    LeaseAttempt attempt;
    if (take.step()) {
        attempt.grant = LeaseGrant{name, holder, take.column_int(0)};
        take.run();
    } else {
        auto who = db->prepare("SELECT holder FROM leases WHERE name = ?");
        who.bind(1, name);
        if (who.step()) attempt.held_by = who.column_text(0);
    }
    transaction.commit();
    return attempt;
}

bool SqlLeaseStore::renew(const LeaseGrant& grant, std::chrono::milliseconds ttl) {
    auto db = pool_.borrow();
    auto update = db->prepare(
        with_now("UPDATE leases SET expires_ms = NOW_MS + ? WHERE name = ? AND holder = ? AND "
                 "epoch = ?",
                 db->backend()));
    update.bind(1, millis(ttl)).bind(2, grant.name).bind(3, grant.holder).bind(4, grant.epoch);
    update.run();
    return update.changes() == 1;
}

bool SqlLeaseStore::holds(const LeaseGrant& grant) {
    auto db = pool_.borrow();
    auto select = db->prepare(with_now(
        "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND epoch = ? AND expires_ms > NOW_MS",
        db->backend()));
    select.bind(1, grant.name).bind(2, grant.holder).bind(3, grant.epoch);
    return select.step();
}

// Expired, not deleted: a replica's lapsed lease is how the others find the
// work it left.
void SqlLeaseStore::release(const LeaseGrant& grant) {
    auto db = pool_.borrow();
    auto expire =
        db->prepare("UPDATE leases SET expires_ms = 0 WHERE name = ? AND holder = ? AND epoch = ?");
    expire.bind(1, grant.name).bind(2, grant.holder).bind(3, grant.epoch);
    expire.run();
}

void SqlLeaseStore::remove(const LeaseGrant& grant) {
    auto db = pool_.borrow();
    auto remove = db->prepare("DELETE FROM leases WHERE name = ? AND holder = ? AND epoch = ?");
    remove.bind(1, grant.name).bind(2, grant.holder).bind(3, grant.epoch);
    remove.run();
}

std::vector<LeaseRow> SqlLeaseStore::list(const std::string& prefix) {
    auto db = pool_.borrow();
    auto select =
        db->prepare(with_now("SELECT name, holder, epoch, expires_ms - NOW_MS FROM leases WHERE "
                             "substr(name, 1, ?) = ? ORDER BY name",
                             db->backend()));
    select.bind(1, static_cast<std::int64_t>(prefix.size())).bind(2, prefix);
    std::vector<LeaseRow> rows;
    while (select.step())
        rows.push_back({select.column_text(0), select.column_text(1), select.column_int(2),
                        std::chrono::milliseconds(select.column_int(3))});
    return rows;
}

void SqlLeaseStore::clear() {
    pool_.borrow()->exec("DELETE FROM leases");
}

void check_fence(Database& db, const LeaseGrant& grant) {
    auto select = db.prepare(
        with_now(std::string("SELECT 1 FROM leases WHERE name = ? AND holder = ? AND epoch = ? AND "
                             "expires_ms > NOW_MS") +
                     (db.backend() == Backend::postgresql ? " FOR SHARE" : ""),
                 db.backend()));
    select.bind(1, grant.name).bind(2, grant.holder).bind(3, grant.epoch);
    if (select.step()) {
        select.run();
        return;
    }
    throw DatabaseError("the lease " + grant.name + " (epoch " + std::to_string(grant.epoch) +
                            ") was lost: another replica holds it now, so this write from its "
                            "former holder was refused",
                        DatabaseProblem::fenced);
}

}  // namespace opsbot::db
