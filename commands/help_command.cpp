// help, help <command>: generated from the registry's declarations.

#include <map>

#include "commands/builtin_commands.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

const char* describe_confirmation(ConfirmPolicy policy) {
    switch (policy) {
        case ConfirmPolicy::never:
            return "none";
        case ConfirmPolicy::prod_only:
            return "required for prod";
        case ConfirmPolicy::always:
            return "always required";
    }
    return "none";
}

std::string permission_line(const CommandSpec& spec) {
    if (spec.permission.empty()) return "anyone";
    bool scoped = false;
    for (const auto& p : spec.params)
        scoped = scoped || p.type == ParamType::project || p.type == ParamType::environment;
    return "'" + spec.permission + "'" + (scoped ? " for the project and environment" : "");
}

// What a flag needs beyond the command's permission.
std::string flag_conditions(const FlagSpec& flag) {
    std::string text;
    if (!flag.permission.empty()) text += " (needs '" + flag.permission + "'";
    if (flag.second_person)
        text += std::string(text.empty() ? " (" : "; ") +
                "always confirmed, by someone other than the requester";
    return text.empty() ? text : text + ")";
}

std::string describe_command(const CommandSpec& spec) {
    std::string text = "*" + spec.name + "* — " + spec.summary + "\n";
    text += "usage: `" + usage(spec) + "`\n";
    for (const auto& p : spec.params)
        text += "  `" + p.name + "`" + (p.optional ? " (optional)" : "") + ": " + p.help + "\n";
    if (!spec.flags.empty() || spec.action) text += "options:\n";
    for (const auto& f : spec.flags)
        text += "  `--" + f.name + (f.value_name.empty() ? "" : " <" + f.value_name + ">") +
                "`: " + f.help + flag_conditions(f) + "\n";
    if (spec.action)
        text += "  `--dry-run`: show the plan and the exact requests, change nothing\n";
    text += "permission: " + permission_line(spec) + "\n";
    text += "confirmation: " + std::string(describe_confirmation(spec.confirm)) + "\n";
    if (spec.freeze == FreezePolicy::refuse_prod)
        text += "freeze windows: prod is refused while one is in force (`freeze` lists them)\n";
    if (!spec.examples.empty()) {
        text += "examples:\n";
        for (const auto& e : spec.examples) text += "  `" + e + "`\n";
    }
    return text;
}

std::string overview(const CommandRegistry& registry) {
    std::map<std::string, std::string> groups;
    for (const Command* command : registry.all()) {
        const auto& spec = command->spec();
        groups[spec.group] += "• `" + usage(spec) + "` — " + spec.summary + "\n";
    }
    std::string text = "*opsbot commands* (in Slack: `/ops <command>` or `@opsbot <command>`)\n";
    for (const auto& [group, lines] : groups) text += "\n_" + group + "_\n" + lines;
    text += "\nType `help <command>` for its arguments, permission and examples.";
    return text;
}

class HelpCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        const std::string wanted = to_lower(args.get("command"));
        if (wanted.empty())
            return CommandResult::ok(overview(context.registry), Visibility::ephemeral);
        if (const Command* command = context.registry.find(wanted))
            return CommandResult::ok(describe_command(command->spec()), Visibility::ephemeral);
        std::string text = "No command '" + wanted + "'";
        const auto hint = did_you_mean(wanted, context.registry.names());
        text += (hint.empty() ? "." : " — " + hint) + " Type `help` for the list.";
        auto result = CommandResult::failure(text, "unknown command '" + wanted + "'");
        result.reply.visibility = Visibility::ephemeral;
        return result;
    }

private:
    CommandSpec spec_{
        .name = "help",
        .summary = "List the commands, or explain one",
        .params = {{.name = "command",
                    .type = ParamType::text,
                    .help = "a command name, e.g. deploy",
                    .optional = true}},
        .examples = {"help", "help audit"},
    };
};

}  // namespace

std::unique_ptr<Command> make_help_command() {
    return std::make_unique<HelpCommand>();
}

}  // namespace opsbot::commands
