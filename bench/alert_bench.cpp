// Alert storm: many signed Sentry webhooks at once against the real opsbot
// binary (Slack mode, fake Slack pacing each channel at one call per second).
// Prints intake throughput, latency, Slack calls per 1,000 alerts and memory;
// asserts nothing.
//
//   opsbot_alert_bench <path to opsbot> [alerts=20000] [concurrency=32]

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"
#include "bench/raw_http.hpp"
#include "tests/fakes/fake_sentry.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using bench::ms;
using bench::SteadyClock;

namespace {

constexpr const char* kSecret = "bench-sentry-client-secret";
constexpr int kIssues = 40;  // distinct Sentry issues in the storm

std::string read_sample(const std::string& name) {
    std::ifstream in(std::string(OPSBOT_SOURCE_DIR) + "/tests/data/sentry/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Signed requests, serialised before the clock starts: the load measures opsbot.
std::vector<std::string> make_requests(int count) {
    const auto issue_sample = nlohmann::json::parse(read_sample("issue_created.json"));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    // Half the issues belong to catalogued projects, half go to the alert channel.
    const char* projects[] = {"acme", "globex-shop", "initech-intranet", "unknown-app"};
    std::vector<std::string> requests;
    requests.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        auto payload = issue_sample;
        const int issue = i % kIssues;
        payload["data"]["issue"]["id"] = std::to_string(100000 + issue);
        payload["data"]["issue"]["title"] = "Bench error " + std::to_string(issue);
        payload["data"]["issue"]["project"]["slug"] = projects[issue % 4];
        payload["data"]["issue"]["count"] = std::to_string(i / kIssues + 1);
        const std::string body = payload.dump();
        const HttpRequest request{"POST", "",
                                  test::FakeSentry::webhook_headers(
                                      "issue", body, kSecret, "bench-" + std::to_string(i), now),
                                  body};
        requests.push_back(bench::serialise(request, "/hooks/sentry"));
    }
    return requests;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr
            << "usage: opsbot_alert_bench <path to opsbot> [alerts] [concurrency] [--postgres]\n";
        return 2;
    }
    const bool postgres = std::string(argv[argc - 1]) == "--postgres";
    const int numbers = argc - (postgres ? 1 : 0);
    const int count = numbers > 2 ? std::stoi(argv[2]) : 20000;
    const int concurrency = numbers > 3 ? std::stoi(argv[3]) : 32;
    const bench::BenchStore store(postgres);
    auto env = store.env();
    env["OPSBOT_ALERT_CHANNEL"] = "#ops-alerts";
    env["SENTRY_CLIENT_SECRET"] = kSecret;
    env["OPSBOT_LOG_LEVEL"] = "info";
    test::FakeSlack slack;
    slack.enforce_channel_pace(1000ms);
    test::TempDir dir;
    test::BackgroundProcess bot({argv[1], {}, bench::slack_mode_env(slack, dir, env), "", "", 600});
    const std::string line = bot.wait_for_log("http: listening on ");
    const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    slack.wait_for_links(1, 10s);
    std::this_thread::sleep_for(1s);
    const long idle_rss = bench::rss_kib(bot.pid(), "VmRSS:");

    const auto requests = make_requests(count);
    std::atomic<std::size_t> next{0};
    std::atomic<int> accepted{0}, refused{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(concurrency));
    const double cpu_before = bench::cpu_seconds(bot.pid());
    const auto started = SteadyClock::now();
    std::vector<std::thread> senders;
    for (int t = 0; t < concurrency; ++t)
        senders.emplace_back([&, t] {
            bench::RawHttpConnection connection(port);
            for (auto i = next++; i < requests.size(); i = next++) {
                const auto sent = SteadyClock::now();
                const int status = connection.send(requests[i]);
                latencies[static_cast<std::size_t>(t)].push_back(ms(SteadyClock::now() - sent));
                if (status == 202)
                    ++accepted;
                else
                    ++refused;
            }
        });
    for (auto& sender : senders) sender.join();
    const double seconds = ms(SteadyClock::now() - started) / 1000.0;
    const long storm_rss = bench::rss_kib(bot.pid(), "VmHWM:");
    const double cpu_used = bench::cpu_seconds(bot.pid()) - cpu_before;
    std::vector<double> all;
    for (const auto& list : latencies) all.insert(all.end(), list.begin(), list.end());

    // Let the relay catch up, then count what reached Slack.
    std::size_t calls = 0;
    for (int quiet = 0; quiet < 5;) {
        std::this_thread::sleep_for(1s);
        const auto now_calls =
            slack.api_calls("chat.postMessage").size() + slack.api_calls("chat.update").size();
        quiet = now_calls == calls ? quiet + 1 : 0;
        calls = now_calls;
    }
    const auto posts = slack.api_calls("chat.postMessage").size();

    std::printf("opsbot alert-storm benchmark (loopback, %u cores, %d senders, store %s)\n",
                std::thread::hardware_concurrency(), concurrency, store.name());
    std::printf("alerts sent %d  accepted (202, recorded) %d  refused %d  in %.2f s\n", count,
                accepted.load(), refused.load(), seconds);
    std::printf("intake throughput %.0f alerts/s  latency p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                accepted / seconds, bench::percentile(all, 0.5), bench::percentile(all, 0.99),
                bench::percentile(all, 1.0));
    std::printf("opsbot CPU during the storm %.2f s (%.0f%% of one core), %.0f us per alert\n",
                cpu_used, 100.0 * cpu_used / seconds, 1e6 * cpu_used / count);
    std::printf("Slack calls %zu (%zu posts, %zu updates): %.2f per 1,000 alerts; 429s %zu\n",
                calls, posts, calls - posts, 1000.0 * static_cast<double>(calls) / count,
                slack.pace_rejections());
    std::printf("RSS idle %.1f MiB, peak %.1f MiB\n", static_cast<double>(idle_rss) / 1024.0,
                static_cast<double>(storm_rss) / 1024.0);
    bot.signal(SIGTERM);
    std::printf("opsbot exit code after SIGTERM: %d\n", bot.wait());

    return 0;
}
