// Numbered schema migrations: fresh, repeated, upgrading an old database, and
// refusing databases this binary must not touch. On both backends, except
// what only a SQLite file can do (garbage files, missing folders, busy locks).

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "core/audit_chain.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using Catch::Matchers::Contains;

namespace {

std::int64_t count(db::Database& database, const std::string& sql) {
    auto statement = database.prepare(sql);
    REQUIRE(statement.step());
    return statement.column_int(0);
}

// Whether the schema holds a table, index or trigger of that name.
bool has_object(db::Database& database, const std::string& type, const std::string& name) {
    const std::string sql =
        database.backend() == db::Backend::sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = '" + type + "' AND name = ?"
        : type == "table" ? "SELECT count(*) FROM pg_tables WHERE tablename = ?"
        : type == "index" ? "SELECT count(*) FROM pg_indexes WHERE indexname = ?"
                          : "SELECT count(*) FROM pg_trigger WHERE tgname = ?";
    auto statement = database.prepare(sql);
    statement.bind(1, name);
    REQUIRE(statement.step());
    return statement.column_int(0) == 1;
}

// The trigger refusing a DELETE of an audit row: PostgreSQL's one trigger
// refuses UPDATE and DELETE, SQLite has one for each.
const char* audit_delete_trigger(db::Backend backend) {
    return backend == db::Backend::postgresql ? "audit_log_no_update" : "audit_log_no_delete";
}

// Writes the schema version as a newer opsbot would have.
void set_schema_version(db::Database& database, int version) {
    if (database.backend() == db::Backend::postgresql)
        database.exec("UPDATE opsbot_schema SET version = " + std::to_string(version));
    else
        database.exec("PRAGMA user_version = " + std::to_string(version));
}

AuditEntry sample_entry(int n) {
    AuditEntry entry;
    entry.correlation_id = "c-" + std::to_string(n);
    entry.actor_id = "U01ALICE01";
    entry.actor_name = "Alice";
    entry.source = Source::console;
    entry.command = "deploy acme stage";
    entry.args_json = R"({"project":"acme","env":"stage"})";
    entry.project = "acme";
    entry.environment = "stage";
    entry.outcome = Outcome::succeeded;
    entry.duration_ms = n * 100;
    return entry;
}

}  // namespace

TEST_CASE("migrations: are numbered 1, 2, 3... and named after their number") {
    const auto& migrations = db::all_migrations();
    REQUIRE_FALSE(migrations.empty());
    CHECK(db::latest_schema_version() == static_cast<int>(migrations.size()));
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        const auto& migration = migrations[i];
        CHECK(migration.version == static_cast<int>(i) + 1);
        char prefix[8];
        std::snprintf(prefix, sizeof prefix, "%03d_", migration.version);
        CHECK(migration.name.rfind(prefix, 0) == 0);
        CHECK_FALSE(migration.sql.empty());
    }
    CHECK(migrations[0].name == "001_audit_log");
    CHECK(migrations[1].name == "002_audit_indexes");
    CHECK(migrations[2].name == "003_kv_state");
}

TEST_CASE("migrations: a fresh database migrates to the latest version") {
    test::TestDatabase fresh(OPSBOT_EACH_BACKEND(), false);
    db::Database& database = *fresh;
    CHECK(db::schema_version(database) == 0);
    db::migrate(database);
    CHECK(db::schema_version(database) == db::latest_schema_version());
    CHECK(has_object(database, "table", "audit_log"));
    CHECK(has_object(database, "table", "state"));
    CHECK(has_object(database, "trigger", "audit_log_no_update"));
    CHECK(has_object(database, "trigger", audit_delete_trigger(fresh.backend())));
    CHECK(has_object(database, "index", "audit_log_time"));
    CHECK(has_object(database, "index", "audit_log_project_time"));
    CHECK(has_object(database, "index", "audit_log_actor_time"));
    CHECK(has_object(database, "index", "audit_log_correlation"));
}

