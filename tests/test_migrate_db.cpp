// opsbot migrate-db: the real binary copies a SQLite installation into an
// empty PostgreSQL database; the copy's audit chain verifies with the same
// rows, stores read the same records back, new rows continue the chain and
// the ids, a database that holds opsbot rows is refused, and a bad --to says
// so without its password.

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "persistence/storage.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sentry_samples.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using Catch::Matchers::Contains;

namespace {

struct Installation {
    test::TempDir dir;
    std::string db_path = dir.file("data/opsbot.db");
    std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)}, {"OPSBOT_DB", db_path}};

    test::ProcessResult run(std::vector<std::string> args, const std::string& url = "") const {
        auto environment = env;
        if (!url.empty()) environment["OPSBOT_DATABASE_URL"] = url;
        return test::run_process({OPSBOT_BINARY, std::move(args), environment, "", "", 60});
    }
};

// What a SQLite installation holds after some use, written through its stores.
struct Written {
    std::vector<AuditRecord> audit;
    std::int64_t deploy_id = 0;
    DeployRecord deploy;  // as SQLite reads it back
    std::int64_t run_id = 0;
    std::int64_t message_id = 0;
};

AuditEntry entry(const std::string& command) {
    AuditEntry e;
    e.actor_id = "U01ALICE01";
    e.actor_name = "Alice";
    e.source = Source::slack;
    e.command = command;
    e.project = "acme";
    e.environment = "prod";
    e.duration_ms = 12;
    return e;
}

DeployRecord deploy(TimePoint now) {
    DeployRecord d;
    d.plan = {"acme", Env::prod, "acme-deploy-prod", "main", {{"BRANCH", "main"}}};
    d.requested_by = "U01ALICE01";
    d.requested_by_name = "Alice";
    d.state = DeployState::succeeded;
    d.result = "SUCCESS";
    d.created = now;
    d.finished = now;
    return d;
}

RunRecord runbook_run(TimePoint now) {
    RunRecord run;
    run.runbook.name = "move-site";
    run.runbook.steps.resize(2);
    run.runbook.steps[0].title = "Announce";
    run.runbook.steps[1].title = "Move";
    run.params = {{"project", "acme"}};
    run.project = "acme";
    run.created = now;
    run.steps.resize(2);
    return run;
}

Written fill(db::Storage& storage, TimePoint now) {
    Written written;
    for (const auto* command : {"deploy acme prod", "lock acme prod", "runbook start move-site"})
        written.audit.push_back(storage.audit().append(entry(command)));
    REQUIRE_FALSE(storage.locks().acquire(
        Lock{"acme", Env::prod, LockKind::manual, "U01ALICE01", "Alice", "migration", now, {}, ""},
        now));
    written.deploy_id = storage.deploys().create(deploy(now));
    written.deploy = *storage.deploys().find(written.deploy_id);
    written.run_id = storage.runbooks().create(runbook_run(now));
    REQUIRE(storage.alert_inbox().record("body:42", now, test::sample_alert()));
    written.message_id =
        storage.alerts().create_message("#acme", AlertMessageKind::issue, now, {}).id;
    storage.state().set("relay.cursor", "7");
    return written;
}

}  // namespace

