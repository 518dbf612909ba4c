#include "bot/ops/backup_watch.hpp"

#include <spdlog/spdlog.h>

namespace opsbot {

std::optional<std::chrono::minutes> parse_time_of_day(const std::string& text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    const auto digits = [&](std::size_t at) {
        return std::isdigit(static_cast<unsigned char>(text[at])) &&
               std::isdigit(static_cast<unsigned char>(text[at + 1]));
    };
    if (!digits(0) || !digits(3)) return std::nullopt;
    const int hours = std::stoi(text.substr(0, 2));
    const int minutes = std::stoi(text.substr(3, 2));
    if (hours > 23 || minutes > 59) return std::nullopt;
    return std::chrono::minutes(hours * 60 + minutes);
}

BackupWatch::BackupWatch(BackupService& backups, const CatalogueSource& catalogue,
                         Notifier& notifier, StateStore& state, AuditStore& audit,
                         const Clock& clock, BackupWatchOptions options)
    : backups_(backups),
      catalogue_(catalogue),
      notifier_(notifier),
      state_(state),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)),
      loop_("backups: the daily check failed", std::chrono::seconds(30), [this] { tick(); }) {}

BackupWatch::~BackupWatch() {
    stop();
}

void BackupWatch::start(std::optional<LeaseGrant> grant) {
    if (!options_.at) return;
    if (options_.channel.empty())
        spdlog::warn(
            "backups: OPSBOT_BACKUP_CHECK_AT is set but OPSBOT_ALERT_CHANNEL is not; "
            "the daily summary goes to the log only");
    loop_.start(std::move(grant));
}

void BackupWatch::halt() {
    loop_.halt();
}

void BackupWatch::stop() {
    loop_.stop();
}

void BackupWatch::tick() {
    if (!options_.at || !backups_.configured()) return;
    const auto now = clock_.now();
    const std::string stamp = format_iso8601(now);  // 2026-11-25T03:31:00.000Z
    const std::string today = stamp.substr(0, 10);
    const auto since_midnight =
        std::chrono::minutes(std::stoi(stamp.substr(11, 2)) * 60 + std::stoi(stamp.substr(14, 2)));
    if (since_midnight < *options_.at) return;
    if (state_.get("backup_check_last") == today) return;
    run_check(today);
}

void BackupWatch::run_check(const std::string& today) {
    const auto summary = summarise_freshness(collect_freshness(*catalogue_.current(), backups_),
                                             clock_.now(), backups_.freshness_rules());
    state_.set("backup_check_last", today);
    AuditEntry entry;
    entry.source = Source::system;
    entry.actor_name = "backup watch";
    entry.channel = options_.channel;
    entry.command = "backups check (daily)";
    entry.outcome = summary.problems == 0 ? Outcome::succeeded : Outcome::failed;
    if (summary.problems)
        entry.error = std::to_string(summary.problems) + " project(s) need a look";
    if (options_.channel.empty()) {
        spdlog::warn("backups: {}", summary.text);
    } else if (const auto posted = notifier_.post(options_.channel, "", {summary.text}); !posted) {
        entry.error += (entry.error.empty() ? "" : "; ") + std::string("summary not posted: ") +
                       posted.error().message;
        spdlog::error("backups: could not post the daily summary: {}", posted.error().message);
    }
    audit_.append(std::move(entry));
}

}  // namespace opsbot
