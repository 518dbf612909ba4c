// The confirmation half of the dispatcher: parking a command with the plan it
// will run, and deciding on it when someone presses a button.

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bot/dispatcher.hpp"
#include "bot/dispatcher_policies.hpp"
#include "core/digest.hpp"
#include "core/ids.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot {

namespace {

// A project released by promotion always has its prod changes seen by a
// second person: the manual's release is a four-eyes release.
bool second_person_required(const Catalogue& catalogue, const std::string& project,
                            const std::string& environment) {
    const Project* p = catalogue.find_project(project);
    return p && environment == "prod" &&
           (p->prod_requires_second_person || p->release == ReleaseMode::promote);
}

std::string who_may_confirm(const CommandSpec& spec, const ParsedArgs& args, bool second_person,
                            const std::string& requester) {
    std::vector<std::string> needed = flag_permissions_text(spec, args);
    if (!spec.permission.empty())
        needed.insert(needed.begin(),
                      Permissions::describe({spec.permission, args.project(), args.env()}));
    std::string text =
        needed.empty() ? "Anyone may confirm" : "Needs someone allowed to " + join(needed, " and ");
    if (second_person) text += (needed.empty() ? " but <@" : ", other than <@") + requester + ">";
    return text + ".";
}

std::string confirmation_blocks(const std::string& text, const std::string& id,
                                const std::string& confirm_label) {
    using nlohmann::json;
    const json buttons = json::array({{{"type", "button"},
                                       {"action_id", kConfirmAction},
                                       {"style", "primary"},
                                       {"text", {{"type", "plain_text"}, {"text", confirm_label}}},
                                       {"value", id}},
                                      {{"type", "button"},
                                       {"action_id", kCancelAction},
                                       {"text", {{"type", "plain_text"}, {"text", "Cancel"}}},
                                       {"value", id}}});
    const json blocks =
        json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}},
                     {{"type", "actions"}, {"block_id", "confirm:" + id}, {"elements", buttons}}});
    return blocks.dump();
}

CommandResult answer(Outcome outcome, std::string text, std::string error = "") {
    CommandResult result;
    result.outcome = outcome;
    result.reply = Reply{std::move(text), Visibility::ephemeral, {}};
    result.error = std::move(error);
    return result;
}

CommandRequest request_of(const Confirmation& c) {
    CommandRequest request;
    request.text = c.command;
    request.actor.user_id = c.requester_id;
    request.actor.name = c.requester_name;
    request.actor.usergroups = c.requester_groups;
    request.actor.source = c.source;
    request.channel = c.channel;
    request.thread = c.thread;
    request.correlation_id = c.correlation_id;
    request.idempotency_key = "confirm:" + c.id;
    return request;
}

}  // namespace

DispatchResult Dispatcher::ask_confirmation(const CommandRequest& request,
                                            const std::string& correlation_id,
                                            const Prepared& prepared) {
    const auto& spec = prepared.command->spec();
    const auto& args = prepared.args;
    CommandContext context = context_for(request, correlation_id, prepared, "");
    const auto plan = confirmation_plan(context, prepared);
    if (!plan)
        return refuse(request, correlation_id, Outcome::failed, plan.error(), args.to_json());

    Confirmation c;
    c.id = new_correlation_id().substr(0, 8);
    c.correlation_id = correlation_id;
    c.command = request.text;
    c.requester_id = request.actor.user_id;
    c.requester_name = request.actor.name;
    c.requester_groups = request.actor.usergroups;
    c.source = request.actor.source;
    c.channel = request.channel;
    c.thread = request.thread;
    c.project = args.project();
    c.environment = args.env() ? to_string(*args.env()) : "";
    c.digest = plan.value().digest;
    c.created = clock_.now();
    c.expires = c.created + confirmation_ttl_;
    confirmations_->create(c);

    AuditEntry entry = audit_entry(request, correlation_id);
    entry.args_json = args.to_json();
    entry.project = c.project;
    entry.environment = c.environment;
    entry.outcome = Outcome::accepted;
    entry.external_ref = "confirmation " + c.id;
    entry.error = freeze_override_audit(spec, args, *prepared.catalogue, c.created);
    audit_.append(std::move(entry));

    const bool second_person =
        second_person_required(*prepared.catalogue, c.project, c.environment) ||
        flags_need_second_person(spec, args);
    const std::string text =
        plan.value().text + "\n" + who_may_confirm(spec, args, second_person, c.requester_id) +
        " Expires in " +
        format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(confirmation_ttl_)) +
        ".\nPress *" + plan.value().confirm_label + "* or *Cancel*, or type `confirm " + c.id +
        "` / `cancel " + c.id + "`.";
    Reply reply{text, Visibility::in_channel,
                confirmation_blocks(text, c.id, plan.value().confirm_label)};
    return DispatchResult{reply, Outcome::accepted, correlation_id};
}

