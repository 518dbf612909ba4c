#pragma once
// Connections to a server shared by every store (PostgreSQL): made when
// needed up to a size, lent for one transaction or read, checked when lent
// again, and dropped once the server closed them. While the server stays
// unreachable, new connections are tried with a backoff, so a restart costs
// a few failed requests rather than a storm of connection attempts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "persistence/database.hpp"

namespace opsbot::db {

class ConnectionPool final : public Connections {
public:
    using Connect = std::function<std::unique_ptr<Database>()>;
    ConnectionPool(Backend backend, Connect connect, std::size_t size);
    ~ConnectionPool() override;

    Lease borrow() override;
    Backend backend() const override { return backend_; }
    // Connection attempts that failed since start, for /metrics.
    std::uint64_t connect_failures() const { return connect_failures_; }

protected:
    void give_back(Database& db) noexcept override;

private:
    std::unique_ptr<Database> connect();
    Lease lend(std::unique_ptr<Database> db);  // mutex_ held

    const Backend backend_;
    const Connect connect_;
    const std::size_t size_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Database>> idle_;
    std::vector<std::unique_ptr<Database>> lent_;
    std::size_t opening_ = 0;
    std::chrono::steady_clock::time_point retry_at_{};
    std::chrono::milliseconds delay_;
    std::string last_error_;
    DatabaseProblem last_problem_ = DatabaseProblem::unreachable;
    std::atomic<std::uint64_t> connect_failures_{0};
};

}  // namespace opsbot::db
