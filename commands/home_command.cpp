// home: the asker's dashboard as text, what their Slack Home tab shows: for
// each project they hold a role on, what is live, locks and freezes, what
// runs, the open alerts, and the actions their roles allow.

#include "commands/builtin_commands.hpp"
#include "core/dashboard.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

// The console cannot open a Slack thread: it names the channel.
std::string channel_of(const std::string& channel, const std::string&) {
    return "thread in <#" + channel + ">";
}

std::string board_text(const ProjectBoard& board, TimePoint now) {
    const auto lines = describe_board(board, now, channel_of);
    std::string text = "• " + lines.front() + "\n";
    for (std::size_t i = 1; i < lines.size(); ++i) text += "    " + lines[i] + "\n";
    if (!board.actions.empty()) text += "    you may: " + describe_actions(board.actions) + "\n";
    return text;
}

class HomeCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        const auto now = context.clock.now();
        const auto dashboard =
            gather_dashboard(context.catalogue, context.services, context.actor, now);
        if (dashboard.projects.empty())
            return CommandResult::ok(
                "You hold no role on any project, so your dashboard is empty. An admin can add "
                "you under `members` in config/opsbot.yaml (`whoami` shows your roles).",
                Visibility::ephemeral);
        std::string text = "*Your projects* (" + std::to_string(dashboard.projects.size()) +
                           ", as of " + format_iso8601(now) + ")\n";
        for (const auto& board : dashboard.projects) text += board_text(board, now);
        return CommandResult::ok(text + "`status <project>` shows one in detail.",
                                 Visibility::ephemeral);
    }

private:
    CommandSpec spec_{
        .name = "home",
        .summary =
            "Your dashboard, as the Slack Home tab shows it: your projects, what is live, "
            "locks, freezes, what runs, open alerts and what you may do",
        .examples = {"home"},
    };
};

}  // namespace

std::unique_ptr<Command> make_home_command() {
    return std::make_unique<HomeCommand>();
}

}  // namespace opsbot::commands
