#pragma once
// Freeze windows: when prod releases are refused. Everyone's windows (the
// catalogue's top-level `freeze:`) and a project's own apply to its prod.
// Pure: the zones were loaded with the catalogue.
//
// A command opts in with CommandSpec::freeze (core/grammar.hpp); the
// dispatcher refuses it for prod while a window is in force, unless it is
// given `--override-freeze "<reason>"` (freeze_override_flag()), which needs
// the freeze-override permission and the approval of a second holder.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/grammar.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

inline constexpr const char* kFreezeOverrideFlag = "override-freeze";
inline constexpr const char* kFreezeOverridePermission = "freeze-override";

// `--override-freeze <reason>`, for the flags of a command with a freeze policy.
FlagSpec freeze_override_flag();

// One stretch of time a window covers: [starts, ends), in UTC.
struct FreezePeriod {
    FreezeWindow window;
    TimePoint starts;
    TimePoint ends;
};

// The windows over a project's prod: everyone's, then its own.
std::vector<const FreezeWindow*> freeze_windows_for(const Catalogue& catalogue,
                                                    const std::string& project);
// The period of window that holds `at`, if any.
std::optional<FreezePeriod> period_at(const FreezeWindow& window, TimePoint at);
// The first period of window that starts after `after`; none once a dated one is past.
std::optional<FreezePeriod> next_period(const FreezeWindow& window, TimePoint after);

// The window in force over project's prod at `now`; of several, the one
// that ends last (releases reopen then, unless another starts at once).
std::optional<FreezePeriod> freeze_in_force(const Catalogue& catalogue, const std::string& project,
                                            TimePoint now);
// Each window's next period after `now`, soonest first.
std::vector<FreezePeriod> upcoming_freezes(const Catalogue& catalogue, const std::string& project,
                                           TimePoint now);

// "everyone" or "acme"
std::string freeze_scope(const FreezeWindow& window);
// "Mon 2026-11-30 08:00 CET (07:00 UTC)"
std::string freeze_time_text(const FreezeWindow& window, TimePoint at);
// A span rounded up to the minute: "2h 10m", "3d 4h", "45m".
std::string format_span(std::chrono::seconds span);
// "freeze window 'Weekend' (everyone) is in force until Mon 2026-11-30
// 08:00 CET (07:00 UTC), in 2h 10m"
std::string describe_freeze(const FreezePeriod& period, TimePoint now);

// The refusal: "Cannot deploy acme prod: freeze window …"; the hint says how
// to override it (command_text: the request as typed).
Error frozen_error(const FreezePeriod& period, TimePoint now, const std::string& what,
                   const std::string& where, const std::string& command_text);

// What the audit log and the confirmation record of an override:
// "freeze override: Weekend (everyone, until 2026-11-30T07:00:00.000Z): hotfix"
std::string freeze_override_note(const std::optional<FreezePeriod>& period,
                                 const std::string& reason);

}  // namespace opsbot
