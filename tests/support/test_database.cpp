#include "tests/support/test_database.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/audit_chain.hpp"
#include "core/time.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"

namespace opsbot::test {

TestDatabase::TestDatabase(db::Backend backend, bool migrated) {
    if (backend == db::Backend::sqlite) {
        dir_ = std::make_unique<TempDir>();
        target_ = db::storage_target("", dir_->file("opsbot.db"));
    } else {
        postgres_ = std::make_unique<PostgresDatabase>();
        target_ = db::storage_target(postgres_->conninfo(), "");
    }
    db_ = connect();
    if (migrated) db::migrate(*db_);
}

db::Backend e2e_backend() {
    const char* store = std::getenv("OPSBOT_TEST_STORE");
    return store != nullptr && std::string(store) == "postgresql" ? db::Backend::postgresql
                                                                  : db::Backend::sqlite;
}

TestDatabase::TestDatabase(db::Backend backend, const std::string& sqlite_path) {
    if (backend == db::Backend::sqlite) {
        target_ = db::storage_target("", sqlite_path);
        return;
    }
    postgres_ = std::make_unique<PostgresDatabase>();
    target_ = db::storage_target(postgres_->conninfo(), "");
}

std::pair<std::string, std::string> TestDatabase::env() const {
    if (target_.backend == db::Backend::sqlite) return {"OPSBOT_DB", target_.location};
    return {"OPSBOT_DATABASE_URL", postgres_->url()};
}

std::vector<AuditRecord> audit_rows(const TestDatabase& store, std::optional<Outcome> outcome) {
    const auto database = store.connect();
    SystemClock clock;
    const db::AuditLog log(*database, clock);
    AuditQuery query;
    query.limit = 0;
    query.outcome = outcome;
    return log.query(query);
}

std::string append_pre_replica_audit_row(db::Database& database, const std::string& prev_hash,
                                         const AuditEntry& entry, TimePoint time) {
    const auto duration =
        entry.duration_ms ? nlohmann::json(*entry.duration_ms) : nlohmann::json(nullptr);
    const std::string content =
        nlohmann::json::array({format_iso8601(time), entry.correlation_id, entry.actor_id,
                               entry.actor_name, to_string(entry.source), entry.channel,
                               entry.thread, entry.command, entry.args_json, entry.project,
                               entry.environment, to_string(entry.outcome), entry.external_ref,
                               duration, entry.error})
            .dump();
    const std::string hash = audit_chain_hash(prev_hash, content);
    auto insert = database.prepare(
        "INSERT INTO audit_log (time, correlation_id, actor_id, actor_name, source, channel, "
        "thread, command, args_json, project, environment, outcome, external_ref, duration_ms, "
        "error, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, format_iso8601(time))
        .bind(2, entry.correlation_id)
        .bind(3, entry.actor_id)
        .bind(4, entry.actor_name)
        .bind(5, to_string(entry.source))
        .bind(6, entry.channel)
        .bind(7, entry.thread)
        .bind(8, entry.command)
        .bind(9, entry.args_json)
        .bind(10, entry.project)
        .bind(11, entry.environment)
        .bind(12, to_string(entry.outcome))
        .bind(13, entry.external_ref)
        .bind(14, entry.duration_ms)
        .bind(15, entry.error)
        .bind(16, prev_hash)
        .bind(17, hash);
    insert.run();
    return hash;
}

}  // namespace opsbot::test
