// confirm <id> and cancel <id>: the typed form of the confirmation buttons,
// for the console and for Slack clients that cannot show buttons.

#include "commands/builtin_commands.hpp"

namespace opsbot::commands {
namespace {

class DecideCommand final : public Command {
public:
    explicit DecideCommand(bool approve) : approve_(approve) {
        spec_.name = approve ? "confirm" : "cancel";
        spec_.summary = approve ? "Approve a command that is waiting for a confirmation"
                                : "Cancel a command that is waiting for a confirmation";
        spec_.params = {{.name = "id", .type = ParamType::word, .help = "the confirmation id"}};
        spec_.examples = {spec_.name + " 3f9c2a1b"};
        spec_.group = "confirmations";
    }

    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (!context.services.confirmations)
            return CommandResult::failure("Confirmations are not available in this mode.",
                                          "no_confirmations");
        auto decided = context.services.confirmations->decide(
            {args.get("id"), approve_, context.actor, context.channel, context.thread});
        return decided.result;
    }

private:
    bool approve_;
    CommandSpec spec_;
};

}  // namespace

std::unique_ptr<Command> make_confirm_command() {
    return std::make_unique<DecideCommand>(true);
}
std::unique_ptr<Command> make_cancel_command() {
    return std::make_unique<DecideCommand>(false);
}

}  // namespace opsbot::commands