void Dispatcher::audit_decision(const Confirmation& c, const Actor& actor, Outcome outcome,
                                const std::string& error) {
    AuditEntry entry;
    entry.correlation_id = c.correlation_id;
    entry.actor_id = actor.user_id;
    entry.actor_name = actor.name;
    entry.source = actor.source;
    entry.channel = c.channel;
    entry.thread = c.thread;
    entry.command = c.command;
    entry.project = c.project;
    entry.environment = c.environment;
    entry.outcome = outcome;
    entry.external_ref = "confirmation " + c.id;
    entry.error = error;
    audit_.append(std::move(entry));
}

namespace {
constexpr const char* kSweeper = "opsbot";
}  // namespace

std::size_t Dispatcher::expire_confirmations() {
    if (!confirmations_) return 0;
    Actor sweep;
    sweep.user_id = kSweeper;
    sweep.name = kSweeper;
    sweep.source = Source::system;
    const auto now = clock_.now();
    std::size_t expired = 0;
    for (const auto& c : confirmations_->expired(now, 100)) {
        if (!confirmations_->decide(c.id, ConfirmationState::expired, sweep.user_id, now)) continue;
        audit_decision(c, sweep, Outcome::expired, "expired unanswered");
        ++expired;
    }
    return expired;
}

DecisionResult Dispatcher::decide(const ConfirmationDecision& decision) {
    try {
        if (!confirmations_)
            return {answer(Outcome::failed, "Confirmations are not enabled here."), false};
        const auto found = confirmations_->find(decision.id);
        if (!found)
            return {answer(Outcome::failed, "There is no confirmation `" + decision.id +
                                                "`; check the id, or run the command again."),
                    false};
        DecisionResult result = decide_pending(*found, decision);
        result.result.reply.text = redact(result.result.reply.text);
        return result;
    } catch (const std::exception& e) {
        spdlog::error("confirmation {} failed: {}", decision.id, e.what());
        return {answer(Outcome::failed, "Something went wrong inside opsbot while deciding `" +
                                            decision.id + "`; see the log."),
                false};
    }
}

DecisionResult Dispatcher::decide_pending(const Confirmation& c,
                                          const ConfirmationDecision& decision) {
    const auto now = clock_.now();
    // Expired by expire_confirmations(), unseen: answered as a late press.
    const bool swept = c.state == ConfirmationState::expired && c.decided_by == kSweeper;
    if (c.state != ConfirmationState::pending && !swept) {
        const std::string by = c.decided_by.empty() ? "" : " by <@" + c.decided_by + ">";
        return {answer(Outcome::duplicate, "`" + c.command + "` was already " + to_string(c.state) +
                                               by + "; nothing more to do."),
                false};
    }
    if (swept || now > c.expires) {
        if (!swept &&
            confirmations_->decide(c.id, ConfirmationState::expired, decision.actor.user_id, now))
            audit_decision(c, decision.actor, Outcome::expired, "pressed after it expired");
        return {answer(Outcome::expired, "This confirmation for `" + c.command + "` expired at " +
                                             format_iso8601(c.expires) +
                                             "; nothing was run. Run the command again."),
                true};
    }
    if (decision.approve) return approve(c, decision);
    if (!confirmations_->decide(c.id, ConfirmationState::cancelled, decision.actor.user_id, now))
        return {answer(Outcome::duplicate, "Someone decided on this a moment ago."), false};
    audit_decision(c, decision.actor, Outcome::cancelled, "");
    auto result = answer(Outcome::cancelled,
                         "Cancelled by <@" + decision.actor.user_id + ">: `" + c.command + "`.");
    result.reply.visibility = Visibility::in_channel;
    return {result, true};
}

Result<ConfirmationPlan> Dispatcher::confirmation_plan(CommandContext& context,
                                                       const Prepared& prepared) const {
    auto plan = prepared.command->plan(context, prepared.args);
    if (plan) plan.value().command_digest = plan.value().digest;
    if (plan)
        add_freeze_override(plan.value(), prepared.command->spec(), prepared.args,
                            *prepared.catalogue, clock_.now());
    return plan;
}

