// Runbooks as data (the loader and its problems, parameters) and runs in
// SQLite (the store's atomic step changes).

#include <catch2/catch.hpp>

#include "adapters/http/curl_http_client.hpp"
#include "core/runbook_loader.hpp"
#include "core/write_fence.hpp"
#include "persistence/database.hpp"
#include "persistence/lease_store.hpp"
#include "persistence/runbook_store.hpp"
#include "tests/fakes/fake_cloudflare.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

const std::string kShipped = std::string(OPSBOT_SOURCE_DIR) + "/config/runbooks";

Runbook shipped(const std::string& name) {
    const auto loaded = load_runbooks_dir(kShipped);
    REQUIRE(loaded.problems.empty());
    for (const auto& runbook : loaded.runbooks)
        if (runbook.name == name) return runbook;
    FAIL("no runbook " << name);
    return {};
}

const ConfigProblem* problem_at(const LoadedRunbooks& loaded, int line) {
    for (const auto& p : loaded.problems)
        if (p.where.line == line) return &p;
    return nullptr;
}

}  // namespace

TEST_CASE("runbooks: the shipped move-site and restore-db load without problems", "[runbooks]") {
    const auto loaded = load_runbooks_dir(kShipped);
    INFO(format_problems(loaded.problems));
    REQUIRE(loaded.ok());
    REQUIRE(loaded.runbooks.size() == 2);
    const auto move = shipped("move-site");
    CHECK(move.steps.size() == 11);
    CHECK(move.steps.at(8).action->type == "cloudflare.dns.point");
    CHECK(move.steps.at(8).downtime == Downtime::ends);
    CHECK(move.steps.at(4).downtime == Downtime::starts);
    CHECK(move.steps.at(10).action->type == "purge");
    const auto restore = shipped("restore-db");
    CHECK(restore.steps.at(3).commands.at(0).find("{template}") != std::string::npos);
}

TEST_CASE("runbooks: an invalid file is reported with its lines and a fix", "[runbooks]") {
    const auto loaded =
        load_runbooks_dir(std::string(OPSBOT_SOURCE_DIR) + "/tests/data/runbooks/invalid");
    CHECK(loaded.runbooks.empty());
    REQUIRE(loaded.problems.size() == 3);
    const auto* action = problem_at(loaded, 10);
    REQUIRE(action);
    CHECK(action->message == "unknown action 'purge-cache' in step 1");
    CHECK(action->fix.find("opsbot can run: purge, deploy") != std::string::npos);
    const auto* param = problem_at(loaded, 12);
    REQUIRE(param);
    CHECK(param->message == "unknown parameter {hots} in step 2");
    const auto* both = problem_at(loaded, 15);
    REQUIRE(both);
    CHECK(both->message == "step 3 has both 'confirm' and 'action'");
}

TEST_CASE("runbooks: missing steps and YAML errors are problems too", "[runbooks]") {
    auto empty = parse_runbook("name: x1\ndescription: d\n", "x.yaml");
    REQUIRE(empty.problems.size() == 1);
    CHECK(empty.problems[0].message == "the runbook has no steps");
    auto syntax = parse_runbook("name: [\n", "y.yaml");
    REQUIRE(syntax.problems.size() == 1);
    CHECK(syntax.problems[0].message.rfind("YAML syntax error", 0) == 0);
}

TEST_CASE("runbooks: parameters bind in order or by name, defaults fill the rest", "[runbooks]") {
    const auto move = shipped("move-site");
    const auto bound = bind_params(
        move, {"acme", "old.example.net", "new.example.net", "203.0.113.7", "check_attempts=2"});
    REQUIRE(bound.ok());
    const auto& v = bound.value();
    CHECK(v.at("port") == "8080");
    CHECK(v.at("db") == "acme");
    CHECK(v.at("check_url") == "http://new.example.net:8080/");
    CHECK(v.at("check_attempts") == "2");
    CHECK(substitute("ssh {old_host} && {unknown}", v) == "ssh old.example.net && {unknown}");

    const auto missing = bind_params(move, {"acme", "old.example.net"});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message ==
          "runbook move-site needs <new_host> (the server the site moves to)");
    CHECK(missing.error().hint.find("runbook start move-site <project> <old_host>") !=
          std::string::npos);
}

