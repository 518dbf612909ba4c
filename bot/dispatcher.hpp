#pragma once
// One path for every command, whatever the front end: parse → permission →
// (confirm) → run → reply + audit. Slack, the console and tests all come in
// through Dispatcher::handle; button presses and `confirm <id>` through
// Dispatcher::decide.

#include <chrono>
#include <string>

#include "core/audit.hpp"
#include "core/catalogue_source.hpp"
#include "core/command.hpp"
#include "core/confirmations.hpp"
#include "core/intents.hpp"
#include "core/permissions.hpp"
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
    std::string approved_digest;  // set when a confirmation is approved
};

struct DispatchResult {
    Reply reply;
    Outcome outcome = Outcome::succeeded;
    std::string correlation_id;
};

// The Block Kit action ids of the confirmation buttons.
inline constexpr const char* kConfirmAction = "opsbot_confirm";
inline constexpr const char* kCancelAction = "opsbot_cancel";

class Dispatcher final : public ConfirmationDecider {
public:
    Dispatcher(const CommandRegistry& registry, const CatalogueSource& catalogue, AuditStore& audit,
               const Clock& clock, IntentJournal* intents = nullptr);

    // Without it, commands that need a confirmation are refused.
    void enable_confirmations(ConfirmationStore& store, std::chrono::seconds ttl);
    void set_services(const Services& services);

    // Never throws: a failing command ends as a failed reply and audit row.
    // Replies are redacted unless they deliberately carry a secret link.
    DispatchResult handle(const CommandRequest& request);
    DecisionResult decide(const ConfirmationDecision& decision) override;
    // The "confirmations" singleton's sweep: pending confirmations past their
    // expiry become expired, audited once. They keep no message to update; a
    // press on one still answers that it expired. Returns how many.
    std::size_t expire_confirmations();
    // What the confirmation of text would show the actor (a prod deploy's
    // commits going out), without asking for it, running or auditing
    // anything: "" when the command needs no confirmation; an error when it
    // does not parse or the actor may not run it. For forms, before submission.
    Result<std::string> preview(const std::string& text, const Actor& actor) const;
    const CommandRegistry& registry() const { return registry_; }

private:
    // What one request runs against: the catalogue as it was when it came in.
    struct Prepared {
        const Command* command = nullptr;
        ParsedArgs args;
        std::shared_ptr<const Catalogue> catalogue;
        std::shared_ptr<const Permissions> permissions;
    };
    DispatchResult dispatch(const CommandRequest& request);
    Result<Prepared> prepare(const std::string& text) const;
    DispatchResult refuse(const CommandRequest& request, const std::string& correlation_id,
                          Outcome outcome, const Error& error, const std::string& args_json);
    std::optional<DispatchResult> refuse_by_policy(const CommandRequest& request,
                                                   const std::string& id, const Prepared& prepared);
    // The command's plan, with what the request's flags add to it.
    Result<ConfirmationPlan> confirmation_plan(CommandContext& context,
                                               const Prepared& prepared) const;
    DispatchResult ask_confirmation(const CommandRequest& request,
                                    const std::string& correlation_id, const Prepared& prepared);
    DispatchResult execute(const CommandRequest& request, const std::string& correlation_id,
                           const Prepared& prepared, const std::string& approved_by = "");
    DispatchResult run_command(const CommandRequest& request, const std::string& correlation_id,
                               const Prepared& prepared, AuditEntry entry,
                               const std::string& approved_by);
    std::optional<DispatchResult> refuse_duplicate(const CommandRequest& request,
                                                   const std::string& correlation_id,
                                                   const Prepared& prepared);
    AuditEntry audit_entry(const CommandRequest& request, const std::string& correlation_id) const;
    CommandContext context_for(const CommandRequest& request, const std::string& correlation_id,
                               const Prepared& prepared, const std::string& approved_by) const;

    DecisionResult decide_pending(const Confirmation& confirmation,
                                  const ConfirmationDecision& decision);
    DecisionResult approve(const Confirmation& confirmation, const ConfirmationDecision& decision);
    std::optional<DecisionResult> refuse_approver(const Confirmation& confirmation,
                                                  const Actor& approver, const Prepared& prepared);
    void audit_decision(const Confirmation& confirmation, const Actor& actor, Outcome outcome,
                        const std::string& error);

    const CommandRegistry& registry_;
    const CatalogueSource& catalogue_;
    AuditStore& audit_;
    const Clock& clock_;
    IntentJournal* intents_;
    ConfirmationStore* confirmations_ = nullptr;
    std::chrono::seconds confirmation_ttl_{600};
    Services services_;
};

}  // namespace opsbot