// Who may not approve: someone without the command's permission, or a
// guarded flag's, or the requester when a second person is needed.
std::optional<DecisionResult> Dispatcher::refuse_approver(const Confirmation& c,
                                                          const Actor& approver,
                                                          const Prepared& prepared) {
    const auto& spec = prepared.command->spec();
    const AccessRequest access{spec.permission, c.project, parse_env(c.environment)};
    const auto allowed = prepared.permissions->check(approver, access);
    if (!allowed.allowed) {
        audit_decision(c, approver, Outcome::denied, "not allowed to confirm");
        return DecisionResult{
            answer(Outcome::denied,
                   "You cannot confirm this: " + Permissions::explain_denial(access, allowed)),
            false};
    }
    if (auto denied = flag_denial(*prepared.permissions, approver, spec, prepared.args,
                                  "You cannot confirm this: ")) {
        audit_decision(c, approver, Outcome::denied, "not allowed to confirm");
        return DecisionResult{answer(Outcome::denied, denied->message), false};
    }
    const bool flag_needs_second = flags_need_second_person(spec, prepared.args);
    if (approver.user_id != c.requester_id ||
        (!flag_needs_second &&
         !second_person_required(*prepared.catalogue, c.project, c.environment)))
        return std::nullopt;
    audit_decision(c, approver, Outcome::denied, "requester cannot approve");
    const std::string what =
        flag_needs_second ? "`" + c.command + "`" : "A prod deploy of " + c.project;
    return DecisionResult{
        answer(Outcome::denied,
               what + " needs a second person: someone other than you must confirm it."),
        false};
}

DecisionResult Dispatcher::approve(const Confirmation& c, const ConfirmationDecision& decision) {
    const auto now = clock_.now();
    CommandRequest request = request_of(c);
    const auto prepared = prepare(c.command);
    if (!prepared) {
        confirmations_->decide(c.id, ConfirmationState::superseded, decision.actor.user_id, now);
        audit_decision(c, decision.actor, Outcome::failed, prepared.error().message);
        return {answer(Outcome::failed, "`" + c.command + "` no longer parses (" +
                                            prepared.error().message + "); run it again."),
                true};
    }
    if (auto refused = refuse_approver(c, decision.actor, prepared.value())) return *refused;
    CommandContext context = context_for(request, c.correlation_id, prepared.value(), "");
    const auto plan = confirmation_plan(context, prepared.value());
    if (!plan) {
        // Not a changed plan: the plan could not be made (git host down).
        audit_decision(c, decision.actor, Outcome::failed, plan.error().code);
        return {answer(Outcome::failed, "Could not check the plan again before running it: " +
                                            user_text(plan.error()) +
                                            "\nNothing was run; the confirmation stays open."),
                false};
    }
    if (plan.value().digest != c.digest) {
        confirmations_->decide(c.id, ConfirmationState::superseded, decision.actor.user_id, now);
        audit_decision(c, decision.actor, Outcome::failed, "plan changed since it was shown");
        const auto fresh = ask_confirmation(request, c.correlation_id, prepared.value());
        CommandResult result;
        result.outcome = Outcome::failed;
        result.reply = fresh.reply;
        result.reply.text =
            "The plan changed since it was shown; that approval is void.\n" + fresh.reply.text;
        return {result, true};
    }
    if (!confirmations_->decide(c.id, ConfirmationState::approved, decision.actor.user_id, now))
        return {answer(Outcome::duplicate, "Someone decided on this a moment ago."), false};
    request.approved_digest = plan.value().command_digest;
    audit_decision(c, decision.actor, Outcome::confirmed,
                   freeze_override_audit(prepared.value().command->spec(), prepared.value().args,
                                         *prepared.value().catalogue, now));
    spdlog::info("confirmation {} approved by {} corr={}", c.id, decision.actor.user_id,
                 c.correlation_id);
    const auto ran = execute(request, c.correlation_id, prepared.value(), decision.actor.user_id);
    CommandResult result;
    result.outcome = ran.outcome;
    result.reply = ran.reply;
    result.reply.text = "Confirmed by <@" + decision.actor.user_id + ">.\n" + ran.reply.text;
    return {result, true};
}

}  // namespace opsbot
