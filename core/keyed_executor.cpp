#include "core/keyed_executor.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

namespace opsbot {

using SteadyClock = std::chrono::steady_clock;

struct KeyedExecutor::Impl {
    struct Job {
        std::function<void()> run;
        bool paced = false;
    };
    // A key is "scheduled" from the moment it has work until its queue is
    // empty: in the ready list, waiting for a pacing token, or running.
    struct KeyState {
        std::deque<Job> jobs;
        bool scheduled = false;
        double tokens = 0;
        SteadyClock::time_point refilled;
    };

    KeyedExecutorOptions options;
    mutable std::mutex mutex;
    std::condition_variable work_ready;
    std::condition_variable all_done;
    std::unordered_map<std::string, KeyState> keys;
    std::deque<std::string> ready;
    std::multimap<SteadyClock::time_point, std::string> waiting_for_tokens;
    std::size_t pending = 0;  // queued and running
    bool stopping = false;
    std::vector<std::thread> workers;

    explicit Impl(KeyedExecutorOptions o) : options(std::move(o)) {}

    void refill(KeyState& state, SteadyClock::time_point now) const {
        const double elapsed = std::chrono::duration<double>(now - state.refilled).count();
        state.tokens = std::min<double>(options.paced_burst,
                                        state.tokens + elapsed * options.paced_per_second);
        state.refilled = now;
    }

    void release_due_keys(SteadyClock::time_point now) {
        while (!waiting_for_tokens.empty() && waiting_for_tokens.begin()->first <= now) {
            ready.push_back(std::move(waiting_for_tokens.begin()->second));
            waiting_for_tokens.erase(waiting_for_tokens.begin());
        }
    }

    // Takes the next runnable job, or nothing when stopping.
    std::optional<std::pair<std::string, Job>> take(std::unique_lock<std::mutex>& lock) {
        for (;;) {
            if (stopping) return std::nullopt;
            const auto now = SteadyClock::now();
            release_due_keys(now);
            if (ready.empty()) {
                if (waiting_for_tokens.empty())
                    work_ready.wait(lock);
                else {
                    // A copy: another worker may erase the node while we wait.
                    const auto next_due = waiting_for_tokens.begin()->first;
                    work_ready.wait_until(lock, next_due);
                }
                continue;
            }
            std::string key = std::move(ready.front());
            ready.pop_front();
            KeyState& state = keys[key];
            if (state.jobs.front().paced) {
                refill(state, now);
                if (state.tokens < 1.0) {
                    const auto wait = std::chrono::duration<double>((1.0 - state.tokens) /
                                                                    options.paced_per_second);
                    waiting_for_tokens.emplace(
                        now + std::chrono::duration_cast<SteadyClock::duration>(wait),
                        std::move(key));
                    continue;
                }
                state.tokens -= 1.0;
            }
            Job job = std::move(state.jobs.front());
            state.jobs.pop_front();
            return std::make_pair(std::move(key), std::move(job));
        }
    }

    void finish(const std::string& key) {
        KeyState& state = keys[key];
        if (!state.jobs.empty()) {
            ready.push_back(key);
            work_ready.notify_one();
        } else {
            state.scheduled = false;
            // Forget idle keys once their bucket is full again, so one-off
            // keys (a response_url) do not pile up.
            refill(state, SteadyClock::now());
            if (state.tokens >= options.paced_burst) keys.erase(key);
        }
        if (--pending == 0) all_done.notify_all();
    }

    void work() {
        // Named, so that `top -H` and profilers show which pool is busy.
        pthread_setname_np(pthread_self(), options.name.substr(0, 15).c_str());
        if (options.nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options.nice);
        std::unique_lock lock(mutex);
        while (auto next = take(lock)) {
            lock.unlock();
            try {
                next->second.run();
            } catch (const std::exception& e) {
                spdlog::error("{}: a job for '{}' failed: {}", options.name, next->first, e.what());
            }
            lock.lock();
            finish(next->first);
        }
    }
};

KeyedExecutor::KeyedExecutor(KeyedExecutorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
    for (int i = 0; i < std::max(1, impl_->options.workers); ++i)
        impl_->workers.emplace_back([impl = impl_.get()] { impl->work(); });
}

KeyedExecutor::~KeyedExecutor() {
    stop();
}

bool KeyedExecutor::post(const std::string& key, std::function<void()> job, bool paced) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->pending >= impl_->options.capacity) return false;
    auto [it, inserted] = impl_->keys.try_emplace(key);
    auto& state = it->second;
    if (inserted) {
        state.tokens = impl_->options.paced_burst;
        state.refilled = SteadyClock::now();
    }
    state.jobs.push_back({std::move(job), paced});
    ++impl_->pending;
    if (!state.scheduled) {
        state.scheduled = true;
        impl_->ready.push_back(key);
        impl_->work_ready.notify_one();
    }
    return true;
}

std::size_t KeyedExecutor::depth() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->pending;
}

bool KeyedExecutor::drain(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    return impl_->all_done.wait_for(lock, timeout, [this] { return impl_->pending == 0; });
}

void KeyedExecutor::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) return;
        impl_->stopping = true;
    }
    impl_->work_ready.notify_all();
    for (auto& worker : impl_->workers) worker.join();
}

}  // namespace opsbot
