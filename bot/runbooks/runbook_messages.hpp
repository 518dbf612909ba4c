#pragma once
// What a runbook run looks like in its thread: the header (who started it,
// who is on call, the parameters), one message per step with its buttons,
// the step once decided, and the summary with the timeline. Block Kit, with
// the same words as the plain-text fallback that the console prints.

#include "core/runbooks.hpp"

namespace opsbot::runbooks {

// Button action ids; the value is "<run id> <step number>".
inline constexpr const char* kActionPrefix = "opsbot_runbook_";

Reply render_header(const RunRecord& run);
// The step waiting for the on-call person, with Done / Run / Skip / Abort.
Reply render_step(const RunRecord& run, int step, TimePoint now);
// A decided step: no buttons, who did it and how long it took.
Reply render_step_closed(const RunRecord& run, int step, TimePoint now);
Reply render_summary(const RunRecord& run, TimePoint now);

// "runbook done 12 3" from a button press's action id and value.
std::string button_command(const std::string& action_id, const std::string& value);

}  // namespace opsbot::runbooks
