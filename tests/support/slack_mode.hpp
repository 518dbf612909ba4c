#pragma once
// The real opsbot binary in Slack mode against the fake Slack: the
// environment it runs with and its start-up, shared by SlackBot (one
// process) and ReplicaSet (several on one database).

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/process.hpp"

namespace opsbot::test {

using Environment = std::map<std::string, std::string>;

// Tokens, the fake's Web API at api_url, an intake on a port of its own,
// the catalogue at config_path, the store (TestDatabase::env()), and links
// that notice a dead peer within seconds.
inline Environment slack_mode_env(const std::string& api_url, const std::string& config_path,
                                  std::pair<std::string, std::string> store) {
    return {{"SLACK_APP_TOKEN", FakeSlack::kAppToken},
            {"SLACK_BOT_TOKEN", FakeSlack::kBotToken},
            {"SLACK_API_URL", api_url},
            {"OPSBOT_LISTEN", "127.0.0.1:0"},
            {"OPSBOT_CONFIG", config_path},
            std::move(store),
            {"OPSBOT_LOG_LEVEL", "debug"},
            {"OPSBOT_SLACK_PING_INTERVAL", "1s"},
            {"OPSBOT_SLACK_PONG_TIMEOUT", "1s"},
            {"OPSBOT_RECONNECT_BACKOFF", "1s"}};
}

// Starts OPSBOT_BINARY with env. With drain_log, its log is read as it
// comes (for runs that log more than a pipe holds).
inline std::unique_ptr<BackgroundProcess> launch_opsbot(const Environment& env,
                                                        bool drain_log = false) {
    ProcessSpec spec{OPSBOT_BINARY, {}, env, "", "", 60};
    spec.drain_log = drain_log;
    return std::make_unique<BackgroundProcess>(spec);
}

// Once the intake listens: its URL, "http://127.0.0.1:<port>".
inline std::string wait_for_intake(BackgroundProcess& process) {
    const std::string line = process.wait_for_log("http: listening on ");
    return "http://" + line.substr(line.find("listening on ") + 13);
}

}  // namespace opsbot::test
