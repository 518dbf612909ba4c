#pragma once
// The purge and backup services commands use, over the Cloudflare and S3
// adapters. Without credentials they still describe the exact requests, so
// the console and --dry-run show what would be sent.

#include <chrono>
#include <memory>
#include <string>

#include "adapters/aws/s3.hpp"
#include "adapters/cloudflare/cloudflare.hpp"
#include "core/backups.hpp"
#include "core/catalogue_source.hpp"
#include "core/purges.hpp"
#include "core/state.hpp"

namespace opsbot {

class CloudflarePurgeService final : public PurgeService {
public:
    // client may be null: not configured, describe() only.
    CloudflarePurgeService(cloudflare::CloudflareClient* client,
                           cloudflare::CloudflareConfig config, StateStore& state);
    Result<PurgeDone> purge(const PurgeRequest& request) override;
    std::string describe(const PurgeRequest& request) const override;
    bool configured() const override { return client_ != nullptr; }

private:
    // The catalogue's zone id, else the one found by domain before, else ask.
    Result<std::string> zone_for(const PurgeRequest& request);

    cloudflare::CloudflareClient* client_;
    cloudflare::CloudflareConfig config_;
    StateStore& state_;
};

struct BackupSettings {
    std::string prefix = "backups/";      // BACKUP_PREFIX
    std::chrono::seconds link_ttl{3600};  // BACKUP_LINK_TTL, at most 7 days
    FreshnessRules rules;                 // BACKUP_MAX_AGE
};

class S3BackupService final : public BackupService {
public:
    // client may be null: not configured, describe_list() only.
    S3BackupService(aws::S3Client* client, aws::S3Config config, BackupSettings settings,
                    const CatalogueSource& catalogue, StateStore& state, const Clock& clock);
    Result<std::vector<BackupObject>> list(const std::string& project, Env env) override;
    BackupLink link(const BackupObject& object) override;
    std::string location(const std::string& project, Env env) const override;
    std::string describe_list(const std::string& project, Env env) const override;
    bool configured() const override { return client_ != nullptr; }
    void record_drill(const std::string& project, const std::string& date) override;
    std::optional<std::string> last_drill(const std::string& project) override;
    FreshnessRules freshness_rules() const override { return settings_.rules; }

private:
    // The catalogue's backup_prefix for the environment, else <prefix><project>/
    // (prod) or <prefix><project>-stage/ (stage).
    std::string prefix_for(const std::string& project, Env env) const;

    aws::S3Client* client_;
    aws::S3Config config_;
    BackupSettings settings_;
    const CatalogueSource& catalogue_;
    StateStore& state_;
    const Clock& clock_;
};

}  // namespace opsbot
