#pragma once
// Group commit: callers that arrive while one commit runs share the next, so
// a storm costs one transaction per group instead of one per item, and each
// caller still returns only once its own item is committed. A failed commit
// is rethrown, as it was thrown, to every caller of its group.

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace opsbot {

template <typename Item>
class GroupCommit {
public:
    // Writes the group in one transaction, or throws.
    using Commit = std::function<void(const std::vector<Item*>& group)>;
    explicit GroupCommit(Commit commit) : commit_(std::move(commit)) {}

    void submit(Item& item) {
        Waiting mine{&item};
        std::unique_lock lock(mutex_);
        waiting_.push_back(&mine);
        // Wait for a committer to take our item, or become the committer.
        done_.wait(lock, [&] { return mine.done || !committing_; });
        while (!mine.done) {
            committing_ = true;
            std::vector<Waiting*> group;
            group.swap(waiting_);
            lock.unlock();
            const auto failure = commit_group(group);
            lock.lock();
            for (auto* waiting : group) {
                waiting->done = true;
                waiting->failure = failure;
            }
            committing_ = false;
            done_.notify_all();
        }
        if (mine.failure) std::rethrow_exception(mine.failure);
    }

private:
    struct Waiting {
        Item* item;
        bool done = false;
        std::exception_ptr failure;
    };

    std::exception_ptr commit_group(const std::vector<Waiting*>& group) {
        std::vector<Item*> items;
        items.reserve(group.size());
        for (auto* waiting : group) items.push_back(waiting->item);
        try {
            commit_(items);
            return nullptr;
        } catch (...) {
            return std::current_exception();
        }
    }

    Commit commit_;
    std::mutex mutex_;
    std::condition_variable done_;
    std::vector<Waiting*> waiting_;
    bool committing_ = false;
};

}  // namespace opsbot
