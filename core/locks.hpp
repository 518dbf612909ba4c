#pragma once
// Locks on a project's environment: a person's manual lock ("db migration,
// hands off"), the lock a running deploy holds, or a runbook's. One lock per
// environment; a locked environment refuses deploys and purges and names the
// holder.

#include <optional>
#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

// rollback: held after a rollback, so that the next release does not
// silently undo it; released by hand.
enum class LockKind { manual, deploy, runbook, rollback };
const char* to_string(LockKind kind);
std::optional<LockKind> parse_lock_kind(std::string_view text);

struct Lock {
    std::string project;
    Env env = Env::stage;
    LockKind kind = LockKind::manual;
    std::string owner_id;  // Slack user id, or the runbook run / deploy id for automated holders
    std::string owner_name;
    std::string reason;
    TimePoint acquired;
    std::optional<TimePoint> expires;  // none: until released
    std::string ref;                   // the deploy's build link, the runbook run id...
};

class LockStore {
public:
    virtual ~LockStore() = default;
    // Takes the lock and answers nothing, or answers the lock that is in the
    // way (an expired lock is not in the way: it is replaced).
    virtual std::optional<Lock> acquire(const Lock& wanted, TimePoint now) = 0;
    // The same, in one step, over a live lock of kind `from` too: a running
    // deploy's lock becomes its rollback's hold with no moment unlocked.
    virtual std::optional<Lock> take_over(const Lock& wanted, LockKind from, TimePoint now) = 0;
    // Releases the environment's lock if it is of this kind and owner (empty
    // owner: any); false when there was none to release.
    virtual bool release(const std::string& project, Env env, LockKind kind,
                         const std::string& owner_id) = 0;
    virtual void set_ref(const std::string& project, Env env, const std::string& ref) = 0;
    // The live lock, expired ones left out.
    virtual std::optional<Lock> find(const std::string& project, Env env, TimePoint now) const = 0;
    virtual std::vector<Lock> all(TimePoint now) const = 0;
};

// "locked by Alice (deploy) since 12:04 UTC, 3m ago — release 1.4; expires in 57m"
std::string describe_lock(const Lock& lock, TimePoint now);
// The error a command answers when a lock is in its way.
Error locked_error(const Lock& lock, TimePoint now, const std::string& what);

}  // namespace opsbot
