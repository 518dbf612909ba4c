#include "bot/replicas/lease_keeper.hpp"

#include <signal.h>

#include <cerrno>

#include <spdlog/spdlog.h>

namespace opsbot {
namespace {

constexpr const char* kReplicaPrefix = "replica:";
constexpr const char* kWorkPrefix = "work:";

}  // namespace

LeaseKeeper::LeaseKeeper(LeaseStore& store, LeaseHolder self, LeaseKeeperOptions options)
    : store_(store), self_(std::move(self)), options_(options) {}

LeaseKeeper::~LeaseKeeper() {
    leave();
}

void LeaseKeeper::singleton(const std::string& work, Gained gained, Lost lost) {
    std::lock_guard lock(mutex_);
    work_[work] = Work{std::move(gained), std::move(lost), std::nullopt};
}

void LeaseKeeper::on_dead_replica(std::function<void(const std::string&)> take_over) {
    take_over_.push_back(std::move(take_over));
}

void LeaseKeeper::on_evicted(std::function<void()> evicted) {
    evicted_ = std::move(evicted);
}

// Renewed a third of the way into the lease; valid, by our reckoning, until
// a sixth of it before the database would free it: the margin covers a
// write under way when the work is told to stop.
LeaseKeeper::Held LeaseKeeper::held_from(const LeaseGrant& grant, Steady::time_point asked) const {
    return {grant, asked + options_.ttl - options_.ttl / 6, asked + options_.ttl / 3};
}

// A holder is our dead predecessor when it ran as this replica on this host
// and its process is gone (or has our pid: the container restarted).
bool LeaseKeeper::is_dead_predecessor(const std::string& holder) const {
    const auto other = LeaseHolder::parse(holder);
    if (!other || other->replica != self_.replica || other->host != self_.host) return false;
    if (other->nonce == self_.nonce) return false;
    if (other->pid == self_.pid) return true;
    return kill(static_cast<pid_t>(other->pid), 0) != 0 && errno == ESRCH;
}

std::optional<LeaseGrant> LeaseKeeper::try_acquire(const std::string& name) {
    auto attempt = store_.acquire(name, self_.text(), options_.ttl);
    if (!attempt.grant && is_dead_predecessor(attempt.held_by)) {
        spdlog::info(
            "leases: {} was held by this replica's previous process, which is gone; "
            "taking it now",
            name);
        attempt = store_.acquire(name, self_.text(), options_.ttl, attempt.held_by);
    }
    return attempt.grant;
}

std::optional<std::string> LeaseKeeper::join(std::chrono::milliseconds wait) {
    const std::string name = kReplicaPrefix + self_.replica;
    const auto deadline = Steady::now() + wait;
    std::string held_by;
    for (;;) {
        const auto asked = Steady::now();
        if (const auto grant = try_acquire(name)) {
            std::lock_guard lock(mutex_);
            own_ = held_from(*grant, asked);
            spdlog::info("leases: joined as replica {} (epoch {})", self_.replica, grant->epoch);
            return std::nullopt;
        }
        if (Steady::now() >= deadline) break;
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(options_.tick, wait));
    }
    for (const auto& row : store_.list(name))
        if (row.name == name) held_by = row.holder;
    const auto other = LeaseHolder::parse(held_by);
    return "another opsbot runs as replica " + self_.replica +
           (other ? " (on " + other->host + ", pid " + std::to_string(other->pid) + ")" : "") +
           ": give each replica its own OPSBOT_REPLICA_ID";
}

void LeaseKeeper::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void LeaseKeeper::run() {
    for (;;) {
        try {
            std::lock_guard ticking(tick_);
            tick();
        } catch (const std::exception& e) {
            spdlog::warn("leases: {}; trying again in {} ms", e.what(), options_.tick.count());
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, options_.tick, [this] { return stopping_; })) return;
    }
}

void LeaseKeeper::tick() {
    keep_own(Steady::now());
    std::vector<std::string> names;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || retired_ || !own_) return;
        for (const auto& [name, work] : work_) names.push_back(name);
    }
    for (const auto& name : names) {
        Work* work = nullptr;
        {
            std::lock_guard lock(mutex_);
            work = &work_.at(name);
        }
        try {
            keep_work(name, *work, Steady::now());
        } catch (const std::exception& e) {
            spdlog::warn("leases: work:{}: {}", name, e.what());
        }
    }
    take_over_dead();
}