namespace {

// A run of the shipped move-site, on call Bob, not stored yet.
RunRecord move_site_run() {
    RunRecord run;
    run.runbook = shipped("move-site");
    run.params = {{"project", "acme"}};
    run.oncall_id = "U02BOB0002";
    run.created = SystemClock().now();
    run.steps.resize(run.runbook.steps.size());
    return run;
}

}  // namespace

TEST_CASE("runbooks: a step changes only from the state a press saw", "[runbooks]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlRunbookStore store(*database);
    const RunRecord run = move_site_run();
    const auto id = store.create(run);
    store.begin_step(id, 0, run.created);

    const StepChange bob{RunbookStepState::done, run.created, "U02BOB0002", "Bob", ""};
    const StepChange carol{RunbookStepState::done, run.created, "U03CAROL03", "Carol", ""};
    CHECK(store.change_step(id, 0, {RunbookStepState::pending}, bob));
    CHECK_FALSE(store.change_step(id, 0, {RunbookStepState::pending}, carol));
    const auto stored = store.find(id);
    REQUIRE(stored);
    CHECK(stored->steps.at(0).decided_name == "Bob");
    CHECK(stored->runbook.steps.size() == 11);  // the definition travels with the run
    CHECK(stored->params.at("project") == "acme");
    // Waiting steps cannot be pressed, and nothing moves once the run is over.
    CHECK_FALSE(store.change_step(id, 2, {RunbookStepState::pending}, bob));
    store.begin_step(id, 1, run.created);
    CHECK(store.finish(id, RunState::aborted, run.created));
    CHECK_FALSE(store.finish(id, RunState::done, run.created));
    CHECK_FALSE(store.change_step(id, 1, {RunbookStepState::pending}, bob));
    CHECK(store.active().empty());
}

TEST_CASE("runbooks: cloudflare.dns.point's update call changes the record in place",
          "[runbooks]") {
    test::FakeCloudflare fake;
    const std::string zone = "023e105f4ecef8ad9ca31a8372d0c353";
    fake.add_zone(zone, "example.com");
    const auto id = fake.add_record(zone, "A", "example.com", "198.51.100.1", true);
    CurlHttpClient http;
    cloudflare::CloudflareClient client{http, fake.client_config()};
    const auto updated = client.update_record(zone, {id, "A", "example.com", "203.0.113.7", true});
    REQUIRE(updated.ok());
    CHECK(updated.value().content == "203.0.113.7");
    CHECK(fake.records(zone).at(0).content == "203.0.113.7");
    CHECK(fake.requests().back().method == "PATCH");

    const auto missing = client.update_record(zone, {"0000", "A", "example.com", "1.2.3.4", true});
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message, Catch::Contains("81044"));
    const auto blank = client.update_record(zone, {"", "A", "example.com", "1.2.3.4", true});
    REQUIRE_FALSE(blank.ok());
    CHECK(blank.error().code == "cloudflare_dns_invalid");
}

TEST_CASE("runbooks: a dead replica's running step is taken once, never under a lost lease",
          "[runbooks][leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlRunbookStore store(*database);
    db::SqlLeaseStore leases(*database);
    const RunRecord run = move_site_run();
    const auto id = store.create(run);
    store.begin_step(id, 0, run.created);
    const StepChange running{RunbookStepState::running, run.created, "U02BOB0002", "Bob", "", "r1"};
    REQUIRE(store.change_step(id, 0, {RunbookStepState::pending}, running));
    CHECK(store.find(id)->steps.at(0).replica == "r1");

    const auto former = leases.acquire("work:runbooks", "r2|testhost|2|n2", 30s).grant;
    REQUIRE(former);
    auto lapse = database->prepare("UPDATE leases SET expires_ms = 0 WHERE name = 'work:runbooks'");
    lapse.run();
    const auto current = leases.acquire("work:runbooks", "r3|testhost|3|n3", 30s).grant;
    REQUIRE(current);
    {
        WriteFence fence(*former);
        CHECK_THROWS_AS(store.take_step(id, 0, "r1", "r2"), db::DatabaseError);
    }
    {
        WriteFence fence(*current);
        CHECK_FALSE(store.take_step(id, 0, "r9", "r3"));  // not that replica's
        CHECK(store.take_step(id, 0, "r1", "r3"));
        CHECK_FALSE(store.take_step(id, 0, "r3", "r2"));  // retried once already
    }
    const auto taken = store.find(id)->steps.at(0);
    CHECK(taken.replica == "r3");
    CHECK(taken.retried);
    CHECK(taken.state == RunbookStepState::running);
}
