#include "bot/replicas/prune_jobs.hpp"

#include <spdlog/spdlog.h>

namespace opsbot {

PruneJobs::PruneJobs(std::chrono::milliseconds every) : loop_("prune", every, [this] { pass(); }) {}

void PruneJobs::add(std::string what, Job job) {
    jobs_.emplace_back(std::move(what), std::move(job));
}

// One job's failure does not keep the others from running.
void PruneJobs::pass() {
    for (const auto& [what, job] : jobs_) {
        try {
            if (const auto pruned = job()) spdlog::info("prune: {}: {} old row(s)", what, pruned);
        } catch (const std::exception& e) {
            spdlog::error("prune: {}: {}", what, e.what());
        }
        if (loop_.halted()) return;
    }
}

}  // namespace opsbot
