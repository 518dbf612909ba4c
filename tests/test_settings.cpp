// Settings read from the environment: the Socket Mode watchdog's durations,
// the replica id.

#include <catch2/catch.hpp>

#include <map>

#include "bot/settings.hpp"
#include "core/leases.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

EnvLookup lookup(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        const auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

}  // namespace

TEST_CASE("settings: the Socket Mode watchdog defaults notice a silent link within 8 s",
          "[settings]") {
    const auto loaded = load_settings(lookup({}));
    CHECK(loaded.settings.slack_ping_interval == 3s);
    CHECK(loaded.settings.slack_pong_timeout == 5s);
}

TEST_CASE("settings: the Socket Mode watchdog takes seconds or milliseconds", "[settings]") {
    const auto loaded = load_settings(
        lookup({{"OPSBOT_SLACK_PING_INTERVAL", "500ms"}, {"OPSBOT_SLACK_PONG_TIMEOUT", "2s"}}));
    CHECK(loaded.problems.empty());
    CHECK(loaded.settings.slack_ping_interval == 500ms);
    CHECK(loaded.settings.slack_pong_timeout == 2s);
}

TEST_CASE("settings: a bad watchdog duration is reported and the default kept", "[settings]") {
    const auto loaded = load_settings(
        lookup({{"OPSBOT_SLACK_PING_INTERVAL", "0ms"}, {"OPSBOT_SLACK_PONG_TIMEOUT", "fast"}}));
    CHECK(loaded.problems ==
          std::vector<std::string>{
              "OPSBOT_SLACK_PING_INTERVAL '0ms' is not a duration like 5s or 500ms; using 3.0 s",
              "OPSBOT_SLACK_PONG_TIMEOUT 'fast' is not a duration like 5s or 500ms; using 5.0 s"});
    CHECK(loaded.settings.slack_ping_interval == 3s);
    CHECK(loaded.settings.slack_pong_timeout == 5s);
}

TEST_CASE("settings: a form's answer waits under Slack's 3 s, 2.5 s by default", "[settings]") {
    CHECK(load_settings(lookup({})).settings.slack_answer_within == 2500ms);
    const auto shorter = load_settings(lookup({{"OPSBOT_SLACK_ANSWER_WITHIN", "1500ms"}}));
    CHECK(shorter.problems.empty());
    CHECK(shorter.settings.slack_answer_within == 1500ms);
    const auto over = load_settings(lookup({{"OPSBOT_SLACK_ANSWER_WITHIN", "3s"}}));
    CHECK(over.problems == std::vector<std::string>{"OPSBOT_SLACK_ANSWER_WITHIN '3s' is not "
                                                    "under Slack's 3s; using 2.5 s"});
    CHECK(over.settings.slack_answer_within == 2500ms);
}

TEST_CASE("settings: the replica id names the log lines too, the host name by default",
          "[settings]") {
    const auto named = load_settings(lookup({{"OPSBOT_REPLICA_ID", "ops-2"}}));
    CHECK(named.settings.replica_id == "ops-2");
    CHECK(named.settings.log.replica == "ops-2");
    const auto unnamed = load_settings(lookup({}));
    const std::string host = local_host_name();
    CHECK(unnamed.settings.replica_id == (valid_replica_id(host) ? host : "opsbot"));
    CHECK(unnamed.settings.log.replica == unnamed.settings.replica_id);
    const auto invalid = load_settings(lookup({{"OPSBOT_REPLICA_ID", "ops 2"}}));
    CHECK(invalid.settings.log.replica == "opsbot");
}
