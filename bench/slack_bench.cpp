// Measures opsbot in Slack mode on loopback: the real binary against a fake
// Slack and a load generator. Prints its figures; asserts nothing.
//
//   opsbot_bench <path to opsbot> [--quick] [--storms N] [--tls]
//                [--stale-link [ROUNDS]] [--idle-link [SECONDS]]
//
// --storms N runs only N storms of 20,000, to compare two builds' ack paths
// on more than one sample. --tls puts the Socket Mode link on wss://, as
// Slack's is (a certificate made for the run, trusted through SSL_CERT_FILE).
// --stale-link (3 rounds) makes the live link go silent (no reads, no pongs,
// no close) and times how long until a new link acks an envelope;
// --idle-link (600 s) leaves the link idle, answering pings, and counts
// reconnects. Both run opsbot with its default watchdog settings.

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "bench/bench_util.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/fakes/tls_identity.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using bench::ms;
using bench::percentile;
using bench::rss_kib;
using bench::SteadyClock;

namespace {

struct Load {
    test::FakeSlack& slack;
    int next = 0;

    struct Help {
        std::string id, text;
    };

    Help help() {
        const int i = ++next;
        const std::string id = "bench-" + std::to_string(i);
        return {id, test::FakeSlack::envelope_text(
                        "slash_commands",
                        {{"channel_id", "C0BENCH" + std::to_string(i % 50)},
                         {"user_id", "U0BENCH001"},
                         {"user_name", "bench"},
                         {"command", "/ops"},
                         {"text", "help"},
                         {"response_url", slack.server().base_url() + "/response/" + id},
                         {"trigger_id", "trigger-" + id}},
                        0, id)};
    }

    std::string send_help() {
        auto [id, text] = help();
        slack.send_raw(text);
        return id;
    }
};

struct Figures {
    std::size_t sent = 0, acked = 0, answered = 0;
    double seconds = 0, offered_seconds = 0, ack_p50 = 0, ack_p99 = 0, ack_max = 0, reply_p50 = 0,
           reply_p99 = 0;
    std::size_t reply_connections = 0;
    // Per envelope, the socket thread's time on a CPU and waiting for one.
    double socket_cpu_us = 0, socket_wait_us = 0;
};

// Envelope id → time, from messages carrying an "envelope_id".
std::map<std::string, SteadyClock::time_point> by_envelope(const test::TimedMessages& messages) {
    std::map<std::string, SteadyClock::time_point> out;
    for (const auto& [text, time] : messages) {
        const auto json = nlohmann::json::parse(text, nullptr, false);
        if (json.is_object() && json.contains("envelope_id")) out[json["envelope_id"]] = time;
    }
    return out;
}

// What a run starts from: the fake's counters, the socket thread's times.
struct Before {
    std::size_t connections, responses;
    int pid;
    bench::ThreadTimes socket;

