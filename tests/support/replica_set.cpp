#include "tests/support/replica_set.hpp"

#include <signal.h>

#include <stdexcept>

namespace opsbot::test {

ReplicaSet::ReplicaSet(FakeSlack& slack, const TestDatabase& store, std::size_t count,
                       const std::string& catalogue_yaml)
    : slack_(slack) {
    if (store.backend() != db::Backend::postgresql)
        throw std::invalid_argument("replicas share a PostgreSQL database, not a SQLite file");
    const std::string config = dir_.write("opsbot.yaml", catalogue_yaml);
    for (std::size_t i = 0; i < count; ++i) {
        Replica replica;
        replica.env = slack_mode_env(slack.api_url(id(i)), config, store.env());
        replica.env["OPSBOT_REPLICA_ID"] = id(i);
        replica.env["OPSBOT_LOG_LEVEL"] = "info";
        replicas_.push_back(std::move(replica));
    }
}

ReplicaSet::~ReplicaSet() = default;  // each BackgroundProcess kills its own

void ReplicaSet::set_env(const std::string& key, const std::string& value) {
    for (auto& replica : replicas_) replica.env[key] = value;
}

void ReplicaSet::launch(std::size_t index) {
    auto& replica = replicas_.at(index);
    if (replica.process) ended(index);
    replica.process = launch_opsbot(replica.env, true);
}

void ReplicaSet::wait_connected(std::size_t index) {
    auto& replica = replicas_.at(index);
    replica.intake = wait_for_intake(*replica.process);
    replica.process->wait_for_log("slack: connected");
    if (!FakeHttpServer::wait_until([&] { return slack_.deliveries().open_count(id(index)) > 0; }))
        throw std::runtime_error("replica " + id(index) + " has no open link; its log:\n" +
                                 replica.process->log());
}

void ReplicaSet::start_all() {
    for (std::size_t i = 0; i < size(); ++i) launch(i);
    for (std::size_t i = 0; i < size(); ++i) wait_connected(i);
}

void ReplicaSet::start(std::size_t index) {
    launch(index);
    wait_connected(index);
}

void ReplicaSet::kill(std::size_t index) {
    auto& replica = replicas_.at(index);
    if (!replica.process) return;
    replica.process->signal(SIGKILL);
    replica.process->wait();
    if (!FakeHttpServer::wait_until([&] { return slack_.deliveries().open_count(id(index)) == 0; }))
        throw std::runtime_error("the fake Slack still holds a link of killed replica " +
                                 id(index));
}

void ReplicaSet::stop(std::size_t index) {
    auto& replica = replicas_.at(index);
    if (!replica.process) return;
    replica.process->signal(SIGTERM);
    replica.process->wait();
}

void ReplicaSet::restart(std::size_t index) {
    if (running(index)) kill(index);
    start(index);
}

// A run that is over: its log is kept for log().
void ReplicaSet::ended(std::size_t index) {
    auto& replica = replicas_.at(index);
    replica.process->wait();
    replica.earlier_logs += replica.process->log() + "--- " + id(index) + " restarted ---\n";
    replica.process.reset();
}

bool ReplicaSet::running(std::size_t index) {
    auto& replica = replicas_.at(index);
    return replica.process && replica.process->running();
}

int ReplicaSet::pid(std::size_t index) const {
    const auto& replica = replicas_.at(index);
    return replica.process ? replica.process->pid() : -1;
}

std::string ReplicaSet::log(std::size_t index) const {
    const auto& replica = replicas_.at(index);
    return replica.earlier_logs + (replica.process ? replica.process->log() : "");
}

}  // namespace opsbot::test
