#pragma once
// Backups as commands see them: the objects in S3 under a project's prefix,
// presigned download links, restore drills, and the freshness summary. S3
// stays behind BackupService.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

struct BackupObject {
    std::string key;  // backups/acme/2026-11-24.tar.lrz
    std::int64_t size = 0;
    TimePoint modified;
    std::string date;  // YYYY-MM-DD from the file name, "" when it has none
};

struct BackupLink {
    BackupObject object;
    std::string url;  // presigned: a secret, shown only to the requester
    std::chrono::seconds valid_for{3600};
};

struct FreshnessRules {
    std::chrono::hours max_age{26};  // BACKUP_MAX_AGE
    double small_ratio = 0.5;        // newest under half the previous one is suspicious
};

class BackupService {
public:
    virtual ~BackupService() = default;
    // The environment's backups, newest first.
    virtual Result<std::vector<BackupObject>> list(const std::string& project, Env env) = 0;
    virtual BackupLink link(const BackupObject& object) = 0;
    // "s3://bucket/prefix" for replies and audit rows.
    virtual std::string location(const std::string& project, Env env) const = 0;
    // The listing request it would send, for --dry-run and the console
    // without credentials.
    virtual std::string describe_list(const std::string& project, Env env) const = 0;
    virtual bool configured() const = 0;  // false: bucket or AWS credentials unset
    // Restore drills: recorded by `backups drilled`, shown in the summary.
    virtual void record_drill(const std::string& project, const std::string& date) = 0;
    virtual std::optional<std::string> last_drill(const std::string& project) = 0;
    // BACKUP_MAX_AGE and the size rule the freshness check applies.
    virtual FreshnessRules freshness_rules() const = 0;
};

// The newest object per name date (then modification time) comes first.
void sort_newest_first(std::vector<BackupObject>& objects);
// "2026-11-24" from "backups/acme/2026-11-24.tar.lrz" or "…/2026-11-24T0300.tar.lrz".
std::string backup_date_of(const std::string& key);

struct FreshnessRow {
    std::string project;
    std::optional<BackupObject> newest;
    std::optional<BackupObject> previous;
    std::optional<std::string> last_drill;
    std::string error;  // listing failed
};

// The summary posted daily and on `backups check`; `problems` counts the
// stale, missing, small and unreadable ones.
struct FreshnessSummary {
    std::string text;
    int problems = 0;
};
// Every catalogued project's prod backups, newest two, and its last drill.
std::vector<FreshnessRow> collect_freshness(const Catalogue& catalogue, BackupService& backups);
FreshnessSummary summarise_freshness(const std::vector<FreshnessRow>& rows, TimePoint now,
                                     const FreshnessRules& rules);

std::string format_size(std::int64_t bytes);  // "1.4 GiB"

}  // namespace opsbot
