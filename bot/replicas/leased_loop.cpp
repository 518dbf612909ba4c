#include "bot/replicas/leased_loop.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/write_fence.hpp"

namespace opsbot {

LeasedLoop::LeasedLoop(std::string name, std::chrono::milliseconds interval,
                       std::function<void()> pass)
    : LeasedLoop(
          std::move(name), interval,
          [pass = std::move(pass)] {
              pass();
              return Steady::time_point::max();
          },
          std::chrono::milliseconds{0}) {}

LeasedLoop::LeasedLoop(std::string name, std::chrono::milliseconds interval, TimedPass pass,
                       std::chrono::milliseconds gather)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)), gather_(gather) {}

LeasedLoop::~LeasedLoop() {
    stop();
}

void LeasedLoop::start(std::optional<LeaseGrant> grant) {
    std::unique_lock lock(mutex_);
    if (thread_.joinable() && !stopping_) return;
    if (thread_.joinable()) {  // halted, maybe still in its last pass
        lock.unlock();
        thread_.join();
        lock.lock();
    }
    stopping_ = false;
    thread_ = std::thread([this, grant] { run(grant); });
}

void LeasedLoop::halt() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
}

void LeasedLoop::stop() {
    halt();
    if (thread_.joinable()) thread_.join();
}

void LeasedLoop::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

bool LeasedLoop::halted() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void LeasedLoop::run(std::optional<LeaseGrant> grant) {
    std::optional<WriteFence> fence;
    if (grant) fence.emplace(*grant);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        woken_ = false;
        lock.unlock();
        auto next = Steady::time_point::max();
        try {
            next = pass_();
        } catch (const std::exception& e) {
            spdlog::error("{}: {}", name_, e.what());
        }
        lock.lock();
        wake_.wait_until(lock, std::min(next, Steady::now() + interval_),
                         [this] { return stopping_ || woken_; });
        if (woken_ && gather_.count() > 0)
            wake_.wait_for(lock, gather_, [this] { return stopping_; });
    }
}

}  // namespace opsbot
