#pragma once
// opsbot's one storage entry point: where the state lives (SQLite at a path
// by default, or PostgreSQL), opened, migrated, with every store on it.
// Nothing outside persistence/ names a backend's classes.

#include <memory>
#include <string>

#include "core/alerts.hpp"
#include "core/audit.hpp"
#include "core/confirmations.hpp"
#include "core/deploys.hpp"
#include "core/intents.hpp"
#include "core/leases.hpp"
#include "core/locks.hpp"
#include "core/project_setup.hpp"
#include "core/runbooks.hpp"
#include "core/state.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot::db {

struct StorageTarget {
    Backend backend = Backend::sqlite;
    std::string location;  // the SQLite file, or libpq's connection string
    std::string name;      // how logs and messages call it: never a password
    std::string password;  // from the URL, to be masked in logs; may be empty
};

// OPSBOT_DATABASE_URL (a postgresql:// URL or a libpq "key=value" string)
// when set, else the SQLite file at sqlite_path. Throws DatabaseError on a
// URL libpq cannot parse, without echoing it (it may hold a password).
StorageTarget storage_target(const std::string& database_url, const std::string& sqlite_path);

// "SQLite var/opsbot.db", "PostgreSQL opsbot on db.internal:5432 as opsbot".
std::string describe(const StorageTarget& target);

// One connection to the target, for tools (migrate-db, tests).
std::unique_ptr<Database> connect(const StorageTarget& target);

class Storage {
public:
    // Connects, migrates and makes every store. Throws DatabaseError with a
    // message for the operator (unreachable, refused, missing, no permission).
    static std::unique_ptr<Storage> open(const StorageTarget& target, const Clock& clock);
    // The stores keep a reference to the clock: a temporary one would dangle.
    static std::unique_ptr<Storage> open(const StorageTarget& target, const Clock&& clock) = delete;
    ~Storage();

    const StorageTarget& target() const { return target_; }
    Backend backend() const { return target_.backend; }
    int schema_version();
    // Takes the write lock (or writes in a transaction) and lets it go:
    // throws DatabaseError when opsbot could not write now.
    void check_writable();
    // Failed connection attempts since start (PostgreSQL), for /metrics.
    std::uint64_t connect_failures() const;
    // Reads one row of the audit log: throws DatabaseError while the store
    // does not answer. Cheap; for /healthz.
    void probe();

    // Before the stores are used: this replica's id (OPSBOT_REPLICA_ID),
    // stamped on its intents and envelope claims.
    void set_replica(const std::string& replica);

    // The Socket Mode envelope journal for this target: SQLite's file beside
    // the database (none for an in-memory one), PostgreSQL's claims on
    // connections of its own, so that the acks never queue behind the
    // stores' work. Throws as the journal's constructor does.
    std::unique_ptr<EnvelopeJournal> open_envelope_journal(const Clock& clock);

    AuditStore& audit();
    IntentJournal& intents();
    LockStore& locks();
    DeployStore& deploys();
    ConfirmationStore& confirmations();
    AlertStore& alert_inbox();  // the webhook intake's writes
    AlertStore& alerts();       // the relay's
    StateStore& state();
    RunbookStore& runbooks();
    ProjectRegistry& projects();
    SetupStore& setups();
    LeaseStore& leases();  // on connections of its own

private:
    struct Parts;
    Storage(StorageTarget target, std::unique_ptr<Parts> parts);
    StorageTarget target_;
    std::unique_ptr<Parts> parts_;
    std::string replica_;
};

}  // namespace opsbot::db