TEST_CASE("migrate-db: the copy verifies, reads the same and carries on", "[postgres][e2e]") {
    Installation i;
    const SystemClock clock;
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock.now());
    Written written;
    {
        const auto storage = db::Storage::open(db::storage_target("", i.db_path), clock);
        written = fill(*storage, now);
    }
    test::PostgresDatabase pg;

    const auto migrated = i.run({"migrate-db", "--to", pg.url()});
    INFO(migrated.err);
    REQUIRE(migrated.exit_code == 0);
    CHECK_THAT(migrated.out, Contains("  audit_log: 3 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  locks: 1 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  deploys: 1 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  runbook_runs: 1 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  runbook_steps: 2 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  alert_inbox: 1 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("  alert_messages: 1 row(s)\n"));
    CHECK_THAT(migrated.out, Contains("audit chain intact: 3 row(s) verified"));

    const auto verify = i.run({"audit", "verify"}, pg.url());
    INFO(verify.err);
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out, Contains("audit chain intact: 3 row(s) verified"));

    const auto storage = db::Storage::open(db::storage_target(pg.url(), ""), clock);
    const auto rows = storage->audit().query(AuditQuery{});
    REQUIRE(rows.size() == 3);
    for (const auto& row : rows) {
        const auto& source = written.audit.at(static_cast<std::size_t>(row.id - 1));
        CHECK(row.hash == source.hash);
        CHECK(row.prev_hash == source.prev_hash);
        CHECK(row.time == source.time);
        CHECK(row.command == source.command);
        CHECK(row.duration_ms == source.duration_ms);
    }
    const auto lock = storage->locks().find("acme", Env::prod, now);
    REQUIRE(lock);
    CHECK(lock->owner_name == "Alice");
    CHECK(lock->reason == "migration");
    CHECK(lock->acquired == now);
    const auto deployed = storage->deploys().find(written.deploy_id);
    REQUIRE(deployed);
    CHECK(deployed->plan.job == "acme-deploy-prod");
    CHECK(deployed->plan.params.at("BRANCH") == "main");
    CHECK(deployed->created == written.deploy.created);
    CHECK(deployed->finished == written.deploy.finished);
    const auto run = storage->runbooks().find(written.run_id);
    REQUIRE(run);
    CHECK(run->runbook.steps.at(1).title == "Move");
    CHECK(run->steps.size() == 2);
    CHECK(storage->alert_inbox().unapplied(10).size() == 1);
    CHECK(storage->state().get("relay.cursor") == "7");

    // New rows continue after the copied ones: the chain and every identity.
    const auto appended = storage->audit().append(entry("unlock acme prod"));
    CHECK(appended.id == 4);
    CHECK(appended.prev_hash == written.audit.back().hash);
    CHECK(storage->deploys().create(deploy(now)) == written.deploy_id + 1);
    CHECK(storage->runbooks().create(runbook_run(now)) == written.run_id + 1);
    CHECK(storage->alerts().create_message("#acme", AlertMessageKind::digest, now, {}).id ==
          written.message_id + 1);
    const auto after = i.run({"audit", "verify"}, pg.url());
    CHECK(after.exit_code == 0);
    CHECK_THAT(after.out, Contains("audit chain intact: 4 row(s) verified"));
}

TEST_CASE("migrate-db: a target that holds opsbot rows is refused", "[postgres][e2e]") {
    Installation i;
    REQUIRE(i.run({"audit", "verify"}).exit_code == 0);  // makes the SQLite database
    test::PostgresDatabase pg;
    {
        const SystemClock clock;  // the stores keep a reference: it outlives them
        const auto storage = db::Storage::open(db::storage_target(pg.url(), ""), clock);
        storage->audit().append(entry("deploy acme prod"));
    }
    const auto refused = i.run({"migrate-db", "--to=" + pg.url()});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Contains("the target already holds an opsbot database; migrate-db "
                                     "only fills an empty one"));
    CHECK_THAT(refused.err, Contains("audit_log"));
    const auto verify = i.run({"audit", "verify"}, pg.url());
    CHECK_THAT(verify.out, Contains("audit chain intact: 1 row(s) verified"));
}

TEST_CASE("migrate-db: usage, a missing source and a bad --to", "[postgres][e2e]") {
    Installation i;
    const auto usage = i.run({"migrate-db"});
    CHECK(usage.exit_code == 2);
    CHECK_THAT(usage.err, Contains("usage: opsbot migrate-db --to"));

    test::PostgresDatabase pg;
    const auto missing = i.run({"migrate-db", "--to", pg.url()});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Contains("no SQLite database at " + i.db_path));

    REQUIRE(i.run({"audit", "verify"}).exit_code == 0);
    const std::string password = "s3cret-Pw9";
    for (const std::string& url : {"postgresql://opsbot:" + password + "@127.0.0.1:1/opsbot",
                                   "postgresql://opsbot:" + password + "@[::1/opsbot",
                                   "host=127.0.0.1 port=1 user=opsbot password=" + password}) {
        const auto bad = i.run({"migrate-db", "--to", url});
        INFO(bad.err);
        CHECK(bad.exit_code == 1);
        CHECK_THAT(bad.err, Contains("opsbot migrate-db: "));
        CHECK(bad.err.find(password) == std::string::npos);
        CHECK(bad.out.find(password) == std::string::npos);
    }
}
