#pragma once
// One path for every command, whatever the front end: parse → permission →
// (confirm) → run → reply + audit. Slack, the console and tests all come in
// through Dispatcher::handle.

#include <string>

#include "core/audit.hpp"
#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/intents.hpp"
#include "core/time.hpp"

namespace opsbot {

struct CommandRequest {
    std::string text;  // "deploy acme stage", the mention or slash name removed
    Actor actor;
    std::string channel;
    std::string thread;
    std::string correlation_id;  // empty: a new one is made
    // The Slack ids of this request ("event:Ev123"): an action with a key
    // already in the intent journal is not run again.
    std::string idempotency_key;
};

struct DispatchResult {
    Reply reply;
    Outcome outcome = Outcome::succeeded;
    std::string correlation_id;
};

class Dispatcher {
public:
    Dispatcher(const CommandRegistry& registry, const Catalogue& catalogue, AuditStore& audit,
               const Clock& clock, IntentJournal* intents = nullptr);

    // Never throws: a failing command ends as a failed reply and audit row.
    // Replies are redacted unless they deliberately carry a secret link.
    DispatchResult handle(const CommandRequest& request);

private:
    struct Prepared;
    DispatchResult dispatch(const CommandRequest& request);
    Result<Prepared> prepare(const CommandRequest& request) const;
    DispatchResult refuse(const CommandRequest& request, const std::string& correlation_id,
                          Outcome outcome, const Error& error, const std::string& args_json);
    DispatchResult execute(const CommandRequest& request, const std::string& correlation_id,
                           const Prepared& prepared);
    DispatchResult run_command(const CommandRequest& request, const std::string& correlation_id,
                               const Prepared& prepared, AuditEntry entry);
    std::optional<DispatchResult> refuse_duplicate(const CommandRequest& request,
                                                   const std::string& correlation_id,
                                                   const Prepared& prepared);
    AuditEntry audit_entry(const CommandRequest& request, const std::string& correlation_id) const;

    const CommandRegistry& registry_;
    const Catalogue& catalogue_;
    AuditStore& audit_;
    const Clock& clock_;
    IntentJournal* intents_;
};

}  // namespace opsbot
