#pragma once
// What deploys, releases and rollbacks say in Slack: the status message
// updated in place, the result in its thread (a finished prod release
// carries the Roll back button), and the reasons they leave behind. Pure
// functions of a DeployRecord; the service decides when to send them.

#include <chrono>
#include <string>

#include "core/command.hpp"
#include "core/deploys.hpp"

namespace opsbot::deploy {

// The Roll back button's action id; its value is the command it runs.
inline constexpr const char* kRollbackAction = "opsbot_rollback";

// "⏳ *acme prod* (`master`) — release #12 by Alice: pushed `abc1234` to
// master; waiting for Jenkins to start the build"
std::string status_text(const DeployRecord& d);

// The end, for the thread. note: what the service adds (the committer
// mention, the lock kept after a rollback). A succeeded prod release carries
// the Roll back button.
Reply result_reply(const DeployRecord& d, const std::string& note);

// "rollback acme prod <replaced commit>", or without the commit when it is unknown.
std::string rollback_command(const DeployRecord& release);
// The rollback lock's reason: "rolled back from abc1234 to def5678".
std::string rollback_lock_reason(const DeployRecord& rollback);
// Why the environment stays locked after a rollback, and how to unlock it.
std::string rollback_lock_note(const DeployRecord& rollback);
// A release whose push Jenkins never built: what to check.
std::string no_build_for_push(const DeployRecord& release, std::chrono::milliseconds waited,
                              const std::string& job_url);

}  // namespace opsbot::deploy