void LeaseKeeper::keep_own(Steady::time_point now) {
    std::optional<Held> own;
    {
        std::lock_guard lock(mutex_);
        own = own_;
    }
    if (!own || now < own->renew_at) return;
    if (store_.renew(own->grant, options_.ttl)) {
        std::lock_guard lock(mutex_);
        own_ = held_from(own->grant, now);
        return;
    }
    spdlog::error(
        "leases: this replica's lease {} was taken over by another replica (this one stalled "
        "past it); its unfinished work is theirs now, so this process stops",
        own->grant.name);
    {
        std::lock_guard lock(mutex_);
        own_.reset();
    }
    for (auto& [name, work] : work_) lose(work);
    if (evicted_) evicted_();
}

void LeaseKeeper::keep_work(const std::string& name, Work& work, Steady::time_point now) {
    std::optional<Held> lease;
    {
        std::lock_guard lock(mutex_);
        lease = work.lease;
    }
    if (lease) {
        if (now < lease->renew_at) return;
        bool renewed = false;
        try {
            renewed = store_.renew(lease->grant, options_.ttl);
        } catch (...) {
            // The store does not answer: the work stops when, by our
            // reckoning, the lease may have lapsed.
            if (now >= lease->valid_until) lose(work);
            throw;
        }
        if (renewed) {
            std::lock_guard lock(mutex_);
            work.lease = held_from(lease->grant, now);
            return;
        }
        spdlog::warn("leases: lost {} (epoch {}) to another replica", lease->grant.name,
                     lease->grant.epoch);
        lose(work);
        return;
    }
    const auto grant = try_acquire(kWorkPrefix + name);
    if (!grant) return;
    {
        std::lock_guard lock(mutex_);
        work.lease = held_from(*grant, now);
    }
    spdlog::info("leases: this replica runs {} now (epoch {})", grant->name, grant->epoch);
    if (work.gained) work.gained(*grant);
}

void LeaseKeeper::lose(Work& work) {
    {
        std::lock_guard lock(mutex_);
        if (!work.lease) return;
        work.lease.reset();
    }
    if (work.lost) work.lost();
}

void LeaseKeeper::take_over_dead() {
    if (take_over_.empty()) return;
    const std::string own = kReplicaPrefix + self_.replica;
    for (const auto& row : store_.list(kReplicaPrefix)) {
        if (row.name == own || row.left.count() > 0) continue;
        const auto grant = store_.acquire(row.name, self_.text(), options_.ttl);
        if (!grant.grant) continue;  // another replica is taking it over
        const std::string replica = row.name.substr(std::string(kReplicaPrefix).size());
        spdlog::warn(
            "leases: replica {} stopped renewing its lease {} ms ago; taking over its "
            "unfinished work",
            replica, -row.left.count());
        for (const auto& take_over : take_over_) take_over(replica);
        store_.remove(*grant.grant);
    }
}

// The thread may be in a callback for a singleton: it is let finish
// (retired_ is read under the lock before each), then the work is stopped.
void LeaseKeeper::stop() {
    {
        std::lock_guard lock(mutex_);
        retired_ = true;
    }
    std::lock_guard ticking(tick_);
    for (auto& [name, work] : work_) {
        std::optional<LeaseGrant> grant;
        {
            std::lock_guard lock(mutex_);
            if (work.lease) grant = work.lease->grant;
        }
        lose(work);
        if (grant) {
            try {
                store_.release(*grant);
            } catch (const std::exception& e) {
                spdlog::warn("leases: could not release {}: {}", grant->name, e.what());
            }
        }
    }
}

void LeaseKeeper::leave() {
    stop();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::optional<Held> own;
    {
        std::lock_guard lock(mutex_);
        own.swap(own_);
    }
    if (!own) return;
    try {
        store_.release(own->grant);
    } catch (const std::exception& e) {
        spdlog::warn("leases: could not release {}: {}", own->grant.name, e.what());
    }
}

bool LeaseKeeper::held(const std::string& work) const {
    std::lock_guard lock(mutex_);
    const auto it = work_.find(work);
    return it != work_.end() && it->second.lease && Steady::now() < it->second.lease->valid_until;
}

std::optional<LeaseGrant> LeaseKeeper::grant(const std::string& work) const {
    std::lock_guard lock(mutex_);
    const auto it = work_.find(work);
    if (it == work_.end() || !it->second.lease || Steady::now() >= it->second.lease->valid_until)
        return std::nullopt;
    return it->second.lease->grant;
}

std::map<std::string, bool> LeaseKeeper::held_work() const {
    std::map<std::string, bool> held;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, work] : work_) held[name] = false;
    }
    for (auto& [name, value] : held) value = this->held(name);
    return held;
}

}  // namespace opsbot
