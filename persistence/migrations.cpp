#include "persistence/migrations.hpp"

#include <stdexcept>

namespace opsbot::db {
namespace {

// Append new migrations at the end with the next number; never edit one that
// has shipped, because databases in the field already ran it.
const std::vector<Migration> kMigrations = {
    {1, "001_audit_log", R"sql(
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    time           TEXT    NOT NULL,  -- ISO 8601 UTC with milliseconds
    correlation_id TEXT    NOT NULL DEFAULT '',
    actor_id       TEXT    NOT NULL DEFAULT '',
    actor_name     TEXT    NOT NULL DEFAULT '',
    source         TEXT    NOT NULL DEFAULT '',
    channel        TEXT    NOT NULL DEFAULT '',
    thread         TEXT    NOT NULL DEFAULT '',
    command        TEXT    NOT NULL DEFAULT '',
    args_json      TEXT    NOT NULL DEFAULT '{}',
    project        TEXT    NOT NULL DEFAULT '',
    environment    TEXT    NOT NULL DEFAULT '',
    outcome        TEXT    NOT NULL DEFAULT '',
    external_ref   TEXT    NOT NULL DEFAULT '',
    duration_ms    INTEGER NULL,
    error          TEXT    NOT NULL DEFAULT '',
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
)sql"},
    {2, "002_audit_indexes", R"sql(
CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_project_time ON audit_log (project, time);
CREATE INDEX audit_log_actor_time ON audit_log (actor_id, time);
CREATE INDEX audit_log_correlation ON audit_log (correlation_id);
)sql"},
    {3, "003_kv_state", R"sql(
CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL  -- ISO 8601 UTC
);
)sql"},
    {4, "004_intents", R"sql(
CREATE TABLE intents (
    key            TEXT PRIMARY KEY,  -- "slash:<trigger_id>", "event:<event_id>", ...
    correlation_id TEXT NOT NULL DEFAULT '',
    command        TEXT NOT NULL DEFAULT '',
    actor_id       TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL DEFAULT '',
    thread         TEXT NOT NULL DEFAULT '',
    started_at     TEXT NOT NULL,     -- ISO 8601 UTC
    finished_at    TEXT NULL,
    outcome        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX intents_unfinished ON intents (finished_at, started_at);
)sql"},
    {5, "005_locks_deploys_confirmations", R"sql(
CREATE TABLE locks (
    project     TEXT NOT NULL,
    environment TEXT NOT NULL,
    kind        TEXT NOT NULL,     -- manual, deploy, runbook
    owner_id    TEXT NOT NULL DEFAULT '',
    owner_name  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    acquired_at TEXT NOT NULL,     -- ISO 8601 UTC
    expires_at  TEXT NULL,
    ref         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project, environment)
);
CREATE TABLE deploys (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    correlation_id    TEXT NOT NULL DEFAULT '',
    project           TEXT NOT NULL,
    environment       TEXT NOT NULL,
    job               TEXT NOT NULL,
    ref               TEXT NOT NULL DEFAULT '',
    params_json       TEXT NOT NULL DEFAULT '{}',
    requested_by      TEXT NOT NULL DEFAULT '',
    requested_by_name TEXT NOT NULL DEFAULT '',
    approved_by       TEXT NOT NULL DEFAULT '',
    queue_url         TEXT NOT NULL DEFAULT '',
    queue_id          INTEGER NOT NULL DEFAULT 0,
    build_number      INTEGER NOT NULL DEFAULT 0,
    build_url         TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    result            TEXT NOT NULL DEFAULT '',
    channel           TEXT NOT NULL DEFAULT '',
    thread            TEXT NOT NULL DEFAULT '',
    status_ts         TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    started_at        TEXT NULL,
    finished_at       TEXT NULL,
    error             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deploys_project_created ON deploys (project, created_at);
CREATE INDEX deploys_job_build ON deploys (job, build_number);
CREATE INDEX deploys_unfinished ON deploys (finished_at);
CREATE TABLE confirmations (
    id               TEXT PRIMARY KEY,
    correlation_id   TEXT NOT NULL DEFAULT '',
    command          TEXT NOT NULL,
    requester_id     TEXT NOT NULL DEFAULT '',
    requester_name   TEXT NOT NULL DEFAULT '',
    requester_groups TEXT NOT NULL DEFAULT '',  -- comma-separated user group ids
    source           TEXT NOT NULL DEFAULT '',
    channel          TEXT NOT NULL DEFAULT '',
    thread           TEXT NOT NULL DEFAULT '',
    project          TEXT NOT NULL DEFAULT '',
    environment      TEXT NOT NULL DEFAULT '',
    digest           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    state            TEXT NOT NULL,
    decided_by       TEXT NOT NULL DEFAULT '',
    decided_at       TEXT NULL
);
)sql"},
    {6, "006_alerts", R"sql(
-- Every accepted Sentry webhook, written before Sentry gets its 2xx.
CREATE TABLE alert_inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT    NOT NULL UNIQUE,   -- body:<sha256>, or legacy:<event id>
    received_at TEXT    NOT NULL,          -- ISO 8601 UTC
    issue_id    TEXT    NOT NULL,
    occurrence  INTEGER NOT NULL,          -- 1: an event, 0: a status change
    alert_json  TEXT    NOT NULL,
    applied     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_inbox_issue ON alert_inbox (issue_id, received_at);
-- Slack messages showing one issue or a digest of several.
CREATE TABLE alert_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT    NOT NULL,
    ts         TEXT    NOT NULL DEFAULT '',  -- empty until posted
    posted_to  TEXT    NOT NULL DEFAULT '',  -- the channel id Slack answered
    kind       TEXT    NOT NULL,             -- issue, digest
    created_at TEXT    NOT NULL,
    pending    INTEGER NOT NULL DEFAULT 1    -- to be posted or updated
);
CREATE INDEX alert_messages_pending ON alert_messages (id) WHERE pending = 1;
CREATE INDEX alert_messages_channel ON alert_messages (channel, kind, created_at);
-- The state of each Sentry issue opsbot has seen.
CREATE TABLE alert_issues (
    issue_id       TEXT    PRIMARY KEY,
    channel        TEXT    NOT NULL,
    project        TEXT    NOT NULL DEFAULT '',
    environment    TEXT    NOT NULL DEFAULT '',
    latest_json    TEXT    NOT NULL,
    events         INTEGER NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL DEFAULT 'unresolved',
    status_by      TEXT    NOT NULL DEFAULT '',
    muted_until    TEXT    NULL,
    assignee       TEXT    NOT NULL DEFAULT '',
    first_received TEXT    NOT NULL,
    last_received  TEXT    NOT NULL,
    message_id     INTEGER NULL REFERENCES alert_messages (id)
);
CREATE INDEX alert_issues_project ON alert_issues (project, last_received);
CREATE INDEX alert_issues_message ON alert_issues (message_id);
)sql"},
    {7, "007_project_registry", R"sql(
-- Projects added from chat (newproject), merged over the YAML catalogue.
CREATE TABLE projects (
    slug       TEXT PRIMARY KEY,
    definition TEXT NOT NULL,             -- YAML of the catalogue entry
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
-- newproject runs: the request and how far each step got, so a run resumes.
CREATE TABLE project_setups (
    slug       TEXT PRIMARY KEY,
    request    TEXT NOT NULL,             -- JSON: domain, server, name, requester
    steps      TEXT NOT NULL DEFAULT '{}',-- JSON: step -> {state, external_id, detail}
    state      TEXT NOT NULL,             -- running, failed, done
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
)sql"},
    {8, "008_runbooks", R"sql(
-- One guided run of a runbook; the definition is kept so a restart or an
-- edited YAML file never changes the steps of a run under way.
CREATE TABLE runbook_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    runbook          TEXT NOT NULL,
    definition       TEXT NOT NULL,             -- JSON of the runbook as started
    params_json      TEXT NOT NULL DEFAULT '{}',
    project          TEXT NOT NULL DEFAULT '',
    environment      TEXT NOT NULL DEFAULT '',
    started_by       TEXT NOT NULL DEFAULT '',
    started_by_name  TEXT NOT NULL DEFAULT '',
    oncall_id        TEXT NOT NULL DEFAULT '',
    oncall_name      TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL DEFAULT '',
    channel          TEXT NOT NULL DEFAULT '',
    thread           TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,             -- running, done, aborted
    current_step     INTEGER NOT NULL DEFAULT 0,
    downtime_started TEXT NULL,
    downtime_ended   TEXT NULL,
    created_at       TEXT NOT NULL,
    finished_at      TEXT NULL
);
CREATE INDEX runbook_runs_state ON runbook_runs (state, created_at);
-- Each step of a run; a press changes a row only from the state it showed.
CREATE TABLE runbook_steps (
    run_id       INTEGER NOT NULL REFERENCES runbook_runs (id),
    step         INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'waiting',  -- waiting, pending, running, failed, done, skipped
    attempts     INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT NULL,
    finished_at  TEXT NULL,
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_name TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL DEFAULT '',
    message_ts   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, step)
);
)sql"},
    {9, "009_envelope_journal", R"sql(
-- Socket Mode envelopes written before their ack and marked handled once
-- their reply went out; rows left unhandled by a crash are replayed at start.
CREATE TABLE envelope_journal (
    envelope_id TEXT PRIMARY KEY,
    body        TEXT NOT NULL,             -- the envelope as received
    received_at TEXT NOT NULL,
    handled_at  TEXT NULL
);
CREATE INDEX envelope_journal_pending ON envelope_journal (handled_at, received_at);
)sql"},
    {10, "010_envelope_journal_to_file", R"sql(
-- The envelope journal moved to a file next to the database: a commit on
-- the path that acknowledges envelopes slowed every ack in a storm.
DROP TABLE envelope_journal;
)sql"},
    {11, "011_deploy_commits", R"sql(
-- What each deploy put live: releases by promotion, rollbacks, and the
-- commit the build reported, for status and rollback.
ALTER TABLE deploys ADD COLUMN kind TEXT NOT NULL DEFAULT 'job';
ALTER TABLE deploys ADD COLUMN commit_sha TEXT NOT NULL DEFAULT '';
ALTER TABLE deploys ADD COLUMN replaced_commit TEXT NOT NULL DEFAULT '';
CREATE INDEX deploys_live ON deploys (project, environment, state, id);
)sql"},
};

// A gap or a duplicate number would make user_version lie about what ran.
void check_numbering(const std::vector<Migration>& migrations) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1)
            throw std::logic_error("migration " + migrations[i].name + " is out of sequence");
    }
}

