// whoami: who opsbot thinks you are and what your roles let you do.

#include "commands/builtin_commands.hpp"
#include "core/permissions.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

std::string env_list(const Role& role) {
    std::vector<std::string> names;
    for (Env env : role.environments) names.emplace_back(to_string(env));
    return names.empty() ? "no environment" : join(names, ", ");
}

std::string identity(const Actor& actor) {
    if (actor.local) {
        std::string text =
            "You are *" + actor.name + "* — a local console user, not a Slack person";
        return text + (actor.all_roles ? "" : " (acting as " + actor.user_id + ")");
    }
    std::string text = "You are <@" + actor.user_id + ">";
    if (!actor.name.empty()) text += " (" + actor.name + ")";
    if (!actor.usergroups.empty()) text += ", in user groups " + join(actor.usergroups, ", ");
    return text;
}

class WhoamiCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        std::string text = identity(context.actor) + ".\n";
        const auto held = context.permissions.roles_of(context.actor);
        if (held.empty()) {
            text +=
                "You hold no role: you can use help, whoami and read-only commands. "
                "An admin can add you under `members` in config/opsbot.yaml.";
            return CommandResult::ok(text, Visibility::ephemeral);
        }
        text += context.actor.all_roles ? "Roles (every role, as the local console user):\n"
                                        : "Roles:\n";
        for (const auto& entry : held) {
            const std::string scope =
                entry.projects.empty() ? "every project" : join(entry.projects, ", ");
            text += "• *" + entry.role->name + "* on " + scope + ": " +
                    join(entry.role->permissions, ", ") + " on " + env_list(*entry.role) + "\n";
        }
        return CommandResult::ok(text, Visibility::ephemeral);
    }

private:
    CommandSpec spec_{
        .name = "whoami",
        .summary = "Show who you are to opsbot and what your roles allow",
        .examples = {"whoami"},
    };
};

}  // namespace

std::unique_ptr<Command> make_whoami_command() {
    return std::make_unique<WhoamiCommand>();
}

}  // namespace opsbot::commands
