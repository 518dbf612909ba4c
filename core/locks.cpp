#include "core/locks.hpp"

namespace opsbot {
namespace {

constexpr const char* kKindNames[] = {"manual", "deploy", "runbook", "rollback"};

}  // namespace

const char* to_string(LockKind kind) {
    return kKindNames[static_cast<int>(kind)];
}

std::optional<LockKind> parse_lock_kind(std::string_view text) {
    for (int i = 0; i < 4; ++i)
        if (text == kKindNames[i]) return static_cast<LockKind>(i);
    return std::nullopt;
}

std::string describe_lock(const Lock& lock, TimePoint now) {
    std::string holder = lock.owner_name.empty() ? lock.owner_id : lock.owner_name;
    if (!lock.owner_id.empty() && lock.owner_id[0] == 'U') holder = "<@" + lock.owner_id + ">";
    std::string text = "locked by " + holder + " (" + to_string(lock.kind) + ") since " +
                       format_iso8601(lock.acquired) + ", " + format_elapsed(lock.acquired, now) +
                       " ago";
    if (!lock.reason.empty()) text += " — " + lock.reason;
    if (!lock.ref.empty()) text += " (" + lock.ref + ")";
    if (lock.expires)
        text += "; expires in " +
                format_duration(
                    std::chrono::duration_cast<std::chrono::milliseconds>(*lock.expires - now));
    return text;
}

Error locked_error(const Lock& lock, TimePoint now, const std::string& what) {
    const std::string where = lock.project + " " + to_string(lock.env);
    std::string hint = lock.kind == LockKind::deploy
                           ? "wait for that deploy to finish, then try again"
                           : "ask the holder, or `unlock " + where + "` if you may";
    return Error{"locked", "Cannot " + what + " " + where + ": " + describe_lock(lock, now), hint};
}

}  // namespace opsbot
