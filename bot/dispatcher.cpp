#include "bot/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "bot/dispatcher_policies.hpp"
#include "core/ids.hpp"
#include "core/locks.hpp"
#include "core/permissions.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot {

namespace {

bool needs_confirmation(const CommandSpec& spec, const ParsedArgs& args) {
    if (args.dry_run) return false;
    if (flags_need_second_person(spec, args)) return true;
    if (spec.confirm == ConfirmPolicy::always) return true;
    return spec.confirm == ConfirmPolicy::prod_only && args.env() == Env::prod;
}

// The refusal of a command whose project and environment are held (see
// LockPolicy), or nothing.
std::optional<Error> refused_by_lock(const CommandSpec& spec, const ParsedArgs& args,
                                     const Actor& actor, const LockStore* locks, TimePoint now) {
    const auto env = args.env();
    if (spec.lock == LockPolicy::ignore || args.dry_run || !locks || !env) return std::nullopt;
    const auto held = locks->find(args.project(), *env, now);
    if (!held) return std::nullopt;
    if (spec.lock == LockPolicy::refuse_others && held->owner_id == actor.user_id)
        return std::nullopt;
    return locked_error(*held, now, spec.name);
}

std::string command_name_of(const std::vector<std::string>& tokens) {
    return tokens.empty() ? std::string{} : to_lower(tokens.front());
}

}  // namespace

Dispatcher::Dispatcher(const CommandRegistry& registry, const CatalogueSource& catalogue,
                       AuditStore& audit, const Clock& clock, IntentJournal* intents)
    : registry_(registry), catalogue_(catalogue), audit_(audit), clock_(clock), intents_(intents) {
    services_.confirmations = this;
}

void Dispatcher::enable_confirmations(ConfirmationStore& store, std::chrono::seconds ttl) {
    confirmations_ = &store;
    confirmation_ttl_ = ttl;
}

void Dispatcher::set_services(const Services& services) {
    services_ = services;
    services_.confirmations = this;
}

AuditEntry Dispatcher::audit_entry(const CommandRequest& request,
                                   const std::string& correlation_id) const {
    AuditEntry entry;
    entry.correlation_id = correlation_id;
    entry.actor_id = request.actor.user_id;
    entry.actor_name = request.actor.name;
    entry.source = request.actor.source;
    entry.channel = request.channel;
    entry.thread = request.thread;
    entry.command = request.text;
    entry.args_json = "{}";
    return entry;
}

Result<Dispatcher::Prepared> Dispatcher::prepare(const std::string& text) const {
    auto tokens = tokenize(text);
    if (!tokens) return tokens.error();
    if (tokens.value().empty()) tokens = std::vector<std::string>{"help"};
    const auto match = registry_.find(tokens.value());
    if (!match.command) {
        const std::string name = command_name_of(tokens.value());
        const auto hint = did_you_mean(name, registry_.names());
        return Error{"unknown_command",
                     "unknown command '" + name + "'" + (hint.empty() ? "" : " — " + hint),
                     "type `help` to list the commands"};
    }
    const std::vector<std::string> rest(tokens.value().begin() + static_cast<long>(match.words),
                                        tokens.value().end());
    auto catalogue = catalogue_.current();
    auto args = parse_args(match.command->spec(), rest, *catalogue);
    if (!args) return args.error();
    auto permissions = std::make_shared<const Permissions>(*catalogue);
    return Prepared{match.command, std::move(args).value(), std::move(catalogue),
                    std::move(permissions)};
}

Result<std::string> Dispatcher::preview(const std::string& text, const Actor& actor) const {
    auto prepared = prepare(text);
    if (!prepared) return prepared.error();
    const auto& spec = prepared.value().command->spec();
    const auto& args = prepared.value().args;
    const AccessRequest access{spec.permission, args.project(), args.env()};
    const auto decision = prepared.value().permissions->check(actor, access);
    if (!decision.allowed)
        return Error{"denied", Permissions::explain_denial(access, decision), ""};
    if (!needs_confirmation(spec, args)) return std::string{};
    const CommandRequest request{.text = text, .actor = actor};
    CommandContext context = context_for(request, new_correlation_id(), prepared.value(), "");
    auto plan = confirmation_plan(context, prepared.value());
    if (!plan) return plan.error();
    return redact(plan.value().text);
}

