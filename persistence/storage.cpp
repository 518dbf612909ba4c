#include "persistence/storage.hpp"

#include <libpq-fe.h>

#include <filesystem>
#include <vector>

#include "persistence/alert_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/connection_pool.hpp"
#include "persistence/database_tools.hpp"
#include "persistence/driver.hpp"
#include "persistence/envelope_claims.hpp"
#include "persistence/intent_journal.hpp"
#include "persistence/lease_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/ops_stores.hpp"
#include "persistence/project_registry.hpp"
#include "persistence/runbook_store.hpp"
#include "persistence/state_store.hpp"

namespace opsbot::db {
namespace {

// Enough for the webhook intake, the socket workers and the background
// services to write at once; a replica holds at most this many.
constexpr std::size_t kPostgresConnections = 8;
constexpr std::size_t kLeaseConnections = 2;
// The envelope journal's: the socket thread's commits and the workers'
// handled() stamps.
constexpr std::size_t kJournalConnections = 2;

struct ConninfoFree {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) return;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The password as written in a URL (user:password@) or a "password=…" pair,
// found without libpq, which could not parse the text.
std::string written_password(const std::string& url) {
    if (const auto scheme = url.find("://"); scheme != std::string::npos) {
        const auto at = url.rfind('@');
        const auto colon = url.find(':', scheme + 3);
        if (at == std::string::npos || colon == std::string::npos || colon > at) return "";
        return url.substr(colon + 1, at - colon - 1);
    }
    const auto key = url.find("password");
    auto from = key == std::string::npos ? key : url.find_first_not_of(" =", key + 8);
    if (from == std::string::npos) return "";
    const bool quoted = url[from] == '\'';
    from += quoted ? 1 : 0;
    const auto end = url.find_first_of(quoted ? "'" : " \t\n", from);
    return url.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

// libpq's parse errors quote the URL, or the piece it choked on, which may
// hold the password: neither reaches a message.
std::string without_secrets(std::string reason, const std::string& url) {
    replace_all(reason, url, "(the URL)");
    replace_all(reason, written_password(url), "***");
    return reason;
}

StorageTarget postgres_target(const std::string& url) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(url.c_str(), &error));
    if (!options) {
        std::string reason = error != nullptr ? error : "out of memory";
        PQfreemem(error);
        while (!reason.empty() && reason.back() == '\n') reason.pop_back();
        throw DatabaseError(
            "OPSBOT_DATABASE_URL is not a PostgreSQL URL (postgresql://user@host/db) or "
            "connection string (host=… dbname=…): " +
                without_secrets(reason, url),
            DatabaseProblem::other);
    }
    std::string host, port, dbname, user, password;
    for (auto* option = options.get(); option->keyword != nullptr; ++option) {
        const std::string key = option->keyword;
        const std::string value = option->val != nullptr ? option->val : "";
        if (key == "host") host = value;
        if (key == "port") port = value;
        if (key == "dbname") dbname = value;
        if (key == "user") user = value;
        if (key == "password") password = value;
    }
    std::string name = dbname.empty() ? "(default database)" : dbname;
    const bool socket = host.empty() || host.front() == '/';
    name += " on " + (socket ? "a local socket" : host);
    if (!port.empty() && !socket) name += ":" + port;
    if (!user.empty()) name += " as " + user;
    return {.backend = Backend::postgresql, .location = url, .name = name, .password = password};
}

}  // namespace

StorageTarget storage_target(const std::string& database_url, const std::string& sqlite_path) {
    if (database_url.empty())
        return {.backend = Backend::sqlite, .location = sqlite_path, .name = sqlite_path};
    return postgres_target(database_url);
}

std::string describe(const StorageTarget& target) {
    return std::string(to_string(target.backend)) + " " + target.name;
}

std::unique_ptr<Database> connect(const StorageTarget& target) {
    if (target.backend == Backend::sqlite) return std::make_unique<Database>(target.location);
    return std::make_unique<Database>(detail::open_postgres(target.location, target.name),
                                      target.name);
}

struct Storage::Parts {
    // SQLite: a connection per store, each its own pool of one (SQLite
    // transactions belong to a connection). PostgreSQL: one shared pool.
    std::vector<std::unique_ptr<Database>> connections;
    std::unique_ptr<ConnectionPool> pool;
    std::unique_ptr<ConnectionPool> journal_pool;  // PostgreSQL's envelope journal
    std::unique_ptr<ConnectionPool> lease_pool;    // PostgreSQL's leases: never queued
    Connections* main = nullptr;                   // migrations, the audit log, checks

    std::unique_ptr<AuditLog> audit;
    std::unique_ptr<SqlIntentJournal> intents;
    std::unique_ptr<SqlLockStore> locks;
    std::unique_ptr<SqlDeployStore> deploys;
    std::unique_ptr<SqlConfirmationStore> confirmations;
    std::unique_ptr<SqlAlertStore> alert_inbox;
    std::unique_ptr<SqlAlertStore> alerts;
    std::unique_ptr<SqlStateStore> state;
    std::unique_ptr<SqlRunbookStore> runbooks;
    std::unique_ptr<SqlProjectRegistry> projects;
    std::unique_ptr<SqlSetupStore> setups;
    std::unique_ptr<SqlLeaseStore> leases;

    Connections& for_store(const StorageTarget& target) {
        if (pool) return *pool;
        connections.push_back(connect(target));
        return *connections.back();
    }
};

