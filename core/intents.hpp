#pragma once
// The intent journal: an action command writes its intent, keyed by the
// Slack ids that identify one request (event_id, trigger_id, action_ts),
// before it touches anything outside opsbot, and its outcome after. A Slack
// redelivery, a duplicate event or a restart can then never run it twice;
// intents left without an outcome by a crash are reported at start-up, not
// re-run.

#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace opsbot {

struct Intent {
    std::string key;  // "slash:<trigger_id>", "event:<event_id>", "action:<trigger_id>:<action_ts>"
    std::string correlation_id;
    std::string command;
    std::string actor_id;
    std::string channel;
    std::string thread;
    TimePoint started;
    std::optional<TimePoint> finished;
    std::string outcome;  // empty while running
    std::string replica;  // the replica that started it (OPSBOT_REPLICA_ID)
};

class IntentJournal {
public:
    virtual ~IntentJournal() = default;
    // False when the key is already journaled: the request ran or runs.
    virtual bool begin(const Intent& intent) = 0;
    virtual void finish(const std::string& key, const std::string& outcome) = 0;
    virtual std::optional<Intent> find(const std::string& key) const = 0;
    // Intents with no outcome: opsbot stopped while they ran.
    virtual std::vector<Intent> unfinished() const = 0;
    // Ends the intents that `replica` left without an outcome (it stopped
    // while they ran: its previous process at start-up, or a dead replica
    // at takeover) as "interrupted" and returns them, each to one caller
    // only: two survivors never both report one. Those of a database from
    // before replicas count as this process's own.
    virtual std::vector<Intent> interrupt(const std::string& replica) = 0;
};

}  // namespace opsbot
