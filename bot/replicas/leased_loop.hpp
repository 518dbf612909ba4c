#pragma once
// Singleton work that is a pass repeated at an interval (the backup watch,
// pruning, the confirmation sweep, the runbook steps of dead replicas), on a
// thread of its own. Started with a lease's grant, each pass runs under its
// WriteFence (core/write_fence.hpp), so a former holder's late write fails.
// halt() asks the thread to end without waiting for it: the lease keeper's
// thread must not wait on a pass (which may wait on Slack or Jenkins).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/leases.hpp"

namespace opsbot {

class LeasedLoop {
public:
    using Steady = std::chrono::steady_clock;
    // A pass that says when it wants the next one (max(): after interval).
    using TimedPass = std::function<Steady::time_point()>;

    LeasedLoop(std::string name, std::chrono::milliseconds interval, std::function<void()> pass);
    // gather: after a wake(), how long to wait for more before the next pass,
    // so that a storm of wakes costs a pass per batch.
    LeasedLoop(std::string name, std::chrono::milliseconds interval, TimedPass pass,
               std::chrono::milliseconds gather);
    ~LeasedLoop();  // stop()
    LeasedLoop(const LeasedLoop&) = delete;
    LeasedLoop& operator=(const LeasedLoop&) = delete;

    // Runs a pass now, then every interval; waits for a halted thread first.
    void start(std::optional<LeaseGrant> grant = std::nullopt);
    void halt();
    void stop();  // halt() and wait
    // A pass now rather than at the end of the interval.
    void wake();
    bool halted() const;

private:
    void run(std::optional<LeaseGrant> grant);

    const std::string name_;
    const std::chrono::milliseconds interval_;
    const TimedPass pass_;
    const std::chrono::milliseconds gather_{0};
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

}  // namespace opsbot
