#pragma once
// The daily backup check, in the bot rather than a host cron: at
// OPSBOT_BACKUP_CHECK_AT (UTC) it posts the freshness summary to
// OPSBOT_ALERT_CHANNEL, once a day, a restart included.

#include <optional>

#include "bot/replicas/leased_loop.hpp"
#include "core/audit.hpp"
#include "core/backups.hpp"
#include "core/catalogue_source.hpp"
#include "core/notifier.hpp"
#include "core/state.hpp"

namespace opsbot {

struct BackupWatchOptions {
    std::optional<std::chrono::minutes> at;  // minutes after midnight UTC; none: off
    std::string channel;                     // OPSBOT_ALERT_CHANNEL
};

class BackupWatch {
public:
    BackupWatch(BackupService& backups, const CatalogueSource& catalogue, Notifier& notifier,
                StateStore& state, AuditStore& audit, const Clock& clock,
                BackupWatchOptions options);
    ~BackupWatch();  // stop()

    // grant: with replicas, the "backup-watch" lease, which fences its writes.
    void start(std::optional<LeaseGrant> grant = std::nullopt);
    void halt();  // stops without waiting for a check under way
    void stop();
    // Runs the check when its time of day has come and today's has not run.
    void tick();

private:
    void run_check(const std::string& today);

    BackupService& backups_;
    const CatalogueSource& catalogue_;
    Notifier& notifier_;
    StateStore& state_;
    AuditStore& audit_;
    const Clock& clock_;
    BackupWatchOptions options_;
    LeasedLoop loop_;
};

// "03:30" → 210 minutes; nullopt for anything else.
std::optional<std::chrono::minutes> parse_time_of_day(const std::string& text);

}  // namespace opsbot
