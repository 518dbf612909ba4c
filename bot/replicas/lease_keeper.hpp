#pragma once
// Keeps this replica's leases (core/leases.hpp) on a thread of its own:
//  - its own lease, "replica:<id>", renewed while it lives: the others take
//    over its unfinished work once it lapses;
//  - the singleton work's leases, "work:<name>": taken when free, renewed
//    while held; the work starts when its lease is gained and stops when it
//    is lost, before another replica can take it (the holder counts its
//    lease from when it asked, with a margin, on the steady clock);
//  - the leases of dead replicas, taken one at a time to hand their work to
//    the on_dead_replica callback, then removed.
// The callbacks run on the keeper's thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/leases.hpp"

namespace opsbot {

struct LeaseKeeperOptions {
    std::chrono::milliseconds ttl{6'000};
    // How often free leases and dead replicas are looked for.
    std::chrono::milliseconds tick{1'000};
};

class LeaseKeeper {
public:
    using Gained = std::function<void(const LeaseGrant&)>;
    using Lost = std::function<void()>;

    LeaseKeeper(LeaseStore& store, LeaseHolder self, LeaseKeeperOptions options = {});
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    // Before start(). Work that runs on one replica at a time, named
    // "deploys", "alerts", …: gained runs when this replica takes the lease
    // "work:<name>", lost when it no longer holds it (and at stop()).
    void singleton(const std::string& work, Gained gained, Lost lost);
    // Before start(). Takes over a dead replica's unfinished work, while this
    // replica holds that replica's lease; the lease is removed afterwards.
    // Each call adds a callback (claims, runbook steps, …): all run, in order.
    void on_dead_replica(std::function<void(const std::string& replica)> take_over);
    // Before start(). This replica's own lease was taken by another (it
    // stalled past it): its work is someone else's now, and it must stop.
    void on_evicted(std::function<void()> evicted);

    // Takes this replica's own lease, waiting up to `wait` for a former
    // holder's to lapse. An error message when another live process holds
    // it: two processes with one OPSBOT_REPLICA_ID.
    std::optional<std::string> join(std::chrono::milliseconds wait);
    void start();
    // Stops the singleton work (its lost callbacks) and releases its leases,
    // so that the others take it over at once. This replica's own lease is
    // still renewed, until leave(): its envelopes are being finished.
    void stop();
    // Lets this replica's own lease lapse now: the others take over its
    // unfinished envelopes at once. After its last envelope was handled.
    void leave();

    bool held(const std::string& work) const;
    std::optional<LeaseGrant> grant(const std::string& work) const;
    const LeaseHolder& self() const { return self_; }
    // Every singleton by name, and whether this replica holds it.
    std::map<std::string, bool> held_work() const;

private:
    using Steady = std::chrono::steady_clock;
    struct Held {
        LeaseGrant grant;
        Steady::time_point valid_until;  // by this replica's reckoning
        Steady::time_point renew_at;
    };
    struct Work {
        Gained gained;
        Lost lost;
        std::optional<Held> lease;
    };

    void run();
    void tick();
    void keep_own(Steady::time_point now);
    void keep_work(const std::string& name, Work& work, Steady::time_point now);
    void take_over_dead();
    std::optional<LeaseGrant> try_acquire(const std::string& name);
    bool is_dead_predecessor(const std::string& holder) const;
    Held held_from(const LeaseGrant& grant, Steady::time_point asked) const;
    void lose(Work& work);

    LeaseStore& store_;
    const LeaseHolder self_;
    const LeaseKeeperOptions options_;
    std::vector<std::function<void(const std::string&)>> take_over_;
    std::function<void()> evicted_;

    std::mutex tick_;           // held by the thread over a tick, and by stop()
    mutable std::mutex mutex_;  // guards the leases' state below, never held over a call out
    std::optional<Held> own_;
    std::map<std::string, Work> work_;
    std::condition_variable wake_;
    bool stopping_ = false;  // the thread ends
    bool retired_ = false;   // the thread keeps only this replica's own lease
    std::thread thread_;
};

}  // namespace opsbot
