#pragma once
// The daily backup check, in the bot rather than a host cron: at
// OPSBOT_BACKUP_CHECK_AT (UTC) it posts the freshness summary to
// OPSBOT_ALERT_CHANNEL, once a day, a restart included.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

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

    void start();
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
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// "03:30" → 210 minutes; nullopt for anything else.
std::optional<std::chrono::minutes> parse_time_of_day(const std::string& text);

}  // namespace opsbot
