#pragma once
// Every chat command opsbot knows; each lives in its own file.

#include <memory>

#include "core/command.hpp"

namespace opsbot::commands {

std::unique_ptr<Command> make_help_command();
std::unique_ptr<Command> make_whoami_command();
std::unique_ptr<Command> make_audit_command();
std::unique_ptr<Command> make_audit_verify_command();

void register_builtin_commands(CommandRegistry& registry);

}  // namespace opsbot::commands
