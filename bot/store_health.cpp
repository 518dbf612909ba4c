#include "bot/store_health.hpp"

#include <spdlog/spdlog.h>

namespace opsbot {

StoreHealth::StoreHealth(std::function<void()> probe, Metrics& metrics)
    : probe_(std::move(probe)), metrics_(metrics) {}

std::optional<std::string> StoreHealth::problem() {
    std::unique_lock lock(mutex_);
    const auto now = Steady::now();
    if (probed_at_ != Steady::time_point{} && now - probed_at_ < kProbeEvery) return problem_;
    probed_at_ = now;
    try {
        probe_();
        if (problem_) spdlog::info("store: answering again");
        problem_.reset();
        metrics_.set(metric::kStoreUp, 1);
    } catch (const std::exception& e) {
        if (!problem_) spdlog::error("store: not answering ({}); /healthz reports 503", e.what());
        lock.unlock();
        failed("healthz", e);
        lock.lock();
    }
    return problem_;
}

void StoreHealth::failed(std::string_view where, const std::exception& error) {
    metrics_.increment(metric::kStoreErrors, {{"where", std::string(where)}});
    metrics_.set(metric::kStoreUp, 0);
    std::lock_guard lock(mutex_);
    problem_ = error.what();
}

}  // namespace opsbot