    Before(test::FakeSlack& slack, int bot_pid)
        : connections(slack.server().connections_accepted()),
          responses(slack.server().request_count()),
          pid(bot_pid),
          socket(bench::thread_times(bot_pid, "slack-socket")) {}
};

// Latencies count from the moment the fake Slack began writing an envelope
// to the socket, as Slack's clock would: not from when the load generator
// queued it, which would add the fake's own backlog to opsbot's figures.
Figures measure(test::FakeSlack& slack, const std::vector<std::string>& ids, const Before& before) {
    const std::size_t expected_responses = before.responses + ids.size();
    test::FakeHttpServer::wait_until(
        [&] { return slack.server().request_count() >= expected_responses; }, 180s);
    // A reply may land before the fake has read its envelope's ack.
    slack.wait_for_ack(ids.back(), 10s);
    std::map<std::string, SteadyClock::time_point> sent, acks;
    for (std::size_t l = 0; l < slack.links(); ++l) {
        sent.merge(by_envelope(slack.link(l)->sent_timed()));
        acks.merge(by_envelope(slack.link(l)->received_timed()));
    }
    std::map<std::string, SteadyClock::time_point> replies;
    for (const auto& r : slack.server().requests())
        if (r.path().rfind("/response/", 0) == 0) replies[r.path().substr(10)] = r.received;

    Figures f;
    f.sent = ids.size();
    std::vector<double> ack_ms, reply_ms;
    const auto first = sent.at(ids.front());
    SteadyClock::time_point last = first;
    for (const auto& id : ids) {
        const auto wire = sent.at(id);
        f.offered_seconds = std::max(f.offered_seconds, ms(wire - first) / 1000.0);
        if (auto a = acks.find(id); a != acks.end()) {
            ++f.acked;
            ack_ms.push_back(ms(a->second - wire));
            last = std::max(last, a->second);
        }
        if (auto r = replies.find(id); r != replies.end()) {
            ++f.answered;
            reply_ms.push_back(ms(r->second - wire));
        }
    }
    f.seconds = ms(last - first) / 1000.0;
    f.ack_p50 = percentile(ack_ms, 0.50);
    f.ack_p99 = percentile(ack_ms, 0.99);
    f.ack_max = percentile(ack_ms, 1.0);
    f.reply_p50 = percentile(reply_ms, 0.50);
    f.reply_p99 = percentile(reply_ms, 0.99);
    f.reply_connections = slack.server().connections_accepted() - before.connections;
    const auto socket = bench::thread_times(before.pid, "slack-socket");
    const auto per_envelope_us = [&](long long ns) {
        return static_cast<double>(ns) / 1000.0 / static_cast<double>(ids.size());
    };
    f.socket_cpu_us = per_envelope_us(socket.on_cpu_ns - before.socket.on_cpu_ns);
    f.socket_wait_us = per_envelope_us(socket.waiting_ns - before.socket.waiting_ns);
    return f;
}

void print(const std::string& name, const Figures& f) {
    std::printf(
        "%-22s sent %6zu  offered %8.0f/s  acked %6zu  answered %6zu  ack rate %8.0f/s  ack p50 "
        "%7.3f ms  "
        "p99 %7.3f ms  max %7.3f ms  reply p50 %8.2f ms  p99 %8.2f ms  new connections %zu  "
        "socket thread per envelope %.2f us on a CPU, %.2f us waiting for one\n",
        name.c_str(), f.sent,
        f.offered_seconds > 0 ? static_cast<double>(f.sent) / f.offered_seconds : 0.0, f.acked,
        f.answered, f.seconds > 0 ? static_cast<double>(f.acked) / f.seconds : 0.0, f.ack_p50,
        f.ack_p99, f.ack_max, f.reply_p50, f.reply_p99, f.reply_connections, f.socket_cpu_us,
        f.socket_wait_us);
}

Figures storm(test::FakeSlack& slack, Load& load, int count, int pid) {
    const Before before(slack, pid);
    // Built ahead, so that the generator spends the shared cores on sending
    // only, as Slack's servers would.
    std::vector<Load::Help> envelopes;
    for (int i = 0; i < count; ++i) envelopes.push_back(load.help());
    std::vector<std::string> ids;
    for (const auto& envelope : envelopes) {
        slack.send_raw(envelope.text);
        ids.push_back(envelope.id);
    }
    return measure(slack, ids, before);
}

Figures paced(test::FakeSlack& slack, Load& load, int per_second, int seconds, int pid) {
    const Before before(slack, pid);
    std::vector<std::string> ids;
    const auto started = SteadyClock::now();
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / per_second);
    for (int i = 0; i < per_second * seconds; ++i) {
        std::this_thread::sleep_until(started + interval * i);
        ids.push_back(load.send_help());
    }
    return measure(slack, ids, before);
}

