// Exactly once across replicas: three real opsbot processes on one
// PostgreSQL database, the fake Slack spreading a storm of slash commands and
// mentions over their links at random and retrying events left
// unacknowledged, as Slack does; one replica is SIGKILLed mid-storm.
//
// The storm is OPSBOT_STORM_EACH commands and as many mentions (default
// the issue's 5,000 each: about 11 s on 2 shared cores).

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <unistd.h>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/replica_set.hpp"
#include "tests/support/storm.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using test::FakeSlack;
using test::send_storm;
using test::settled;
using test::storm_each;

namespace {

// The replies one replica may have sent without recording them: one per
// outbound worker (bot/slack_mode.cpp), as after a single opsbot's kill -9.
constexpr std::size_t kOutboundWorkers = 8;
// Slack's ack deadline: a command the dead replica had held longer than this
// would have been lost to a timeout anyway. Those it held for less were in
// flight: read or queued on its link, not yet acknowledged. How many that is
// depends on the storm's rate and the machine's load (about 300 on 2 loaded
// cores), not on opsbot: the test bounds their age, and prints their count.
constexpr auto kAckDeadline = std::chrono::seconds(3);

struct Outcome {
    std::size_t requests = 0;
    std::size_t doubled = 0;           // answered twice
    std::size_t unacked_commands = 0;  // received by the dead replica, never acknowledged
    std::size_t in_flight = 0;         // of those, sent before the kill
    std::chrono::milliseconds oldest_in_flight{0};  // how long before the kill
    std::size_t unacked_answered = 0;               // of those, answered by its takeover
};

// killed: when the SIGKILL went; what the fake sent to the dead link after
// it, until it saw the link close, Slack too would have sent.
Outcome judge(const FakeSlack& slack, const std::string& dead,
              test::SlackClock::time_point killed) {
    Outcome outcome;
    for (const auto& request : slack.deliveries().requests()) {
        ++outcome.requests;
        INFO(request.type << " " << request.key << ": " << request.envelopes.size()
                          << " deliveries, " << request.answers() << " answers");
        CHECK(request.answers() <= 2);
        if (request.answers() > 1) ++outcome.doubled;
        if (request.acked) {
            CHECK(request.answers() >= 1);
            continue;
        }
        // Never acknowledged: a command on the dead replica's link, which
        // Slack does not deliver again. Its takeover may still answer it.
        CHECK(request.type == "slash_commands");
        const auto envelope = slack.deliveries().envelope(request.envelopes[0]);
        CHECK(envelope->client == dead);
        ++outcome.unacked_commands;
        if (envelope->sent < killed) {
            ++outcome.in_flight;
            outcome.oldest_in_flight = std::max(
                outcome.oldest_in_flight,
                std::chrono::duration_cast<std::chrono::milliseconds>(killed - envelope->sent));
        }
        if (request.answers() > 0) ++outcome.unacked_answered;
    }
    return outcome;
}

}  // namespace

TEST_CASE("claims e2e: storm with a death: each acknowledged envelope and each event answered once",
          "[replicas][postgres][e2e][storm]") {
    const int each = storm_each();
    FakeSlack slack(2);
    const test::TestDatabase store(db::Backend::postgresql, "");
    test::ReplicaSet replicas(slack, store, 3);
    replicas.start_all();
    slack.spread_over_links(2112);

    constexpr std::size_t kVictim = 1;
    std::atomic<int> sent{0};
    std::thread storm([&] { send_storm(slack, each, sent); });
    REQUIRE(FakeHttpServer::wait_until([&] { return sent >= each; }, 300s));
    const auto killed = test::SlackClock::now();
    replicas.kill(kVictim);
    storm.join();

    const bool done = FakeHttpServer::wait_until([&] { return settled(slack); }, 300s);
    std::this_thread::sleep_for(3s);  // a late second answer would show now
    const auto tally = slack.deliveries().tally();
    const auto outcome = judge(slack, test::ReplicaSet::id(kVictim), killed);
    REQUIRE(done);
    CHECK(outcome.requests == 2 * static_cast<std::size_t>(each));
    CHECK(outcome.doubled <= kOutboundWorkers);
    CHECK(outcome.oldest_in_flight < kAckDeadline);
    const std::string survivors = replicas.log(0) + replicas.log(2);
    CHECK_THAT(survivors, Catch::Contains("taking over its unfinished work"));
    WARN("storm with a death, 3 replicas, "
         << each << " /ops help + " << each << " mentions, r2 SIGKILLed half-way: "
         << tally.envelopes << " envelopes (" << tally.retries << " retries), "
         << tally.lost_envelopes << " lost with r2's link; answered twice (in flight at the "
         << "kill): " << outcome.doubled << "; slash commands r2 never acknowledged: "
         << outcome.unacked_commands << ", " << outcome.in_flight
         << " of them sent before the kill, the oldest " << outcome.oldest_in_flight.count()
         << " ms before it (answered by takeover: " << outcome.unacked_answered << ")");
}

TEST_CASE(
    "claims e2e: PostgreSQL restarted during a storm: the replicas recover, nothing lost or "
    "doubled",
    "[replicas][postgres][e2e]") {
    // A cluster of the test's own: restarting the shared one would fail the
    // tests running beside this one.
    test::PostgresCluster cluster{"/tmp/opsbot-pg-claims-" + std::to_string(::getpid())};
    cluster.sql("CREATE DATABASE opsbot");
    FakeSlack slack(2);
    const test::TestDatabase unused(db::Backend::postgresql, "");  // the replicas use the above
    test::ReplicaSet replicas(slack, unused, 2);
    replicas.set_env("OPSBOT_DATABASE_URL", cluster.conninfo("opsbot"));
    replicas.start_all();
    slack.spread_over_links(99);

    // Mentions: an event whose claim could not be committed is not
    // acknowledged and comes again; a slash command is refused at once
    // (test_postgres_outage_e2e.cpp), which the fake does not count as an
    // answer.
    constexpr int kMentions = 400;
    std::thread restart;
    for (int i = 0; i < kMentions; ++i) {
        slack.send_mention({.text = std::string("<@") + FakeSlack::kBotUserId + "> help",
                            .channel = "C0PGRST" + std::to_string(1000 + i)});
        if (i == kMentions / 3) restart = std::thread([&] { cluster.restart(); });
        if (i % 10 == 9) std::this_thread::sleep_for(10ms);
    }
    restart.join();
    const bool done = FakeHttpServer::wait_until([&] { return settled(slack); }, 120s);
    std::this_thread::sleep_for(2s);  // a second answer would show by now
    const auto tally = slack.deliveries().tally();
    INFO(tally.retries << " retries");
    REQUIRE(done);
    for (const auto& request : slack.deliveries().requests()) {
        INFO(request.key << ": " << request.envelopes.size() << " deliveries");
        CHECK(request.acked);
        CHECK(request.answers() == 1);
    }
    CHECK(tally.requests == static_cast<std::size_t>(kMentions));
    CHECK(replicas.running(0));
    CHECK(replicas.running(1));
    WARN("PostgreSQL restarted during "
         << kMentions << " mentions over 2 replicas: " << tally.envelopes << " envelopes, "
         << tally.retries << " retries, answered twice " << tally.answered_more);
}
