// Leases (core/leases.hpp) on both backends: taken, renewed, lapsed and
// taken over with a new epoch; a write fenced by a lost grant is refused;
// the lease keeper runs a singleton on exactly one of two keepers and hands
// it over when that one stops.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <thread>

#include "bot/replicas/lease_keeper.hpp"
#include "core/write_fence.hpp"
#include "persistence/lease_store.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

LeaseHolder holder(const std::string& replica, long pid = 1, const std::string& nonce = "n1") {
    return {replica, "testhost", pid, nonce};
}

// The lease table as a second process sees it, to make a lease lapse.
void expire(test::TestDatabase& database, const std::string& name) {
    auto update = database->prepare("UPDATE leases SET expires_ms = 0 WHERE name = ?");
    update.bind(1, name);
    update.run();
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return predicate();
}

}  // namespace

TEST_CASE("A lease is held by one holder until it lapses, then taken with a new epoch",
          "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlLeaseStore store(*database);
    const auto a = holder("r1").text();
    const auto b = holder("r2").text();

    const auto first = store.acquire("work:deploys", a, 5s);
    REQUIRE(first.grant);
    CHECK(first.grant->epoch == 1);
    const auto refused = store.acquire("work:deploys", b, 5s);
    CHECK_FALSE(refused.grant);
    CHECK(refused.held_by == a);
    // Its holder renews it without a new term.
    CHECK(store.acquire("work:deploys", a, 5s).grant->epoch == 1);
    CHECK(store.renew(*first.grant, 5s));
    CHECK(store.holds(*first.grant));

    expire(database, "work:deploys");
    CHECK_FALSE(store.holds(*first.grant));
    const auto taken = store.acquire("work:deploys", b, 5s);
    REQUIRE(taken.grant);
    CHECK(taken.grant->epoch == 2);
    // The former holder's renewal fails: its grant is no longer the lease's.
    CHECK_FALSE(store.renew(*first.grant, 5s));
    CHECK(store.holds(*taken.grant));

    // Released, it lapses at once; removed, it is gone.
    store.release(*taken.grant);
    CHECK_FALSE(store.holds(*taken.grant));
    const auto rows = store.list("work:");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].left.count() < 0);
    const auto again = store.acquire("work:deploys", a, 5s);
    REQUIRE(again.grant);
    CHECK(again.grant->epoch == 3);
    store.remove(*again.grant);
    CHECK(store.list("").empty());
}

TEST_CASE("A lease held by a predecessor known to be dead is taken at once", "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlLeaseStore store(*database);
    const auto old = holder("r1", 10, "old").text();
    REQUIRE(store.acquire("replica:r1", old, 60s).grant);
    CHECK_FALSE(store.acquire("replica:r1", holder("r1", 11, "new").text(), 60s).grant);
    const auto taken = store.acquire("replica:r1", holder("r1", 11, "new").text(), 60s, old);
    REQUIRE(taken.grant);
    CHECK(taken.grant->epoch == 2);
}

TEST_CASE("A write under a lost lease is refused, and one under a held lease goes through",
          "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlLeaseStore store(*database);
    auto writer = database.connect();
    writer->exec("CREATE TABLE fenced_writes (value TEXT)");
    const auto grant = store.acquire("work:alerts", holder("r1").text(), 30s).grant;
    REQUIRE(grant);
    const auto write = [&](const std::string& value) {
        db::Transaction transaction(*writer);
        auto insert = writer->prepare("INSERT INTO fenced_writes (value) VALUES (?)");
        insert.bind(1, value);
        insert.run();
        transaction.commit();
    };
    {
        WriteFence fence(*grant);
        write("under the lease");
    }
    expire(database, "work:alerts");
    REQUIRE(store.acquire("work:alerts", holder("r2").text(), 30s).grant);
    {
        WriteFence fence(*grant);
        try {
            write("late, from the former holder");
            FAIL("the fenced write went through");
        } catch (const db::DatabaseError& e) {
            CHECK(e.problem() == db::DatabaseProblem::fenced);
            CHECK(std::string(e.what()).find("work:alerts") != std::string::npos);
        }
    }
    write("outside any fence");
    auto count = database->prepare("SELECT COUNT(*) FROM fenced_writes");
    REQUIRE(count.step());
    CHECK(count.column_int(0) == 2);
}

