// Replicas under a storm (issue 21): three (or one) real opsbot processes on
// one PostgreSQL database, the fake Slack spreading `/ops help` and mentions
// over their links at random and retrying unacknowledged events as Slack
// does. Prints storm throughput and ack p50/p99 with 1 and 3 replicas, then
// runs with a replica SIGKILLed at a random moment: the takeover time and
// what was lost or answered twice. Figures, not assertions.
//   opsbot_replica_bench [--each N] [--runs N]
// (default: the 5,000 + 5,000, and 20 kill runs). It starts a
// PostgreSQL cluster of its own unless OPSBOT_TEST_POSTGRES names one.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/replica_set.hpp"
#include "tests/support/storm.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;
using test::FakeSlack;
using test::send_storm;
using test::settled;

namespace {

struct StormFigures {
    double seconds = 0, ack_p50 = 0, ack_p99 = 0;
    std::size_t envelopes = 0;
};

StormFigures storm_figures(std::size_t replica_count, int each) {
    FakeSlack slack(2);
    const test::TestDatabase store(db::Backend::postgresql, "");
    test::ReplicaSet replicas(slack, store, replica_count);
    replicas.start_all();
    slack.spread_over_links(7);
    std::atomic<int> sent{0};
    const auto started = test::SlackClock::now();
    send_storm(slack, each, sent);
    FakeHttpServer::wait_until([&] { return settled(slack); }, 600s);
    std::vector<double> acks;
    test::SlackClock::time_point last = started;
    for (const auto& envelope : slack.deliveries().envelopes()) {
        if (!envelope.acked) continue;
        acks.push_back(
            std::chrono::duration<double, std::milli>(*envelope.acked - envelope.sent).count());
        last = std::max(last, *envelope.acked);
    }
    std::sort(acks.begin(), acks.end());
    const auto at = [&](double q) {
        return acks.empty() ? 0.0 : acks[static_cast<std::size_t>(q * (acks.size() - 1))];
    };
    return {std::chrono::duration<double>(last - started).count(), at(0.5), at(0.99), acks.size()};
}

struct KillFigures {
    double takeover_seconds = -1;  // kill → first answer to what the dead one had acked
    std::size_t lost = 0, doubled = 0, unacked_commands = 0;
};

KillFigures kill_run(int each, std::uint64_t seed) {
    FakeSlack slack(2);
    const test::TestDatabase store(db::Backend::postgresql, "");
    test::ReplicaSet replicas(slack, store, 3);
    replicas.start_all();
    slack.spread_over_links(seed);
    std::mt19937_64 random(seed);
    const std::size_t victim = random() % 3;
    const int kill_after = static_cast<int>(random() % static_cast<std::uint64_t>(2 * each));
    std::atomic<int> sent{0};
    std::thread storm([&] { send_storm(slack, each, sent); });
    FakeHttpServer::wait_until([&] { return sent >= kill_after; }, 300s);
    const auto killed = test::SlackClock::now();
    replicas.kill(victim);
    // What the dead replica acknowledged and had not answered yet.
    std::vector<std::string> orphans;
    for (const auto& request : slack.deliveries().requests())
        if (request.acked && request.answers() == 0 &&
            slack.deliveries().envelope(request.envelopes.back())->client ==
                test::ReplicaSet::id(victim))
            orphans.push_back(request.key);
    KillFigures figures;
    FakeHttpServer::wait_until(
        [&] {
            for (const auto& key : orphans)
                if (slack.deliveries().request(key)->answers() > 0) return true;
            return orphans.empty();
        },
        60s);
    if (!orphans.empty())
        figures.takeover_seconds =
            std::chrono::duration<double>(test::SlackClock::now() - killed).count();
    storm.join();
    FakeHttpServer::wait_until([&] { return settled(slack); }, 120s);
    std::this_thread::sleep_for(2s);
    for (const auto& request : slack.deliveries().requests()) {
        if (request.answers() > 1) ++figures.doubled;
        if (request.acked && request.answers() == 0) ++figures.lost;
        if (!request.acked) ++figures.unacked_commands;
    }
    return figures;
}

}  // namespace

int main(int argc, char** argv) {
    int each = test::storm_each();
    int runs = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--each") each = std::atoi(argv[i + 1]);
        if (option == "--runs") runs = std::atoi(argv[i + 1]);
    }
    for (const std::size_t count : {std::size_t{1}, std::size_t{3}}) {
        const auto f = storm_figures(count, each);
        std::printf(
            "storm, %zu replica(s), %d /ops help + %d mentions: %zu acked in %.2f s (%.0f/s), "
            "ack p50 %.2f ms, p99 %.2f ms\n",
            count, each, each, f.envelopes, f.seconds, f.envelopes / f.seconds, f.ack_p50,
            f.ack_p99);
    }
    std::size_t lost = 0, doubled = 0;
    for (int run = 0; run < runs; ++run) {
        const auto f = kill_run(each, 1000 + static_cast<std::uint64_t>(run));
        lost += f.lost;
        doubled += f.doubled;
        std::printf(
            "kill run %d: takeover %.2f s (kill → first replayed answer), lost %zu, answered "
            "twice %zu, unacknowledged slash commands %zu\n",
            run + 1, f.takeover_seconds, f.lost, f.doubled, f.unacked_commands);
    }
    std::printf("%d kill runs: %zu lost, %zu answered twice\n", runs, lost, doubled);
    return 0;
}
