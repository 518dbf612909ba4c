#pragma once
// What the dispatcher checks from a command's declaration besides its own
// permission: flags that need a permission of their own or a second person
// (FlagSpec), and freeze windows (FreezePolicy). Pure: the dispatcher
// decides when to ask, audit and reply.

#include <optional>
#include <string>
#include <vector>

#include "core/command.hpp"
#include "core/freeze.hpp"
#include "core/permissions.hpp"

namespace opsbot {

// The flags given to this request whose use needs more than the command's
// permission (FlagSpec::permission or second_person).
std::vector<const FlagSpec*> guarded_flags_given(const CommandSpec& spec, const ParsedArgs& args);
bool flags_need_second_person(const CommandSpec& spec, const ParsedArgs& args);
// The denial of the first guarded flag `actor` may not use; lead starts it
// ("You cannot confirm this: ").
std::optional<Error> flag_denial(const Permissions& permissions, const Actor& actor,
                                 const CommandSpec& spec, const ParsedArgs& args,
                                 const std::string& lead = "");
// "freeze-override on acme/prod" for each guarded flag's permission, for
// "Needs someone allowed to …".
std::vector<std::string> flag_permissions_text(const CommandSpec& spec, const ParsedArgs& args);

// The freeze window in force over the request's prod, when its command has
// a freeze policy; none for dry runs and other environments.
std::optional<FreezePeriod> freeze_over(const CommandSpec& spec, const ParsedArgs& args,
                                        const Catalogue& catalogue, TimePoint now);
bool overrides_freeze(const CommandSpec& spec, const ParsedArgs& args);
// --override-freeze outside prod, where no window holds, as a usage error.
std::optional<Error> misplaced_freeze_override(const CommandSpec& spec, const ParsedArgs& args);
// The refusal of a frozen request that is not overridden; command_text: the
// request as typed.
std::optional<Error> freeze_refusal(const CommandSpec& spec, const ParsedArgs& args,
                                    const Catalogue& catalogue, TimePoint now,
                                    const std::string& command_text);
// A dry run's reply line about the window it would run into; "" when none.
std::string freeze_dry_run_note(const CommandSpec& spec, const ParsedArgs& args,
                                const Catalogue& catalogue, TimePoint now);
// The note of an override for the audit rows ("freeze override: …"); "" when
// the request overrides nothing.
std::string freeze_override_audit(const CommandSpec& spec, const ParsedArgs& args,
                                  const Catalogue& catalogue, TimePoint now);
// Shows the window being overridden and the reason in a confirmation plan,
// and binds the approval to that window.
void add_freeze_override(ConfirmationPlan& plan, const CommandSpec& spec, const ParsedArgs& args,
                         const Catalogue& catalogue, TimePoint now);

}  // namespace opsbot
