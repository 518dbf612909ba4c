#include "commands/builtin_commands.hpp"

namespace opsbot::commands {

void register_builtin_commands(CommandRegistry& registry) {
    registry.add(make_help_command());
    registry.add(make_whoami_command());
    registry.add(make_home_command());
    registry.add(make_audit_command());
    registry.add(make_audit_verify_command());
    registry.add(make_deploy_command());
    registry.add(make_release_command());
    registry.add(make_rollback_command());
    registry.add(make_deploys_command());
    registry.add(make_status_command());
    registry.add(make_freeze_command());
    registry.add(make_lock_command());
    registry.add(make_take_lock_command());
    registry.add(make_unlock_command());
    registry.add(make_unlock_mine_command());
    registry.add(make_locks_command());
    registry.add(make_purge_command());
    registry.add(make_backup_command());
    registry.add(make_backups_command());
    registry.add(make_backups_check_command());
    registry.add(make_backups_drilled_command());
    registry.add(make_newproject_command());
    registry.add(make_newproject_resume_command());
    registry.add(make_alerts_command());
    for (const auto change : {AlertChange::resolve, AlertChange::ignore, AlertChange::mute})
        registry.add(make_alert_change_command(change));
    register_runbook_commands(registry);
    registry.add(make_confirm_command());
    registry.add(make_cancel_command());
}

}  // namespace opsbot::commands
