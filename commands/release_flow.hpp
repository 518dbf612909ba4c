#pragma once
// The release by promotion, shared by `release <project>` and, for projects
// that release that way, `deploy <project> prod`: the plan a second person
// confirms, and the run that merges and pushes exactly what was shown.

#include "core/command.hpp"
#include "core/releases.hpp"

namespace opsbot::commands {

// The project when it releases by promotion, else null.
const Project* promoted_project(const CommandContext& context, const std::string& slug, Env env);

Result<ConfirmationPlan> plan_release(CommandContext& context, const Project& project);
CommandResult run_release(CommandContext& context, const Project& project);

// "• `abc1234` Fix the login form — Alice", one per commit, and "… and N
// more (M in all)" past the list.
std::string commit_lines(const CommitList& list);

}  // namespace opsbot::commands
