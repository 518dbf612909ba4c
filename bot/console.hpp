#pragma once
// Console mode: commands from a terminal or a pipe, replies on stdout. The
// same dispatcher as Slack, acting as a local user.

#include <iosfwd>
#include <string>

#include "bot/dispatcher.hpp"

namespace opsbot {

// Accepts what people paste from Slack too: "/deploy acme stage",
// "/ops deploy acme stage", "@opsbot deploy acme stage".
std::string strip_invocation(std::string_view line);

// A reply as plain text for a terminal: links, mentions, emphasis, code and
// fences without Slack's markup (mrkdwn_to_plain). Slack gets mrkdwn.
std::string render_for_terminal(std::string_view text);

// Returns 0 when every command succeeded, 1 when any was refused or failed.
int run_console(Dispatcher& dispatcher, const Actor& actor, std::istream& in, std::ostream& out,
                bool interactive);

}  // namespace opsbot