TEST_CASE("Two lease keepers run a singleton on exactly one, and hand it over on stop",
          "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    auto second_connection = database.connect();
    db::SqlLeaseStore first_store(*database);
    db::SqlLeaseStore second_store(*second_connection);
    const LeaseKeeperOptions options{.ttl = 3s, .tick = 100ms};
    LeaseKeeper first(first_store, holder("r1", getpid(), "a"), options);
    LeaseKeeper second(second_store, holder("r2", getpid(), "b"), options);
    std::atomic<int> running{0};
    std::atomic<int> starts{0};
    for (auto* keeper : {&first, &second})
        keeper->singleton(
            "deploys", [&](const LeaseGrant&) { ++running, ++starts; }, [&] { --running; });
    REQUIRE_FALSE(first.join(1s));
    REQUIRE_FALSE(second.join(1s));
    // The same replica id in another live process is refused.
    LeaseKeeper twin(second_store, holder("r1", getppid(), "c"), options);
    const auto refused = twin.join(200ms);
    REQUIRE(refused);
    CHECK(refused->find("another opsbot runs as replica r1") != std::string::npos);

    first.start();
    second.start();
    REQUIRE(eventually([&] { return starts == 1; }));
    std::this_thread::sleep_for(500ms);
    CHECK(running == 1);
    CHECK(starts == 1);
    CHECK(first.held("deploys") != second.held("deploys"));

    LeaseKeeper& holder_keeper = first.held("deploys") ? first : second;
    LeaseKeeper& other = &holder_keeper == &first ? second : first;
    holder_keeper.leave();
    // held() turns true a moment before the work's start callback runs.
    REQUIRE(eventually([&] { return other.held("deploys") && starts == 2; }));
    CHECK(running == 1);  // the first stopped before its lease was released
    CHECK(starts == 2);
}

TEST_CASE("A former holder of deploys cannot report a build or free its lock, the new one can",
          "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlLeaseStore leases(*database);
    auto connection = database.connect();
    db::SqlDeployStore deploys(*connection);
    db::SqlLockStore locks(*connection);
    const auto now = std::chrono::system_clock::now();
    DeployRecord deploy;
    deploy.plan.project = "acme";
    deploy.plan.env = Env::prod;
    deploy.plan.job = "clients/acme/deploy-prod";
    deploy.created = now;
    deploy.id = deploys.create(deploy);
    REQUIRE(!locks.acquire({.project = "acme",
                            .env = Env::prod,
                            .kind = LockKind::deploy,
                            .owner_id = "U02BOB0002",
                            .owner_name = "Bob",
                            .reason = "deploying master",
                            .acquired = now,
                            .expires = std::nullopt,
                            .ref = "deploy #1"},
                           now));
    const auto former = leases.acquire("work:deploys", holder("r1").text(), 30s).grant;
    REQUIRE(former);
    expire(database, "work:deploys");
    const auto current = leases.acquire("work:deploys", holder("r2").text(), 30s).grant;
    REQUIRE(current);
    deploy.state = DeployState::succeeded;
    deploy.finished = now;
    {
        WriteFence fence(*former);
        CHECK_THROWS_AS(deploys.finish(deploy), db::DatabaseError);
        CHECK_THROWS_AS(locks.release("acme", Env::prod, LockKind::deploy, ""), db::DatabaseError);
    }
    CHECK(deploys.unfinished().size() == 1);
    CHECK(locks.find("acme", Env::prod, now));
    {
        WriteFence fence(*current);
        CHECK(deploys.finish(deploy));
        CHECK(locks.release("acme", Env::prod, LockKind::deploy, ""));
    }
    CHECK(deploys.unfinished().empty());
    CHECK(!deploys.finish(deploy));  // reported once
}
