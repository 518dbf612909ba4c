// What an operator sees of the replicas (bot/replicas/replica_report.hpp):
// the lease table read as "who is alive, who holds what", and the /metrics
// gauges set from it and from the keeper, on both backends.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <thread>

#include "bot/replicas/lease_keeper.hpp"
#include "bot/replicas/replica_report.hpp"
#include "core/metrics.hpp"
#include "persistence/lease_store.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

TEST_CASE("replica view: alive replicas and singleton holders, lapsed leases left out",
          "[leases]") {
    const std::vector<LeaseRow> rows{
        {"replica:r2", "r2|h2|2|n", 1, 3s},     {"replica:r1", "r1|h1|1|n", 1, 1ms},
        {"replica:gone", "gone|h|3|n", 1, -1s}, {"work:deploys", "r2|h2|2|n", 3, 2s},
        {"work:alerts", "gone|h|3|n", 1, 0ms},  {"work:backups", "r1|h1|1|n", 1, 5s}};
    const auto view = view_replicas(rows);
    CHECK(view.alive == std::vector<std::string>{"r1", "r2"});
    CHECK(view.work == std::map<std::string, std::string>{{"backups", "r1"}, {"deploys", "r2"}});
    CHECK(describe(view) == "r1, r2; backups: r1, deploys: r2");
    CHECK(describe(view_replicas({})) == "none alive; no singleton work held");
}

TEST_CASE("replica metrics: the replica, the leases it holds and the replicas alive", "[leases]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    auto second_connection = database.connect();
    db::SqlLeaseStore first_store(*database);
    db::SqlLeaseStore second_store(*second_connection);
    const LeaseKeeperOptions options{.ttl = 3s, .tick = 100ms};
    LeaseKeeper first(first_store, {"r1", "testhost", getpid(), "a"}, options);
    LeaseKeeper second(second_store, {"r2", "testhost", getpid(), "b"}, options);
    for (auto* keeper : {&first, &second})
        keeper->singleton(
            "deploys", [](const LeaseGrant&) {}, [] {});
    REQUIRE_FALSE(first.join(1s));
    REQUIRE_FALSE(second.join(1s));
    first.start();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!first.held("deploys") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    REQUIRE(first.held("deploys"));

    Metrics metrics;
    describe_standard_metrics(metrics);
    report_replica_metrics(metrics, "r1", &first, first_store);
    CHECK(metrics.value(metric::kReplicaInfo, {{"replica", "r1"}}) == 1);
    CHECK(metrics.value(metric::kLeaseHeld, {{"work", "deploys"}}) == 1);
    CHECK(metrics.value(metric::kReplicasAlive) == 2);
    CHECK(describe_replicas(second_store) == "r1, r2; deploys: r1");

    Metrics other;
    report_replica_metrics(other, "r2", &second, second_store);
    CHECK(other.value(metric::kLeaseHeld, {{"work", "deploys"}}) == 0);
    const auto text = other.render_prometheus();
    CHECK_THAT(text, Catch::Contains("opsbot_lease_held{work=\"deploys\"} 0"));
    CHECK_THAT(text, Catch::Contains("opsbot_replica_info{replica=\"r2\"} 1"));

    second.leave();
    report_replica_metrics(metrics, "r1", &first, first_store);
    CHECK(metrics.value(metric::kReplicasAlive) == 1);
}
