#pragma once
// The lease under which the current thread's writes happen. Singleton work
// (the deploy follower, the alert relay, …) runs inside a WriteFence for its
// lease's grant; the stores then check, inside each write transaction, that
// the grant still holds the lease, and refuse the write when another replica
// took it over. That check is what the epoch is for: a replica that stalled
// past its lease (a long pause, a partition) cannot finish a write that its
// successor already made.

#include <optional>

#include "core/leases.hpp"

namespace opsbot {

class WriteFence {
public:
    explicit WriteFence(const LeaseGrant& grant);
    ~WriteFence();
    WriteFence(const WriteFence&) = delete;
    WriteFence& operator=(const WriteFence&) = delete;

    // The grant of the innermost fence on this thread, if any.
    static const LeaseGrant* current();

private:
    const LeaseGrant* outer_;
};

}  // namespace opsbot
