#include "persistence/connection_pool.hpp"

#include <algorithm>

namespace opsbot::db {
namespace {

constexpr auto kFirstDelay = std::chrono::milliseconds(200);
constexpr auto kLongestDelay = std::chrono::milliseconds(5000);
// A borrower waits this long for a busy pool before its request fails.
constexpr auto kBorrowWait = std::chrono::seconds(10);

}  // namespace

ConnectionPool::ConnectionPool(Backend backend, Connect connect, std::size_t size)
    : backend_(backend),
      connect_(std::move(connect)),
      size_(std::max<std::size_t>(size, 1)),
      delay_(kFirstDelay) {}

ConnectionPool::~ConnectionPool() = default;

Connections::Lease ConnectionPool::lend(std::unique_ptr<Database> db) {
    lent_.push_back(std::move(db));
    return Lease(*this, *lent_.back());
}

Connections::Lease ConnectionPool::borrow() {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + kBorrowWait;
    for (;;) {
        while (!idle_.empty()) {
            auto db = std::move(idle_.back());
            idle_.pop_back();
            ++opening_;  // still counted while it is checked outside the lock
            lock.unlock();
            const bool usable = db->usable();
            if (!usable) db.reset();  // closed outside the lock
            lock.lock();
            --opening_;
            if (usable) return lend(std::move(db));
        }
        if (idle_.size() + lent_.size() + opening_ < size_) {
            ++opening_;
            lock.unlock();
            std::unique_ptr<Database> db;
            try {
                db = connect();
            } catch (...) {
                lock.lock();
                --opening_;
                returned_.notify_one();
                throw;
            }
            lock.lock();
            --opening_;
            return lend(std::move(db));
        }
        if (returned_.wait_until(lock, deadline) == std::cv_status::timeout)
            throw DatabaseError("all " + std::to_string(size_) +
                                    " database connections stayed busy for 10 s: the database "
                                    "server is slow or a transaction is stuck",
                                DatabaseProblem::locked);
    }
}

std::unique_ptr<Database> ConnectionPool::connect() {
    {
        const std::lock_guard lock(mutex_);
        if (std::chrono::steady_clock::now() < retry_at_)
            throw DatabaseError(last_error_, last_problem_);
    }
    try {
        auto db = connect_();
        const std::lock_guard lock(mutex_);
        delay_ = kFirstDelay;
        retry_at_ = {};
        return db;
    } catch (const DatabaseError& e) {
        ++connect_failures_;
        const std::lock_guard lock(mutex_);
        retry_at_ = std::chrono::steady_clock::now() + delay_;
        delay_ = std::min(delay_ * 2, kLongestDelay);
        last_error_ = e.what();
        last_problem_ = e.problem();
        throw;
    }
}

void ConnectionPool::give_back(Database& db) noexcept {
    const std::lock_guard lock(mutex_);
    const auto found = std::find_if(lent_.begin(), lent_.end(),
                                    [&](const auto& lent) { return lent.get() == &db; });
    if (found == lent_.end()) return;
    idle_.push_back(std::move(*found));
    lent_.erase(found);
    returned_.notify_one();
}

}  // namespace opsbot::db
