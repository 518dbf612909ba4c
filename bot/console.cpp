#include "bot/console.hpp"

#include <istream>
#include <ostream>

#include "core/mrkdwn.hpp"
#include "core/text.hpp"

namespace opsbot {

std::string strip_invocation(std::string_view line) {
    std::string text = trim(line);
    for (const std::string_view prefix : {"/ops ", "@opsbot ", "/"}) {
        if (starts_with(text, prefix)) {
            text = trim(std::string_view(text).substr(prefix.size()));
            break;
        }
    }
    return text;
}

std::string render_for_terminal(std::string_view text) {
    return mrkdwn_to_plain(text);
}

int run_console(Dispatcher& dispatcher, const Actor& actor, std::istream& in, std::ostream& out,
                bool interactive) {
    if (interactive)
        out << "opsbot console — you are " << actor.name << ". Type `help`, or `quit` to leave.\n";
    int status = 0;
    std::string line;
    while (true) {
        if (interactive) out << "opsbot> " << std::flush;
        if (!std::getline(in, line)) break;
        const std::string text = strip_invocation(line);
        if (text.empty() || text.front() == '#') continue;
        if (text == "quit" || text == "exit") break;
        const auto result = dispatcher.handle(CommandRequest{text, actor, "console", "", ""});
        out << render_for_terminal(result.reply.text) << "\n" << std::flush;
        // A command parked for a confirmation is not a failure.
        if (result.outcome != Outcome::succeeded && result.outcome != Outcome::accepted) status = 1;
    }
    if (interactive) out << "\n";
    return status;
}

}  // namespace opsbot
