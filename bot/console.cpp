#include "bot/console.hpp"

#include <istream>
#include <ostream>

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
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::string_view rest = text.substr(i);
        const bool entity =
            starts_with(rest, "<@") || starts_with(rest, "<!subteam^") || starts_with(rest, "<#");
        const auto close = rest.find('>');
        if (!entity || close == std::string_view::npos) {
            out += text[i];
            continue;
        }
        std::string_view inner = rest.substr(1, close - 1);
        const bool channel = inner.front() == '#';
        inner.remove_prefix(starts_with(inner, "!subteam^") ? 9 : 1);
        if (const auto bar = inner.find('|'); bar != std::string_view::npos)
            inner = inner.substr(bar + 1);
        out += (channel ? "#" : "@") + std::string(inner);
        i += close;
    }
    return out;
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
