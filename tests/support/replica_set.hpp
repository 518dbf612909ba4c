#pragma once
// Replicas: several real opsbot processes on ONE PostgreSQL database and ONE
// fake Slack, as an operator runs them for high availability. Replica i
// (from 0) is "r<i+1>": OPSBOT_REPLICA_ID=r1, r2, ..., an intake of its own
// on 127.0.0.1:0, and a Web API URL of its own (FakeSlack::api_url(id)), so
// the fake knows which replica holds each link and posted each message
// (EnvelopeRecord::client, RequestRecord::posted_by). Logs are read as they
// come, so that a storm never blocks a replica on a full pipe.

#include <memory>
#include <string>
#include <vector>

#include "tests/fakes/fake_slack.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/slack_mode.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

namespace opsbot::test {

class ReplicaSet {
public:
    // count replicas, none started; slack and store outlive the set.
    ReplicaSet(FakeSlack& slack, const TestDatabase& store, std::size_t count,
               const std::string& catalogue_yaml = kCatalogueYaml);
    ~ReplicaSet();  // SIGKILL for those still running
    ReplicaSet(const ReplicaSet&) = delete;
    ReplicaSet& operator=(const ReplicaSet&) = delete;

    std::size_t size() const { return replicas_.size(); }
    static std::string id(std::size_t index) { return "r" + std::to_string(index + 1); }
    // Replica index's environment, used at its next start.
    Environment& env(std::size_t index) { return replicas_.at(index).env; }
    // The same setting for every replica.
    void set_env(const std::string& key, const std::string& value);

    // Starts every replica at once, then waits until each serves its intake
    // and holds an open link; throws with the log of one that does not.
    void start_all();
    void start(std::size_t index);  // one, waiting as above
    // SIGKILL, as a machine dies: reaped, and waits until the fake saw its
    // links drop. Envelopes sent to them and not acknowledged are lost.
    void kill(std::size_t index);
    void stop(std::size_t index);     // SIGTERM, waits for the exit
    void restart(std::size_t index);  // kill if running, then start

    bool running(std::size_t index);
    int pid(std::size_t index) const;
    // "http://127.0.0.1:<port>" of the current run.
    const std::string& intake_url(std::size_t index) const { return replicas_.at(index).intake; }
    // Its log: every run so far, the current one last.
    std::string log(std::size_t index) const;
    BackgroundProcess& process(std::size_t index) { return *replicas_.at(index).process; }

private:
    struct Replica {
        Environment env;
        std::unique_ptr<BackgroundProcess> process;
        std::string intake;
        std::string earlier_logs;  // of the runs before this one
    };
    void launch(std::size_t index);
    void wait_connected(std::size_t index);
    void ended(std::size_t index);

    FakeSlack& slack_;
    TempDir dir_;
    std::vector<Replica> replicas_;
};

}  // namespace opsbot::test