std::unique_ptr<Storage> Storage::open(const StorageTarget& target, const Clock& clock) {
    auto parts = std::make_unique<Parts>();
    if (target.backend == Backend::sqlite && !is_memory_database(target.location)) {
        const auto folder = std::filesystem::path(target.location).parent_path();
        std::error_code ignored;
        if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
    }
    if (target.backend == Backend::postgresql)
        parts->pool = std::make_unique<ConnectionPool>(
            target.backend, [target] { return connect(target); }, kPostgresConnections);
    parts->main = &parts->for_store(target);
    migrate(*parts->main->borrow());
    Connections& projects = parts->for_store(target);
    parts->projects = std::make_unique<SqlProjectRegistry>(projects, clock);
    parts->setups = std::make_unique<SqlSetupStore>(projects);
    parts->audit = std::make_unique<AuditLog>(*parts->main, clock);
    parts->intents = std::make_unique<SqlIntentJournal>(parts->for_store(target));
    parts->locks = std::make_unique<SqlLockStore>(parts->for_store(target));
    parts->deploys = std::make_unique<SqlDeployStore>(parts->for_store(target));
    parts->confirmations = std::make_unique<SqlConfirmationStore>(parts->for_store(target));
    parts->alert_inbox = std::make_unique<SqlAlertStore>(parts->for_store(target));
    parts->alert_inbox->defer_checkpoints();
    parts->alerts = std::make_unique<SqlAlertStore>(parts->for_store(target));
    parts->state = std::make_unique<SqlStateStore>(parts->for_store(target), clock);
    parts->runbooks = std::make_unique<SqlRunbookStore>(parts->for_store(target));
    // Renewals must not wait behind a storm's work for a pooled connection:
    // a late renewal is a lost lease.
    if (parts->pool)
        parts->lease_pool = std::make_unique<ConnectionPool>(
            target.backend, [target] { return connect(target); }, kLeaseConnections);
    parts->leases = std::make_unique<SqlLeaseStore>(parts->lease_pool ? *parts->lease_pool
                                                                      : parts->for_store(target));
    return std::unique_ptr<Storage>(new Storage(target, std::move(parts)));
}

Storage::Storage(StorageTarget target, std::unique_ptr<Parts> parts)
    : target_(std::move(target)), parts_(std::move(parts)) {}

Storage::~Storage() = default;

int Storage::schema_version() {
    return db::schema_version(*parts_->main->borrow());
}

void Storage::check_writable() {
    db::check_writable(*parts_->main->borrow());
}

std::uint64_t Storage::connect_failures() const {
    if (!parts_->pool) return 0;
    const auto journal = parts_->journal_pool ? parts_->journal_pool->connect_failures() : 0;
    const auto leases = parts_->lease_pool ? parts_->lease_pool->connect_failures() : 0;
    return parts_->pool->connect_failures() + journal + leases;
}

void Storage::probe() {
    parts_->audit->query(AuditQuery{.limit = 1});
    if (target_.backend != Backend::postgresql) return;
    // A server that answers reads but takes no writes (a standby after a
    // failover, a read-only session) is not a store opsbot can run on.
    auto db = parts_->pool->borrow();
    auto writable = db->prepare(
        "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'");
    if (!writable.step() || writable.column_int(0) != 1)
        throw DatabaseError("database " + target_.name +
                                " is read-only (a standby, or a read-only session): point "
                                "OPSBOT_DATABASE_URL at the primary",
                            DatabaseProblem::unwritable);
}

std::unique_ptr<EnvelopeJournal> Storage::open_envelope_journal(const Clock& clock) {
    if (target_.backend == Backend::sqlite) {
        const auto path = envelope_journal_path(target_.location);
        if (path.empty()) return nullptr;
        return std::make_unique<FileEnvelopeJournal>(path, clock);
    }
    if (!parts_->journal_pool)
        parts_->journal_pool = std::make_unique<ConnectionPool>(
            target_.backend,
            [target = target_] {
                // The same trade as SQLite's synchronous=NORMAL and its file
                // journal in the page cache: a kill -9 of opsbot or of a
                // PostgreSQL backend loses nothing committed; only a crash
                // of the database server's machine could drop the last
                // fraction of a second of envelopes. Waiting for the WAL's
                // fsync on each burst would hold every ack behind the disk.
                auto db = connect(target);
                db->exec("SET synchronous_commit = off");
                // Each statement planned for its own arguments and the table
                // as it is now. A cached generic plan is chosen once, at the
                // sixth run, while envelope_claims is a few pages: a
                // sequential scan that every handled mark then kept (the
                // table is not analyzed until autovacuum's next round), over
                // tens of thousands of claims a second into a storm.
                db->exec("SET plan_cache_mode = force_custom_plan");
                return db;
            },
            kJournalConnections);
    return std::make_unique<SqlEnvelopeClaims>(*parts_->journal_pool, clock, replica_);
}

LeaseStore& Storage::leases() {
    return *parts_->leases;
}

AuditStore& Storage::audit() {
    return *parts_->audit;
}
IntentJournal& Storage::intents() {
    return *parts_->intents;
}
void Storage::set_replica(const std::string& replica) {
    replica_ = replica;
    parts_->intents->set_replica(replica);
}
LockStore& Storage::locks() {
    return *parts_->locks;
}
DeployStore& Storage::deploys() {
    return *parts_->deploys;
}
ConfirmationStore& Storage::confirmations() {
    return *parts_->confirmations;
}
AlertStore& Storage::alert_inbox() {
    return *parts_->alert_inbox;
}
AlertStore& Storage::alerts() {
    return *parts_->alerts;
}
StateStore& Storage::state() {
    return *parts_->state;
}
RunbookStore& Storage::runbooks() {
    return *parts_->runbooks;
}
ProjectRegistry& Storage::projects() {
    return *parts_->projects;
}
SetupStore& Storage::setups() {
    return *parts_->setups;
}

}  // namespace opsbot::db
