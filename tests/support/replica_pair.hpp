#pragma once
// Several opsbot processes (replicas) on one PostgreSQL database and one
// fake Slack, each with OPSBOT_REPLICA_ID and a short lease, started from a
// SlackBot's environment. Until tests/support/replica_set (multi-link)
// replaces it: the fake sends each envelope to the newest open link.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "core/leases.hpp"
#include "tests/support/slack_bot.hpp"

namespace opsbot::test {

// OPSBOT_TEST_LEASE_TTL overrides it: run with 6s to measure the default's takeover.
inline std::string replica_lease_ttl() {
    const char* ttl = std::getenv("OPSBOT_TEST_LEASE_TTL");
    return ttl && *ttl ? ttl : "3s";
}

class ReplicaPair {
public:
    explicit ReplicaPair(SlackBot& bot) : bot_(bot) {}
    ~ReplicaPair() {
        for (auto& [id, process] : processes_) {
            process->signal(SIGTERM);
            process->wait();
        }
    }

    // Started in order: the one started last gets the envelopes.
    void start(const std::string& id) {
        auto env = bot_.env;
        env["OPSBOT_REPLICA_ID"] = id;
        env["OPSBOT_LEASE_TTL"] = replica_lease_ttl();
        auto process =
            std::make_unique<BackgroundProcess>(ProcessSpec{OPSBOT_BINARY, {}, env, "", "", 180});
        const std::string line = process->wait_for_log("http: listening on ", 30);
        intake_urls_[id] = "http://" + line.substr(line.find("listening on ") + 13);
        process->wait_for_log("slack: connected", 30);
        processes_[id] = std::move(process);
        REQUIRE(bot_.slack.wait_for_links(processes_.size()));
    }

    // The replica that holds "work:<work>", from the lease table.
    std::string holder(const std::string& work) {
        std::string replica;
        FakeHttpServer::wait_until(
            [&] {
                auto select = database().prepare("SELECT holder FROM leases WHERE name = ?");
                select.bind(1, "work:" + work);
                if (!select.step()) return false;
                const auto parsed = LeaseHolder::parse(select.column_text(0));
                if (parsed) replica = parsed->replica;
                return parsed.has_value();
            },
            std::chrono::seconds(20));
        REQUIRE(!replica.empty());
        return replica;
    }

    std::string other_than(const std::string& id) const {
        for (const auto& [other, process] : processes_)
            if (other != id) return other;
        return "";
    }

    // kill -9, and the moment it died.
    std::chrono::steady_clock::time_point kill(const std::string& id) {
        auto& process = *processes_.at(id);
        process.signal(SIGKILL);
        const auto at = std::chrono::steady_clock::now();
        CHECK(process.wait() == 128 + SIGKILL);
        processes_.erase(id);
        return at;
    }

    BackgroundProcess& process(const std::string& id) { return *processes_.at(id); }
    // The replicas' database, as one more process sees it.
    db::Database& database() {
        if (!db_) db_ = bot_.store.connect();
        return *db_;
    }
    const std::string& intake_url(const std::string& id) { return intake_urls_.at(id); }

private:
    SlackBot& bot_;
    std::map<std::string, std::unique_ptr<BackgroundProcess>> processes_;
    std::map<std::string, std::string> intake_urls_;
    std::unique_ptr<db::Database> db_;
};

inline double seconds_since(std::chrono::steady_clock::time_point at) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - at).count();
}

}  // namespace opsbot::test
