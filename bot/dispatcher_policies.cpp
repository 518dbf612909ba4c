#include "bot/dispatcher_policies.hpp"

#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot {
namespace {

AccessRequest access_for(const FlagSpec& flag, const ParsedArgs& args) {
    return AccessRequest{flag.permission, args.project(), args.env()};
}

}  // namespace

std::vector<const FlagSpec*> guarded_flags_given(const CommandSpec& spec, const ParsedArgs& args) {
    std::vector<const FlagSpec*> given;
    for (const auto& flag : spec.flags)
        if (args.flag(flag.name) && (!flag.permission.empty() || flag.second_person))
            given.push_back(&flag);
    return given;
}

bool flags_need_second_person(const CommandSpec& spec, const ParsedArgs& args) {
    for (const FlagSpec* flag : guarded_flags_given(spec, args))
        if (flag->second_person) return true;
    return false;
}

std::optional<Error> flag_denial(const Permissions& permissions, const Actor& actor,
                                 const CommandSpec& spec, const ParsedArgs& args,
                                 const std::string& lead) {
    for (const FlagSpec* flag : guarded_flags_given(spec, args)) {
        if (flag->permission.empty()) continue;
        const auto access = access_for(*flag, args);
        const auto decision = permissions.check(actor, access);
        if (!decision.allowed)
            return Error{
                "denied",
                lead + "`--" + flag->name + "`: " + Permissions::explain_denial(access, decision),
                ""};
    }
    return std::nullopt;
}

std::vector<std::string> flag_permissions_text(const CommandSpec& spec, const ParsedArgs& args) {
    std::vector<std::string> texts;
    for (const FlagSpec* flag : guarded_flags_given(spec, args))
        if (!flag->permission.empty())
            texts.push_back(Permissions::describe(access_for(*flag, args)));
    return texts;
}

std::optional<FreezePeriod> freeze_over(const CommandSpec& spec, const ParsedArgs& args,
                                        const Catalogue& catalogue, TimePoint now) {
    if (spec.freeze == FreezePolicy::ignore || args.env() != Env::prod) return std::nullopt;
    return freeze_in_force(catalogue, args.project(), now);
}

bool overrides_freeze(const CommandSpec& spec, const ParsedArgs& args) {
    return spec.freeze != FreezePolicy::ignore && args.flag(kFreezeOverrideFlag);
}

std::optional<Error> misplaced_freeze_override(const CommandSpec& spec, const ParsedArgs& args) {
    if (!overrides_freeze(spec, args) || args.env() == Env::prod) return std::nullopt;
    return Error{"bad_flag",
                 "--" + std::string(kFreezeOverrideFlag) +
                     " is for prod: freeze windows never hold " +
                     (args.env() ? to_string(*args.env()) : "other environments"),
                 "leave it out"};
}

std::optional<Error> freeze_refusal(const CommandSpec& spec, const ParsedArgs& args,
                                    const Catalogue& catalogue, TimePoint now,
                                    const std::string& command_text) {
    if (args.dry_run || overrides_freeze(spec, args)) return std::nullopt;
    const auto period = freeze_over(spec, args, catalogue, now);
    if (!period) return std::nullopt;
    return frozen_error(*period, now, spec.name, args.project() + " prod", command_text);
}

std::string freeze_dry_run_note(const CommandSpec& spec, const ParsedArgs& args,
                                const Catalogue& catalogue, TimePoint now) {
    if (!args.dry_run) return {};
    const auto period = freeze_over(spec, args, catalogue, now);
    if (!period) return {};
    return "❄️ Note: " + describe_freeze(*period, now) +
           "; without --dry-run this is refused " + "unless overridden with `--" +
           kFreezeOverrideFlag + " \"<reason>\"`.";
}

std::string freeze_override_audit(const CommandSpec& spec, const ParsedArgs& args,
                                  const Catalogue& catalogue, TimePoint now) {
    if (args.dry_run || !overrides_freeze(spec, args)) return {};
    return freeze_override_note(freeze_over(spec, args, catalogue, now),
                                args.flag_value(kFreezeOverrideFlag));
}

void add_freeze_override(ConfirmationPlan& plan, const CommandSpec& spec, const ParsedArgs& args,
                         const Catalogue& catalogue, TimePoint now) {
    if (args.dry_run || !overrides_freeze(spec, args)) return;
    const auto period = freeze_over(spec, args, catalogue, now);
    const std::string reason = escape_mrkdwn(args.flag_value(kFreezeOverrideFlag));
    if (period)
        plan.text += "\n❄️ *Overrides the freeze*: " + describe_freeze(*period, now) +
                     ".\n• reason: " + reason;
    else
        plan.text +=
            "\n❄️ Asks to override the freeze, but no freeze window is in force now.\n"
            "• reason: " +
            reason;
    // Approving binds to the window shown: another one in force by then voids it.
    const std::string bound =
        period ? period->window.name + "@" + format_iso8601(period->starts) : "no window";
    plan.digest = sha256_hex(plan.digest + "\nfreeze override: " + bound);
}

}  // namespace opsbot