DispatchResult Dispatcher::handle(const CommandRequest& request) {
    DispatchResult result = dispatch(request);
    if (result.reply.carries_secret) {
        result.reply.visibility = Visibility::ephemeral;
    } else {
        result.reply.text = redact(result.reply.text);
        result.reply.blocks_json = redact(result.reply.blocks_json);
    }
    return result;
}

DispatchResult Dispatcher::dispatch(const CommandRequest& request) {
    const std::string id =
        request.correlation_id.empty() ? new_correlation_id() : request.correlation_id;
    try {
        auto prepared = prepare(request.text);
        if (!prepared) return refuse(request, id, Outcome::parse_error, prepared.error(), "{}");
        const auto& spec = prepared.value().command->spec();
        const auto& args = prepared.value().args;

        if (auto refused = refuse_by_policy(request, id, prepared.value())) return *refused;
        if (needs_confirmation(spec, args)) {
            // A lock in the way now is no reason to make a second person look.
            if (auto locked =
                    refused_by_lock(spec, args, request.actor, services_.locks, clock_.now()))
                return refuse(request, id, Outcome::failed, *locked, args.to_json());
            if (confirmations_) return ask_confirmation(request, id, prepared.value());
            return refuse(request, id, Outcome::denied,
                          Error{"needs_confirmation",
                                "`" + spec.name +
                                    "` needs a confirmation that this front end "
                                    "cannot ask for; use --dry-run to see the plan",
                                ""},
                          args.to_json());
        }
        return execute(request, id, prepared.value());
    } catch (const std::exception& e) {
        spdlog::error("command failed corr={} error={}", id, e.what());
        AuditEntry entry = audit_entry(request, id);
        entry.outcome = Outcome::failed;
        entry.error = e.what();
        try {
            audit_.append(std::move(entry));
        } catch (const std::exception& again) {
            // The store itself failed (down or restarting): the person still
            // gets an answer, and the log keeps what the audit could not.
            spdlog::error("command failed corr={}, and so did its audit row: {}", id, again.what());
        }
        return DispatchResult{{"Something went wrong inside opsbot; nothing more was done. "
                               "Correlation id `" +
                                   id + "` finds it in the log and audit.",
                               Visibility::ephemeral,
                               {}},
                              Outcome::failed,
                              id};
    }
}

// What the command's declaration refuses before anything is asked or run:
// the permission, the flags that need more, a freeze window in force.
std::optional<DispatchResult> Dispatcher::refuse_by_policy(const CommandRequest& request,
                                                           const std::string& id,
                                                           const Prepared& prepared) {
    const auto& spec = prepared.command->spec();
    const auto& args = prepared.args;
    const AccessRequest access{spec.permission, args.project(), args.env()};
    const auto decision = prepared.permissions->check(request.actor, access);
    if (!decision.allowed)
        return refuse(request, id, Outcome::denied,
                      Error{"denied", Permissions::explain_denial(access, decision), ""},
                      args.to_json());
    if (auto misplaced = misplaced_freeze_override(spec, args))
        return refuse(request, id, Outcome::parse_error, *misplaced, args.to_json());
    if (auto denied = flag_denial(*prepared.permissions, request.actor, spec, args))
        return refuse(request, id, Outcome::denied, *denied, args.to_json());
    if (auto frozen = freeze_refusal(spec, args, *prepared.catalogue, clock_.now(), request.text))
        return refuse(request, id, Outcome::denied, *frozen, args.to_json());
    return std::nullopt;
}

DispatchResult Dispatcher::refuse(const CommandRequest& request, const std::string& correlation_id,
                                  Outcome outcome, const Error& error,
                                  const std::string& args_json) {
    AuditEntry entry = audit_entry(request, correlation_id);
    entry.outcome = outcome;
    entry.args_json = args_json;
    entry.error = error.message;
    audit_.append(std::move(entry));
    spdlog::info("command {} corr={} actor={} code={}", to_string(outcome), correlation_id,
                 request.actor.user_id, error.code);
    return DispatchResult{{user_text(error), Visibility::ephemeral, {}}, outcome, correlation_id};
}

