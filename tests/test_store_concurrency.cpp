// The guarantees the stores keep with several writer processes on one
// database: real opsbot_store_hammer processes, started together, racing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "persistence/audit_log.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_iso8601("2026-11-25T10:00:00Z");

int count_ready(const std::filesystem::path& folder) {
    int ready = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        ready += entry.path().filename().string().rfind("start.ready.", 0) == 0;
    return ready;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

// Starts one hammer process per job; each opens the store, says it is ready
// and waits for the start file, created once all are ready: their jobs run
// at the same moment. Answers what each printed.
std::vector<std::string> race(const test::TestDatabase& database,
                              const std::vector<std::vector<std::string>>& jobs) {
    test::TempDir dir;
    const std::string start = dir.file("start");
    std::vector<test::ProcessResult> results(jobs.size());
    std::atomic<int> finished{0};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < jobs.size(); ++i)
        threads.emplace_back([&, i] {
            test::ProcessSpec spec{OPSBOT_STORE_HAMMER, {database.target().location, start}};
            spec.args.insert(spec.args.end(), jobs[i].begin(), jobs[i].end());
            results[i] = test::run_process(spec);
            ++finished;
        });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count_ready(dir.path()) + finished < static_cast<int>(jobs.size()) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    std::ofstream(start).put('\n');
    for (auto& thread : threads) thread.join();

    std::vector<std::string> said;
    for (const auto& result : results) {
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        said.push_back(first_line(result.out));
    }
    return said;
}

std::int64_t count_rows(const test::TestDatabase& database, const std::string& sql) {
    auto query = database->prepare(sql);
    REQUIRE(query.step());
    return query.column_int(0);
}

Confirmation pending_confirmation() {
    Confirmation c;
    c.id = "c7f3a1";
    c.correlation_id = "c-0001";
    c.command = "deploy acme prod";
    c.requester_id = "U01ALICE01";
    c.requester_name = "Alice";
    c.project = "acme";
    c.environment = "prod";
    c.digest = "d1";
    c.created = std::chrono::system_clock::now();
    c.expires = c.created + 1h;
    return c;
}

}  // namespace

TEST_CASE("store concurrency: 4 processes append 1,000 audit rows each, one unbroken chain",
          "[postgres][concurrency]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    const auto said = race(database, std::vector<std::vector<std::string>>(4, {"audit", "1000"}));
    CHECK(std::count(said.begin(), said.end(), "appended 1000") == 4);

    test::ManualClock clock;
    db::AuditLog audit(*database, clock);
    const auto verification = audit.verify();
    INFO(verification.problem);
    CHECK(verification.ok);
    CHECK(verification.rows_checked == 4000);
    CHECK(count_rows(database, "SELECT COUNT(DISTINCT id) FROM audit_log") == 4000);
}

TEST_CASE("store concurrency: two approvers pressing together decide a confirmation once",
          "[postgres][concurrency]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlConfirmationStore confirmations(*database);
    confirmations.create(pending_confirmation());

    const auto said =
        race(database, {{"decide", "c7f3a1", "U02BOB"}, {"decide", "c7f3a1", "U03CAROL"}});
    REQUIRE(std::count(said.begin(), said.end(), "decided") == 1);
    CHECK(std::count(said.begin(), said.end(), "refused") == 1);
    const auto decided = confirmations.find("c7f3a1");
    REQUIRE(decided);
    CHECK(decided->state == ConfirmationState::approved);
    CHECK(decided->decided_by == (said[0] == "decided" ? "U02BOB" : "U03CAROL"));
}

TEST_CASE("store concurrency: of processes taking the same lock together, one wins",
          "[postgres][concurrency]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    std::vector<std::vector<std::string>> jobs;
    for (int i = 0; i < 6; ++i) jobs.push_back({"lock", "acme", "prod", "U0" + std::to_string(i)});

    const auto said = race(database, jobs);
    REQUIRE(std::count(said.begin(), said.end(), "won") == 1);
    CHECK(std::count(said.begin(), said.end(), "lost") == 5);
    const auto winner = std::find(said.begin(), said.end(), "won") - said.begin();
    db::SqlLockStore locks(*database);
    const auto held = locks.find("acme", Env::prod, std::chrono::system_clock::now());
    REQUIRE(held);
    CHECK(held->owner_id == jobs[static_cast<std::size_t>(winner)][3]);
}

TEST_CASE("store concurrency: one webhook of several duplicates arriving together is accepted",
          "[postgres][concurrency]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    const auto said =
        race(database, std::vector<std::vector<std::string>>(6, {"alert", "body:abc"}));
    CHECK(std::count(said.begin(), said.end(), "accepted") == 1);
    CHECK(std::count(said.begin(), said.end(), "duplicate") == 5);
    CHECK(count_rows(database, "SELECT COUNT(*) FROM alert_inbox") == 1);
}
