#pragma once
// A command that needs a confirmation is parked here with the plan it showed;
// a button press (or `confirm <id>` typed) approves or cancels it. Approvals
// are bound to the plan's digest and expire.

#include <optional>
#include <string>
#include <vector>

#include "core/audit.hpp"
#include "core/time.hpp"

namespace opsbot {

enum class ConfirmationState { pending, approved, cancelled, expired, superseded };
const char* to_string(ConfirmationState state);
std::optional<ConfirmationState> parse_confirmation_state(std::string_view text);

struct Confirmation {
    std::string id;  // short, typed by hand in the console: "c7f3a1"
    std::string correlation_id;
    std::string command;  // the text as typed, re-parsed at approval
    std::string requester_id;
    std::string requester_name;
    std::vector<std::string> requester_groups;
    Source source = Source::slack;
    std::string channel;
    std::string thread;
    std::string project;
    std::string environment;
    std::string digest;  // of the plan shown
    TimePoint created;
    TimePoint expires;
    ConfirmationState state = ConfirmationState::pending;
    std::string decided_by;
    std::optional<TimePoint> decided;
};

class ConfirmationStore {
public:
    virtual ~ConfirmationStore() = default;
    virtual void create(const Confirmation& confirmation) = 0;
    virtual std::optional<Confirmation> find(const std::string& id) const = 0;
    // Moves a pending confirmation to state; false when it was no longer
    // pending, so two presses cannot both approve.
    virtual bool decide(const std::string& id, ConfirmationState state,
                        const std::string& decided_by, TimePoint when) = 0;
    // Pending confirmations whose expiry has passed, oldest first.
    virtual std::vector<Confirmation> expired(TimePoint now, int limit) const = 0;
};

}  // namespace opsbot