// Rounds of: the live link goes silent; time until an envelope sent on the
// link that replaces it is acknowledged. The envelope goes out as soon as
// the fake sees the new link (it polls every 2 ms).
void stale_link(test::FakeSlack& slack, Load& load, int rounds) {
    std::vector<double> seconds;
    for (int round = 0; round < rounds; ++round) {
        const std::size_t links = slack.links();
        const auto silent = slack.current_link();
        // Not in step with the watchdog: the last pong is a random time ago.
        std::this_thread::sleep_for(std::chrono::milliseconds(700 + 900 * round));
        const auto went_silent = SteadyClock::now();
        silent->go_silent();
        if (!slack.wait_for_links(links + 1, 120s)) {
            std::printf("stale link, round %d: no new link within 120 s\n", round + 1);
            return;
        }
        const auto opened = SteadyClock::now();
        const auto fresh = slack.link(links);
        test::FakeHttpServer::wait_until([&] { return slack.current_link() == fresh; }, 10s);
        const auto id = load.send_help();
        slack.wait_for_ack(id, 10s);
        const auto acks = by_envelope(fresh->received_timed());
        const auto ack = acks.find(id);
        if (ack == acks.end()) {
            std::printf("stale link, round %d: the new link acked nothing\n", round + 1);
            return;
        }
        seconds.push_back(ms(ack->second - went_silent) / 1000.0);
        std::printf(
            "stale link, round %d: silent → new link's first ack %.3f s (new link seen after "
            "%.3f s)\n",
            round + 1, seconds.back(), ms(opened - went_silent) / 1000.0);
    }
    std::printf("stale link: worst of %d rounds %.3f s\n", rounds,
                *std::max_element(seconds.begin(), seconds.end()));
}