TEST_CASE("migrations: the state table keeps one value per key") {
    test::TestDatabase migrated(OPSBOT_EACH_BACKEND());
    db::Database& database = *migrated;
    database.exec(
        "INSERT INTO state (key, value, updated_at) VALUES ('zone:acme', 'z1', "
        "'2026-11-24T22:13:47.123Z')");
    CHECK_THROWS_AS(database.exec("INSERT INTO state (key, value, updated_at) VALUES "
                                  "('zone:acme', 'z2', '2026-11-24T22:13:48.000Z')"),
                    db::DatabaseError);
    CHECK_THROWS_AS(database.exec("INSERT INTO state (key, updated_at) VALUES ('k', 't')"),
                    db::DatabaseError);
}

TEST_CASE("migrations: migrating twice is a no-op") {
    test::TestDatabase migrated(OPSBOT_EACH_BACKEND());
    db::Database& database = *migrated;
    const SystemClock clock;
    db::AuditLog audit(database, clock);
    audit.append(sample_entry(1));

    db::migrate(database);
    db::migrate(database);
    CHECK(db::schema_version(database) == db::latest_schema_version());
    CHECK(count(database, "SELECT count(*) FROM audit_log") == 1);
    CHECK(audit.verify().ok);
}

TEST_CASE("migrations: an old database is upgraded in place and keeps its rows") {
    test::TestDatabase old(OPSBOT_EACH_BACKEND(), false);
    const SystemClock clock;
    {
        db::Database& database = *old;
        db::migrate(database, 1);
        REQUIRE(db::schema_version(database) == 1);
        CHECK_FALSE(has_object(database, "index", "audit_log_time"));
        CHECK_FALSE(has_object(database, "table", "state"));
        std::string hash = audit_genesis_hash();
        for (int n = 1; n <= 5; ++n)
            hash = test::append_pre_replica_audit_row(database, hash, sample_entry(n), clock.now());
    }
    const auto reopened = old.connect();
    db::Database& database = *reopened;
    CHECK(db::schema_version(database) == 1);
    db::migrate(database);
    CHECK(db::schema_version(database) == db::latest_schema_version());
    CHECK(has_object(database, "index", "audit_log_time"));
    CHECK(has_object(database, "table", "state"));

    db::AuditLog audit(database, clock);
    const auto rows = audit.query({.limit = 0});
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].correlation_id == "c-5");
    CHECK(rows[4].duration_ms == 100);
    audit.append(sample_entry(6));
    const auto check = audit.verify();
    CHECK(check.ok);
    CHECK(check.rows_checked == 6);
}

TEST_CASE(
    "migrations: 011 keeps the deploys of an older database, as job deploys of no known "
    "commit",
    "[release-follow]") {
    test::TestDatabase older(OPSBOT_EACH_BACKEND(), false);
    {
        db::Database& database = *older;
        db::migrate(database, 10);
        database.exec(
            "INSERT INTO deploys (correlation_id, project, environment, job, ref, params_json, "
            "requested_by, requested_by_name, build_number, build_url, state, result, created_at, "
            "finished_at) VALUES ('c-1', 'acme', 'prod', 'clients/acme/deploy-prod', 'master', "
            "'{\"BRANCH\":\"master\"}', 'U01ALICE01', 'Alice', 12, "
            "'https://ci.example.com/job/x/12/', 'succeeded', 'SUCCESS', "
            "'2026-11-20T10:00:00.000Z', '2026-11-20T10:04:00.000Z')");
    }
    const auto reopened = older.connect();
    db::Database& database = *reopened;
    db::migrate(database);
    CHECK(db::schema_version(database) == db::latest_schema_version());
    CHECK(has_object(database, "index", "deploys_live"));

    db::SqlDeployStore store(database);
    const auto old = store.find(1);
    REQUIRE(old.has_value());
    CHECK(old->kind == DeployKind::job);
    CHECK(old->commit.empty());
    CHECK(old->replaced_commit.empty());
    CHECK(old->plan.params.at("BRANCH") == "master");
    CHECK(old->build_number == 12);
    CHECK(old->state == DeployState::succeeded);
    // Live history lists it, with no commit: what was live is known, not which commit.
    const auto before = store.live_history("acme", Env::prod, 5);
    REQUIRE(before.size() == 1);
    CHECK(before[0].commit.empty());

    DeployRecord release = *old;
    release.id = 0;
    release.kind = DeployKind::release;
    release.commit = "4f2a9c81d0b3e5f7a6c8d9e0f1a2b3c4d5e6f708";
    release.replaced_commit = "9b1e7d3c5a2f4e6d8c0b1a3e5d7f9c2b4a6e8d01";
    release.finished.reset();
    release.state = DeployState::started;
    release.id = store.create(release);
    release.state = DeployState::succeeded;
    REQUIRE(store.finish(release));
    const auto live = store.live_history("acme", Env::prod, 5);
    REQUIRE(live.size() == 2);  // newest first
    CHECK(live[0].id == 2);
    CHECK(live[0].kind == DeployKind::release);
    CHECK(live[0].replaced_commit == release.replaced_commit);
    CHECK(store.recent("acme", 5).size() == 2);
}

