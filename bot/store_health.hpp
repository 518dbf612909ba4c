#pragma once
// Whether the store answers, for /healthz, and its failures, for /metrics.
//
// /healthz may be polled often (a load balancer, Docker): the store is
// probed at most once a second and the answer reused in between. A failure
// seen by any other operation (a webhook's write, the envelope journal's
// commit) also turns /healthz unhealthy until the next probe succeeds.

#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/metrics.hpp"

namespace opsbot {

class StoreHealth {
public:
    // probe throws while the store does not answer (db::Storage::probe).
    StoreHealth(std::function<void()> probe, Metrics& metrics);

    // Empty while the store answers; else what went wrong.
    std::optional<std::string> problem();
    // An operation on the store failed: counted by `where` ("webhook",
    // "envelope_journal", "healthz").
    void failed(std::string_view where, const std::exception& error);

private:
    using Steady = std::chrono::steady_clock;
    static constexpr auto kProbeEvery = std::chrono::seconds(1);

    std::function<void()> probe_;
    Metrics& metrics_;
    std::mutex mutex_;  // held over the probe: one at a time
    Steady::time_point probed_at_{};
    std::optional<std::string> problem_;
};

}  // namespace opsbot
