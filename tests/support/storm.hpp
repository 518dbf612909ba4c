#pragma once
// A storm of `/ops help` and mentions spread over a fake Slack's links, for
// the replica tests (tests/test_claims_e2e.cpp) and bench/replica_bench.cpp.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_slack.hpp"

namespace opsbot::test {

// The storm is OPSBOT_STORM_EACH commands and as many mentions (default
// the issue's 5,000 each).
inline int storm_each() {
    const char* each = std::getenv("OPSBOT_STORM_EACH");
    return each != nullptr && std::atoi(each) > 0 ? std::atoi(each) : 5000;
}

// Every request acknowledged is answered, and every event acknowledged
// (by a retry when its first link died).
inline bool settled(const FakeSlack& slack) {
    for (const auto& request : slack.deliveries().requests()) {
        if (request.type == "events_api" && !request.acked) return false;
        if (request.acked && request.answers() == 0) return false;
    }
    return true;
}

// Slash commands and mentions in random order, each in a channel of its
// own (opsbot paces its messages per channel, as Slack wants).
inline void send_storm(FakeSlack& slack, int each, std::atomic<int>& sent) {
    std::vector<bool> mentions(2 * static_cast<std::size_t>(each), false);
    std::fill(mentions.begin(), mentions.begin() + each, true);
    std::shuffle(mentions.begin(), mentions.end(), std::mt19937(2112));
    for (std::size_t i = 0; i < mentions.size(); ++i) {
        const std::string channel = "C0STORM" + std::to_string(100000 + i);
        if (mentions[i])
            slack.send_mention(
                {.text = std::string("<@") + FakeSlack::kBotUserId + "> help", .channel = channel});
        else
            slack.send_slash({.text = "help", .channel = channel});
        ++sent;
        if (i % 100 == 99)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a storm, not one burst
    }
}

}  // namespace opsbot::test
