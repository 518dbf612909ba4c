#pragma once
// Small helpers the benchmarks share: durations, percentiles, memory.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/temp_dir.hpp"

namespace opsbot::bench {

using SteadyClock = std::chrono::steady_clock;

inline double ms(SteadyClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values[index];
}

// A field of /proc/<pid>/status in KiB: "VmRSS:", "VmHWM:".
inline long rss_kib(int pid, const char* field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
    return -1;
}

// The environment of opsbot in Slack mode against the fake, on the example
// catalogue, with a fresh database in dir; extra variables added or replaced.
inline std::map<std::string, std::string> slack_mode_env(
    const test::FakeSlack& slack, const test::TempDir& dir,
    const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env{
        {"SLACK_APP_TOKEN", test::FakeSlack::kAppToken},
        {"SLACK_BOT_TOKEN", test::FakeSlack::kBotToken},
        {"SLACK_API_URL", slack.api_url()},
        {"OPSBOT_LISTEN", "127.0.0.1:0"},
        {"OPSBOT_CONFIG", std::string(OPSBOT_SOURCE_DIR) + "/config/opsbot.yaml"},
        {"OPSBOT_DB", dir.file("opsbot.db")}};
    for (const auto& [name, value] : extra) env[name] = value;
    return env;
}

// --postgres: the store on a PostgreSQL cluster of the bench's own, durable
// as in production (fsync on), instead of the default SQLite file.
class BenchStore {
public:
    explicit BenchStore(bool postgres) {
        if (!postgres) return;
        cluster_ = std::make_unique<test::PostgresCluster>(
            "/tmp/opsbot-bench-pg-" + std::to_string(::getpid()),
            test::PostgresCluster::Durability::production);
        cluster_->sql("CREATE DATABASE opsbot");
    }
    std::map<std::string, std::string> env() const {
        if (!cluster_) return {};
        return {{"OPSBOT_DATABASE_URL", cluster_->conninfo("opsbot")}};
    }
    const char* name() const { return cluster_ ? "PostgreSQL 15" : "SQLite"; }

private:
    std::unique_ptr<test::PostgresCluster> cluster_;
};

// CPU seconds (user + system) the process has used so far.
inline double cpu_seconds(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::vector<std::string> fields;
    std::string field;
    for (const char c : text.substr(close + 2)) {
        if (c == ' ') {
            fields.push_back(field);
            field.clear();
        } else {
            field += c;
        }
    }
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    if (fields.size() < 13) return 0;
    return static_cast<double>(std::stoll(fields[11]) + std::stoll(fields[12])) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What the scheduler counted so far for the process's thread of that name
// ("slack-socket"): time on a CPU, and time runnable but waiting for one.
// All -1 when there is no such thread.
struct ThreadTimes {
    long long on_cpu_ns = -1, waiting_ns = -1;
};

inline ThreadTimes thread_times(int pid, const std::string& name) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
        std::ifstream comm(task.path() / "comm");
        std::string line;
        if (!std::getline(comm, line) || line != name) continue;
        std::ifstream schedstat(task.path() / "schedstat");
        ThreadTimes times;
        schedstat >> times.on_cpu_ns >> times.waiting_ns;
        return times;
    }
    return {};
}

}  // namespace opsbot::bench
