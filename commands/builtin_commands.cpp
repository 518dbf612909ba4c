#include "commands/builtin_commands.hpp"

namespace opsbot::commands {

void register_builtin_commands(CommandRegistry& registry) {
    registry.add(make_help_command());
    registry.add(make_whoami_command());
    registry.add(make_audit_command());
    registry.add(make_audit_verify_command());
}

}  // namespace opsbot::commands
