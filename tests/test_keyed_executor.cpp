#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/keyed_executor.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

TEST_CASE("keyed executor: jobs of one key run in order, one at a time", "[executor]") {
    KeyedExecutor executor({.name = "test", .workers = 4});
    std::mutex mutex;
    std::vector<int> order;
    std::atomic<int> running{0};
    std::atomic<int> overlap{0};
    for (int i = 0; i < 200; ++i) {
        REQUIRE(executor.post("C1", [&, i] {
            if (++running > 1) ++overlap;
            {
                std::lock_guard lock(mutex);
                order.push_back(i);
            }
            --running;
        }));
    }
    REQUIRE(executor.drain(10s));
    CHECK(overlap == 0);
    REQUIRE(order.size() == 200);
    for (int i = 0; i < 200; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("keyed executor: a blocked key does not hold up another", "[executor]") {
    KeyedExecutor executor({.name = "test", .workers = 2});
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
    std::atomic<bool> other_ran{false};
    executor.post("slow", [&] {
        std::unique_lock lock(mutex);
        released_cv.wait(lock, [&] { return released; });
    });
    executor.post("fast", [&] { other_ran = true; });
    // The fast key finishes while the slow one is still blocked.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!other_ran && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    CHECK(other_ran);
    {
        std::lock_guard lock(mutex);
        released = true;
    }
    released_cv.notify_all();
    CHECK(executor.drain(10s));
}

TEST_CASE("keyed executor: a full queue refuses instead of blocking", "[executor]") {
    KeyedExecutor executor({.name = "test", .workers = 1, .capacity = 3});
    std::mutex mutex;
    std::condition_variable gate_cv;
    bool open = false;
    auto blocked = [&] {
        std::unique_lock lock(mutex);
        gate_cv.wait(lock, [&] { return open; });
    };
    CHECK(executor.post("a", blocked));
    CHECK(executor.post("a", [] {}));
    CHECK(executor.post("b", [] {}));
    CHECK_FALSE(executor.post("c", [] {}));
    CHECK(executor.depth() == 3);
    {
        std::lock_guard lock(mutex);
        open = true;
    }
    gate_cv.notify_all();
    CHECK(executor.drain(10s));
    CHECK(executor.depth() == 0);
    CHECK(executor.post("c", [] {}));
}

TEST_CASE("keyed executor: a throwing job ends only itself", "[executor]") {
    KeyedExecutor executor({.name = "test", .workers = 1});
    std::atomic<int> after{0};
    executor.post("k", [] { throw std::runtime_error("boom"); });
    executor.post("k", [&] { ++after; });
    CHECK(executor.drain(10s));
    CHECK(after == 1);
}

TEST_CASE("keyed executor: paced jobs keep to the rate per key after the burst", "[executor]") {
    // 20 per second with a burst of 2: 6 jobs need at least (6 - 2) / 20 s.
    KeyedExecutor executor(
        {.name = "test", .workers = 2, .paced_per_second = 20.0, .paced_burst = 2});
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> times;
    std::atomic<int> unpaced{0};
    for (int i = 0; i < 6; ++i)
        executor.post(
            "C1",
            [&] {
                std::lock_guard lock(mutex);
                times.push_back(std::chrono::steady_clock::now());
            },
            true);
    executor.post("C2", [&] { ++unpaced; });
    REQUIRE(executor.drain(10s));
    REQUIRE(times.size() == 6);
    CHECK(times.back() - times.front() >= 190ms);
    CHECK(unpaced == 1);
}
