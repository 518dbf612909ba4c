// core/group_commit.hpp: callers that arrive during a commit share the next
// one, each returns only once its own item is committed, and a failure
// reaches every caller of its group as it was thrown.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/group_commit.hpp"

using namespace opsbot;

namespace {

struct Item {
    int value = 0;
    bool committed = false;
};

}  // namespace

TEST_CASE("group commit: concurrent callers share commits, each sees its item committed") {
    std::mutex mutex;
    std::set<int> stored;
    int commits = 0;
    GroupCommit<Item> writes([&](const std::vector<Item*>& group) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a commit's fsync
        const std::lock_guard lock(mutex);
        ++commits;
        for (auto* item : group) {
            stored.insert(item->value);
            item->committed = true;
        }
    });
    constexpr int kCallers = 16, kEach = 20;
    std::atomic<int> returned_uncommitted{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < kCallers; ++t)
        callers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                Item item{t * kEach + i};
                writes.submit(item);
                if (!item.committed) ++returned_uncommitted;
            }
        });
    for (auto& caller : callers) caller.join();
    CHECK(returned_uncommitted == 0);
    CHECK(stored.size() == kCallers * kEach);
    CHECK(commits < kCallers * kEach / 2);  // shared, not one per item
}

TEST_CASE("group commit: a failed commit is rethrown, as thrown, and the next one works") {
    bool fail = true;
    GroupCommit<Item> writes([&](const std::vector<Item*>& group) {
        if (fail) throw std::out_of_range("disk full");
        for (auto* item : group) item->committed = true;
    });
    Item first{1};
    CHECK_THROWS_AS(writes.submit(first), std::out_of_range);
    CHECK_FALSE(first.committed);
    fail = false;
    Item second{2};
    writes.submit(second);
    CHECK(second.committed);
}
