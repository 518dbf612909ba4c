#pragma once
// Every chat command opsbot knows; each lives in its own file.

#include <memory>

#include "core/alerts.hpp"
#include "core/command.hpp"

namespace opsbot::commands {

std::unique_ptr<Command> make_help_command();
std::unique_ptr<Command> make_whoami_command();
std::unique_ptr<Command> make_home_command();
std::unique_ptr<Command> make_audit_command();
std::unique_ptr<Command> make_audit_verify_command();
std::unique_ptr<Command> make_confirm_command();
std::unique_ptr<Command> make_cancel_command();
std::unique_ptr<Command> make_lock_command();
std::unique_ptr<Command> make_take_lock_command();  // lock!
std::unique_ptr<Command> make_unlock_command();
std::unique_ptr<Command> make_unlock_mine_command();
std::unique_ptr<Command> make_locks_command();
std::unique_ptr<Command> make_deploy_command();
std::unique_ptr<Command> make_deploys_command();
std::unique_ptr<Command> make_release_command();
std::unique_ptr<Command> make_rollback_command();
std::unique_ptr<Command> make_status_command();
std::unique_ptr<Command> make_freeze_command();
std::unique_ptr<Command> make_alerts_command();
std::unique_ptr<Command> make_purge_command();
std::unique_ptr<Command> make_newproject_command();
std::unique_ptr<Command> make_newproject_resume_command();
std::unique_ptr<Command> make_backup_command();
std::unique_ptr<Command> make_backups_command();
std::unique_ptr<Command> make_backups_check_command();
std::unique_ptr<Command> make_backups_drilled_command();
std::unique_ptr<Command> make_alert_change_command(AlertChange change);

// runbook list|show|start|done|skip|run|abort|handover|status|report, runbooks
void register_runbook_commands(CommandRegistry& registry);

void register_builtin_commands(CommandRegistry& registry);

}  // namespace opsbot::commands
