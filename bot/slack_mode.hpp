#pragma once
// Slack mode: the Socket Mode connection, the Web API, the HTTP intake and
// the command core, wired together and run until a signal or a fatal error.

#include <iosfwd>

#include "bot/app.hpp"

namespace opsbot {

// Returns the process exit code: 0 after SIGINT/SIGTERM, 1 when Slack refused
// a token or disabled the link, 2 when the intake cannot listen.
int run_slack_mode(App& app, std::ostream& err);

}  // namespace opsbot