void refuse_newer(const Database& db, int version) {
    if (version <= latest_schema_version()) return;
    throw DatabaseError("database " + db.path() + " has schema version " + std::to_string(version) +
                        " but this opsbot knows only up to " +
                        std::to_string(latest_schema_version()) +
                        ": it was written by a newer opsbot; upgrade opsbot or set OPSBOT_DB "
                        "to another file");
}

void apply(Database& db, const Migration& migration) {
    Transaction transaction(db, Transaction::Mode::immediate);
    // Another process may have migrated between our read and our write lock.
    const int current = schema_version(db);
    refuse_newer(db, current);
    if (current >= migration.version) return;
    if (current != migration.version - 1)
        throw DatabaseError("database " + db.path() + " is at schema version " +
                            std::to_string(current) + ", cannot apply " + migration.name);
    try {
        db.exec(migration.sql);
    } catch (const DatabaseError& e) {
        throw DatabaseError(std::string(e.what()) + " in migration " + migration.name, e.problem());
    }
    db.exec("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
}

}  // namespace

const std::vector<Migration>& all_migrations() {
    return kMigrations;
}

int latest_schema_version() {
    return static_cast<int>(kMigrations.size());
}

int schema_version(Database& db) {
    auto statement = db.prepare("PRAGMA user_version");
    return statement.step() ? static_cast<int>(statement.column_int(0)) : 0;
}

void migrate(Database& db, int target_version) {
    check_numbering(kMigrations);
    const int latest = latest_schema_version();
    const int target = target_version < 0 ? latest : target_version;
    if (target > latest)
        throw std::invalid_argument("migration target " + std::to_string(target) +
                                    " is above the latest, " + std::to_string(latest));
    const int current = schema_version(db);
    refuse_newer(db, current);
    for (const auto& migration : kMigrations) {
        if (migration.version > current && migration.version <= target) apply(db, migration);
    }
}

}  // namespace opsbot::db
