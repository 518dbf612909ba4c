#include "bot/ops/site_services.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace opsbot {
namespace {

// Unset, the bucket is shown by the variable that names it.
std::string shown_bucket(const aws::S3Config& config) {
    return trim(config.bucket).empty() ? std::string("<BACKUP_BUCKET>") : config.bucket;
}

}  // namespace

CloudflarePurgeService::CloudflarePurgeService(cloudflare::CloudflareClient* client,
                                               cloudflare::CloudflareConfig config,
                                               StateStore& state)
    : client_(client), config_(std::move(config)), state_(state) {}

Result<std::string> CloudflarePurgeService::zone_for(const PurgeRequest& request) {
    if (!request.zone_id.empty()) return request.zone_id;
    const std::string key = "cloudflare_zone:" + request.domain;
    if (auto cached = state_.get(key); cached && !cached->empty()) return *cached;
    auto found = client_->find_zone(request.domain);
    if (found) state_.set(key, found.value());
    return found;
}

Result<PurgeDone> CloudflarePurgeService::purge(const PurgeRequest& request) {
    if (!client_)
        return Error{"cloudflare_config", "CLOUDFLARE_API_TOKEN is not set",
                     "set it to a token with the Zone.Cache Purge permission"};
    const auto zone = zone_for(request);
    if (!zone) return zone.error();
    const auto ids = request.urls.empty() ? client_->purge_everything(zone.value())
                                          : client_->purge_files(zone.value(), request.urls);
    if (!ids) {
        // A zone re-added in Cloudflare has a new id: look it up again next time.
        if (ids.error().code == "cloudflare_zone_not_found" && request.zone_id.empty())
            state_.set("cloudflare_zone:" + request.domain, "");
        return ids.error();
    }
    const std::size_t calls = request.urls.empty()
                                  ? 1
                                  : (request.urls.size() + cloudflare::kMaxUrlsPerPurge - 1) /
                                        cloudflare::kMaxUrlsPerPurge;
    return PurgeDone{zone.value(), calls, ids.value()};
}

std::string CloudflarePurgeService::describe(const PurgeRequest& request) const {
    std::string zone = request.zone_id;
    std::string out;
    if (zone.empty()) {
        out += describe_request(cloudflare::zone_lookup_request(config_, request.domain)) + "\n";
        zone = "ZONE_ID_OF_" + request.domain;
    }
    if (request.urls.empty())
        return out + describe_request(cloudflare::purge_everything_request(config_, zone));
    for (const auto& call : cloudflare::purge_files_requests(config_, zone, request.urls))
        out += describe_request(call) + "\n";
    return out;
}

S3BackupService::S3BackupService(aws::S3Client* client, aws::S3Config config,
                                 BackupSettings settings, const CatalogueSource& catalogue,
                                 StateStore& state, const Clock& clock)
    : client_(client),
      config_(std::move(config)),
      settings_(std::move(settings)),
      catalogue_(catalogue),
      state_(state),
      clock_(clock) {
    settings_.link_ttl = std::min(settings_.link_ttl, std::chrono::seconds(7 * 24 * 3600));
}

std::string S3BackupService::prefix_for(const std::string& project, Env env) const {
    const auto catalogue = catalogue_.current();
    if (const auto* p = catalogue->find_project(project))
        if (const auto* e = p->environment(env); e && !e->backup_prefix.empty())
            return e->backup_prefix;
    return settings_.prefix + project + (env == Env::stage ? "-stage/" : "/");
}

std::string S3BackupService::location(const std::string& project, Env env) const {
    return "s3://" + shown_bucket(config_) + "/" + prefix_for(project, env);
}

std::string S3BackupService::describe_list(const std::string& project, Env env) const {
    aws::S3Config shown = config_;
    shown.bucket = shown_bucket(config_);
    return describe_request(
        aws::list_objects_request(shown, prefix_for(project, env), "", clock_.now()));
}

Result<std::vector<BackupObject>> S3BackupService::list(const std::string& project, Env env) {
    if (!client_)
        return Error{"s3_config", "BACKUP_BUCKET or the AWS credentials are not set",
                     "set BACKUP_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"};
    const auto listed = client_->list(prefix_for(project, env));
    if (!listed) return listed.error();
    std::vector<BackupObject> objects;
    for (const auto& object : listed.value()) {
        if (object.key.size() < 8 || object.key.compare(object.key.size() - 8, 8, ".tar.lrz") != 0)
            continue;  // only backups, not notes or partial uploads
        objects.push_back(
            {object.key, object.size, object.last_modified, backup_date_of(object.key)});
    }
    sort_newest_first(objects);
    return objects;
}

BackupLink S3BackupService::link(const BackupObject& object) {
    return BackupLink{object, client_ ? client_->presign_get(object.key, settings_.link_ttl) : "",
                      settings_.link_ttl};
}

void S3BackupService::record_drill(const std::string& project, const std::string& date) {
    state_.set("backup_drill:" + project, date);
}

std::optional<std::string> S3BackupService::last_drill(const std::string& project) {
    return state_.get("backup_drill:" + project);
}

}  // namespace opsbot