TEST_CASE("migrations: migrating to a lower version than the database has changes nothing") {
    test::TestDatabase migrated(OPSBOT_EACH_BACKEND());
    db::Database& database = *migrated;
    db::migrate(database, 1);
    CHECK(db::schema_version(database) == db::latest_schema_version());
}

TEST_CASE("migrations: a database newer than this binary is refused") {
    test::TestDatabase newer_database(OPSBOT_EACH_BACKEND());
    const int newer = db::latest_schema_version() + 1;
    set_schema_version(*newer_database, newer);
    const auto reopened = newer_database.connect();
    db::Database& database = *reopened;
    const std::string elsewhere = newer_database.backend() == db::Backend::postgresql
                                      ? "set OPSBOT_DATABASE_URL to another database"
                                      : "set OPSBOT_DB to another file";
    CHECK_THROWS_AS(db::migrate(database), db::DatabaseError);
    CHECK_THROWS_WITH(db::migrate(database),
                      "database " + database.path() + " has schema version " +
                          std::to_string(newer) + " but this opsbot knows only up to " +
                          std::to_string(db::latest_schema_version()) +
                          ": it was written by a newer opsbot; upgrade opsbot or " + elsewhere);
    CHECK(db::schema_version(database) == newer);
}

TEST_CASE("migrations: a file that is not a database gives a clear error") {
    test::TempDir dir;
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 251);
    const auto path = dir.write("opsbot.db", garbage);

    const auto open_and_migrate = [&] {
        db::Database database(path);
        db::migrate(database);
    };
    CHECK_THROWS_AS(open_and_migrate(), db::DatabaseError);
    CHECK_THROWS_WITH(open_and_migrate(), Contains("database " + path));
    CHECK_THROWS_WITH(open_and_migrate(), Contains("is not a database or is corrupt"));
    CHECK_THROWS_WITH(open_and_migrate(), Contains("restore it from a backup"));
}

TEST_CASE("migrations: a database in a missing folder gives a clear error") {
    test::TempDir dir;
    const auto path = dir.file("no-such-folder/opsbot.db");
    CHECK_THROWS_WITH(db::Database(path),
                      Contains("database " + path) &&
                          Contains("cannot open: check the folder exists and is writable"));
}

TEST_CASE("migrations: a database locked by another process gives a clear error") {
    test::TempDir dir;
    const auto path = dir.file("opsbot.db");
    db::Database holder(path);
    db::migrate(holder, 1);
    db::Transaction lock(holder);

    db::Database waiting(path);
    // The real timeout is 5 s; the test need not wait that long.
    waiting.exec("PRAGMA busy_timeout = 50");
    CHECK_THROWS_WITH(db::migrate(waiting),
                      Contains("database " + path) &&
                          Contains("is locked by another process: stop the other opsbot or "
                                   "set OPSBOT_DB"));
    CHECK(db::schema_version(waiting) == 1);
}

TEST_CASE("migrations: a transaction not committed is rolled back") {
    test::TestDatabase migrated(OPSBOT_EACH_BACKEND());
    db::Database& database = *migrated;
    {
        db::Transaction transaction(database);
        database.exec("INSERT INTO state (key, value, updated_at) VALUES ('a', 'b', 'c')");
    }
    CHECK(count(database, "SELECT count(*) FROM state") == 0);
    {
        db::Transaction transaction(database);
        database.exec("INSERT INTO state (key, value, updated_at) VALUES ('a', 'b', 'c')");
        transaction.commit();
    }
    CHECK(count(database, "SELECT count(*) FROM state") == 1);
}