// Journals an action's intent; a request already journaled is answered and
// audited as a duplicate instead of running again.
std::optional<DispatchResult> Dispatcher::refuse_duplicate(const CommandRequest& request,
                                                           const std::string& correlation_id,
                                                           const Prepared& prepared) {
    const auto& key = request.idempotency_key;
    if (!intents_ || key.empty() || !prepared.command->spec().action) return std::nullopt;
    const Intent intent{.key = key,
                        .correlation_id = correlation_id,
                        .command = request.text,
                        .actor_id = request.actor.user_id,
                        .channel = request.channel,
                        .thread = request.thread,
                        .started = clock_.now()};
    if (intents_->begin(intent)) return std::nullopt;
    const auto earlier = intents_->find(key);
    AuditEntry entry = audit_entry(request, correlation_id);
    entry.args_json = prepared.args.to_json();
    entry.outcome = Outcome::duplicate;
    entry.external_ref = key;
    audit_.append(std::move(entry));
    std::string text = "Already handled: `" + request.text + "` was received before";
    if (earlier)
        text += " (" + format_iso8601(earlier->started) + ", " +
                (earlier->outcome.empty() ? "still running" : earlier->outcome) + ")";
    text += "; it is not run again.";
    return DispatchResult{{text, Visibility::ephemeral, {}}, Outcome::duplicate, correlation_id};
}

DispatchResult Dispatcher::execute(const CommandRequest& request, const std::string& correlation_id,
                                   const Prepared& prepared, const std::string& approved_by) {
    if (auto duplicate = refuse_duplicate(request, correlation_id, prepared)) return *duplicate;
    AuditEntry entry = audit_entry(request, correlation_id);
    entry.args_json = prepared.args.to_json();
    entry.project = prepared.args.project();
    if (const auto env = prepared.args.env()) entry.environment = to_string(*env);
    entry.error = freeze_override_audit(prepared.command->spec(), prepared.args,
                                        *prepared.catalogue, clock_.now());
    // Actions leave a row before they touch anything, so a crash mid-way is visible.
    if (prepared.command->spec().action) {
        entry.outcome = Outcome::accepted;
        audit_.append(entry);
    }
    const bool journaled =
        intents_ && !request.idempotency_key.empty() && prepared.command->spec().action;
    try {
        DispatchResult result =
            run_command(request, correlation_id, prepared, std::move(entry), approved_by);
        if (journaled) intents_->finish(request.idempotency_key, to_string(result.outcome));
        return result;
    } catch (...) {
        if (journaled) intents_->finish(request.idempotency_key, to_string(Outcome::failed));
        throw;
    }
}

CommandContext Dispatcher::context_for(const CommandRequest& request,
                                       const std::string& correlation_id, const Prepared& prepared,
                                       const std::string& approved_by) const {
    return CommandContext{.actor = request.actor,
                          .catalogue = *prepared.catalogue,
                          .permissions = *prepared.permissions,
                          .audit = audit_,
                          .clock = clock_,
                          .registry = registry_,
                          .correlation_id = correlation_id,
                          .dry_run = prepared.args.dry_run,
                          .channel = request.channel,
                          .thread = request.thread,
                          .services = services_,
                          .approved_by = approved_by,
                          .approved_digest = request.approved_digest};
}

DispatchResult Dispatcher::run_command(const CommandRequest& request,
                                       const std::string& correlation_id, const Prepared& prepared,
                                       AuditEntry entry, const std::string& approved_by) {
    const auto& spec = prepared.command->spec();
    CommandContext context = context_for(request, correlation_id, prepared, approved_by);
    const auto started = clock_.now();
    auto refused =
        refused_by_lock(spec, prepared.args, request.actor, services_.locks, clock_.now());
    // A freeze window may have begun while the confirmation waited.
    if (!refused)
        refused =
            freeze_refusal(spec, prepared.args, *prepared.catalogue, clock_.now(), request.text);
    CommandResult result =
        refused ? CommandResult::failure(*refused) : prepared.command->run(context, prepared.args);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - started);
    if (const auto note =
            freeze_dry_run_note(spec, prepared.args, *prepared.catalogue, clock_.now());
        !note.empty())
        result.reply.text += "\n" + note;

    const std::string override_note = std::move(entry.error);
    entry.outcome = result.outcome;
    entry.external_ref = result.external_ref;
    entry.error = override_note.empty()  ? result.error
                  : result.error.empty() ? override_note
                                         : result.error + "; " + override_note;
    entry.duration_ms = elapsed.count();
    audit_.append(std::move(entry));
    spdlog::info("command {} corr={} actor={} name={} took={}ms", to_string(result.outcome),
                 correlation_id, request.actor.user_id, spec.name, elapsed.count());
    return DispatchResult{std::move(result.reply), result.outcome, correlation_id};
}

}  // namespace opsbot