// An idle link that answers pings, for `seconds`: it should stay the only one.
void idle_link(test::FakeSlack& slack, Load& load, int seconds) {
    const auto link = slack.current_link();
    const std::size_t links = slack.links();
    const std::size_t opens = slack.server().requests_to("/api/apps.connections.open").size();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const std::size_t reconnects = slack.links() - links;
    const auto id = load.send_help();
    const bool acked = slack.wait_for_ack(id, 10s);
    std::printf(
        "idle link for %d s: %zu reconnects (%zu apps.connections.open calls), %zu pings "
        "answered, first link %s, an envelope afterwards %s\n",
        seconds, reconnects,
        slack.server().requests_to("/api/apps.connections.open").size() - opens,
        link->pings_answered(), link->open() ? "still open" : "closed",
        acked ? "acknowledged" : "NOT acknowledged");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: opsbot_bench <path to opsbot> [--quick] [--storms N] [--tls] "
                     "[--stale-link [ROUNDS]] [--idle-link [SECONDS]] [--postgres]\n";
        return 2;
    }
    bool quick = false, tls = false, postgres = false;
    int storms_only = 0, stale_rounds = 0, idle_seconds = 0;
    const auto count_after = [&](int& i, int fallback) {
        return i + 1 < argc && std::isdigit(static_cast<unsigned char>(argv[i + 1][0]))
                   ? std::stoi(argv[++i])
                   : fallback;
    };
    for (int i = 2; i < argc; ++i) {
        const std::string option = argv[i];
        quick = quick || option == "--quick";
        tls = tls || option == "--tls";
        postgres = postgres || option == "--postgres";
        if (option == "--storms" && i + 1 < argc) storms_only = std::stoi(argv[++i]);
        if (option == "--stale-link") stale_rounds = count_after(i, 3);
        if (option == "--idle-link") idle_seconds = count_after(i, 600);
    }
    // Made only for a TLS run: a ws:// run has no use for a key.
    const auto identity =
        tls ? test::make_self_signed_identity({"IP:127.0.0.1"}) : test::TlsIdentity{};
    // The link and the reply connections on their own threads.
    test::FakeSlack slack(2, tls ? &identity : nullptr);
    test::TempDir dir;
    Load load{slack};
    const bench::BenchStore store(postgres);
    std::map<std::string, std::string> extra_env = store.env();
    extra_env["OPSBOT_LOG_LEVEL"] = "warn";
    if (tls) extra_env["SSL_CERT_FILE"] = dir.write("fake-slack.pem", identity.certificate_pem);

    // The first envelope goes out the moment the link opens, to time start-up.
    std::string first_id;
    SteadyClock::time_point spawned;
    test::BackgroundProcess bot(
        {argv[1], {}, bench::slack_mode_env(slack, dir, extra_env), "", "", 600});
    spawned = SteadyClock::now();
    slack.wait_for_links(1, 10s);
    first_id = load.send_help();
    slack.wait_for_ack(first_id, 10s);
    const auto acks = slack.link(0)->received_timed();
    const double first_ack_ms = acks.empty() ? -1 : ms(acks.front().second - spawned);
    if (stale_rounds > 0 || idle_seconds > 0) {
        std::printf("opsbot Socket Mode watchdog (loopback, link over %s, default settings)\n",
                    tls ? "wss://" : "ws://");
        if (stale_rounds > 0) stale_link(slack, load, stale_rounds);
        if (idle_seconds > 0) idle_link(slack, load, idle_seconds);
        bot.signal(SIGTERM);
        std::printf("opsbot exit code after SIGTERM: %d\n", bot.wait());
        return 0;
    }
    // The libraries' own floor, measured while opsbot idles.
    const auto floor_program =
        std::filesystem::path(argv[0]).parent_path() / "opsbot_library_floor";
    std::optional<test::BackgroundProcess> floor;
    if (std::filesystem::exists(floor_program))
        floor.emplace(test::ProcessSpec{floor_program.string(), {dir.path()}, {}, "", "", 60});
    std::this_thread::sleep_for(2s);
    const long floor_rss = floor ? rss_kib(floor->pid(), "VmRSS:") : -1;
    floor.reset();
    const int pid = bot.pid();
    const long idle_rss = rss_kib(pid, "VmRSS:");
    const long idle_anon = rss_kib(pid, "RssAnon:");
    const long idle_file = rss_kib(pid, "RssFile:");
    const long idle_shmem = rss_kib(pid, "RssShmem:");

    std::printf(
        "opsbot Slack-mode benchmark (loopback, %u cores, Socket Mode link over %s, store %s)\n",
        std::thread::hardware_concurrency(), tls ? "wss://" : "ws://", store.name());
    std::printf(
        "start-up to first ack: %.1f ms (process start → link → hello → first envelope acked)\n",
        first_ack_ms);
    std::printf("idle RSS: %.1f MiB (anonymous %.1f MiB, files and shared libraries %.1f MiB)\n",
                static_cast<double>(idle_rss) / 1024.0, static_cast<double>(idle_anon) / 1024.0,
                static_cast<double>(idle_file + idle_shmem) / 1024.0);
    if (floor_rss > 0)
        std::printf(
            "idle RSS of a program that only loads and starts the same libraries "
            "(bench/library_floor.cpp): %.1f MiB\n",
            static_cast<double>(floor_rss) / 1024.0);
    if (storms_only > 0) {
        for (int i = 0; i < storms_only; ++i) print("storm 20,000", storm(slack, load, 20000, pid));
    } else {
        print("storm 5,000", storm(slack, load, quick ? 1000 : 5000, pid));
        if (!quick) print("storm 20,000", storm(slack, load, 20000, pid));
        print("paced 2,000/s", paced(slack, load, 2000, quick ? 1 : 5, pid));
    }
    std::printf("peak RSS: %.1f MiB\n", static_cast<double>(rss_kib(pid, "VmHWM:")) / 1024.0);
    bot.signal(SIGTERM);
    std::printf("opsbot exit code after SIGTERM: %d\n", bot.wait());
    return 0;
}
