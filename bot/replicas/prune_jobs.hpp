#pragma once
// The "prune" singleton: the jobs that forget old rows (the alert inbox,
// envelope claims, …) run together on one replica, every hour and at once
// when it takes the lease. Register each job with add() before start().

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bot/replicas/leased_loop.hpp"

namespace opsbot {

class PruneJobs {
public:
    // Forgets what is past its keeping; returns how many rows went.
    using Job = std::function<std::int64_t()>;

    explicit PruneJobs(std::chrono::milliseconds every = std::chrono::hours(1));
    void add(std::string what, Job job);
    void start(std::optional<LeaseGrant> grant = std::nullopt) { loop_.start(std::move(grant)); }
    void halt() { loop_.halt(); }
    void stop() { loop_.stop(); }

private:
    void pass();

    std::vector<std::pair<std::string, Job>> jobs_;
    LeasedLoop loop_;
};

}  // namespace opsbot
