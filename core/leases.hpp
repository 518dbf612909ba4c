#pragma once
// Leases: which replica does the work that must run in one place at a time
// (following deploys, relaying alerts, the backup watch, …), and which
// replicas are alive. A lease is a row: its name, its holder, an expiry and
// an epoch. The epoch grows whenever the lease changes hands or lapses, so a
// write made under an old grant can be refused (see core/write_fence.hpp).
//
// Expiries are the database's clock, never a replica's: replicas need not
// agree on the time, and a holder that counts its lease from the moment it
// sent the renewal (steady clock) always stops before the database frees it.
//
// Why rows and not PostgreSQL's session advisory locks: those vanish
// silently with a connection, and break behind PgBouncer in transaction
// mode; a row has an owner anyone can read and an epoch that fences.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace opsbot {

// A process as a lease holder, "<replica>|<host>|<pid>|<nonce>": the nonce
// tells a restarted replica from its predecessor, the host and pid let a
// replica see that its predecessor on the same host is dead and take its
// leases at once instead of waiting for them to lapse.
struct LeaseHolder {
    std::string replica;
    std::string host;
    long pid = 0;
    std::string nonce;

    std::string text() const;
    static std::optional<LeaseHolder> parse(const std::string& text);
};

// This machine's host name (a container's own), "" when unknown.
std::string local_host_name();

// Replica ids: letters, digits, '.', '_' and '-', 1 to 63 of them.
bool valid_replica_id(const std::string& id);

struct LeaseGrant {
    std::string name;    // "replica:r1", "work:deploys"
    std::string holder;  // a process: see ReplicaHolder
    std::int64_t epoch = 0;
};

struct LeaseAttempt {
    std::optional<LeaseGrant> grant;  // set: ours now
    std::string held_by;              // otherwise: who holds it
};

struct LeaseRow {
    std::string name;
    std::string holder;
    std::int64_t epoch = 0;
    std::chrono::milliseconds left{0};  // negative: expired that long ago
};

// What the lease table says for an operator (doctor, /metrics, the start-up
// line): the replicas alive, and which replica holds each singleton work.
// Lapsed leases count for nobody.
struct ReplicaView {
    std::vector<std::string> alive;           // replica ids, sorted
    std::map<std::string, std::string> work;  // "deploys" -> "r1"
};
ReplicaView view_replicas(const std::vector<LeaseRow>& rows);
// "r1, r2; deploys: r1, alerts: r2" (or "no singleton work held").
std::string describe(const ReplicaView& view);

class LeaseStore {
public:
    virtual ~LeaseStore() = default;
    // Takes the lease for ttl when it is free, expired, already this
    // holder's, or held by `replacing` (a predecessor known to be dead);
    // renews it when it is ours.
    virtual LeaseAttempt acquire(const std::string& name, const std::string& holder,
                                 std::chrono::milliseconds ttl,
                                 const std::string& replacing = "") = 0;
    // Extends the lease from now if this grant still holds it; false when
    // another holder took it since (it had lapsed).
    virtual bool renew(const LeaseGrant& grant, std::chrono::milliseconds ttl) = 0;
    // True while this grant is the lease's current, unexpired one.
    virtual bool holds(const LeaseGrant& grant) = 0;
    // Lets the lease lapse now: another takes over without waiting. Does
    // nothing when the grant no longer holds it.
    virtual void release(const LeaseGrant& grant) = 0;
    // Deletes the lease row if the grant still holds it: a dead replica's,
    // once its work was taken over.
    virtual void remove(const LeaseGrant& grant) = 0;
    // Every lease whose name starts with prefix ("" for all).
    virtual std::vector<LeaseRow> list(const std::string& prefix) = 0;
    // Forgets every lease (SQLite: one process owns the database).
    virtual void clear() = 0;
};

}  // namespace opsbot
