#pragma once
// Everything a running opsbot owns, built once at start-up in the order that
// lets each part depend on the one before: settings → logging → catalogue →
// database (migrated) → audit log → commands → dispatcher.

#include <functional>
#include <iosfwd>
#include <memory>

#include "bot/dispatcher.hpp"
#include "bot/notifiers.hpp"
#include "bot/settings.hpp"
#include "core/catalogue_source.hpp"
#include "core/command.hpp"
#include "core/intents.hpp"
#include "core/metrics.hpp"
#include "core/runbooks.hpp"
#include "core/time.hpp"

namespace opsbot {

namespace db {
class Storage;
}  // namespace db

namespace runbooks {
class ThreadRunbookService;
}

class GitReleaseService;

namespace aws {
class S3Client;
}

namespace cloudflare {
class CloudflareClient;
}

namespace net {
class HttpServer;
}

namespace alerts {
class AlertRelay;
}

namespace sentry {
class SentryClient;
}

namespace jenkins {
class JenkinsClient;
}

class HttpClient;
class JenkinsDeployService;
class CloudflarePurgeService;
class S3BackupService;
class BackupService;
class BackupWatch;
class ProjectSetupService;
class StoreHealth;
class LeaseKeeper;
class LeasedLoop;
class PruneJobs;

namespace views {
class ChangeReportingAudit;
class ChangeReportingAlerts;
}  // namespace views

class App {
public:
    // Reports what prevents starting (invalid config, unusable database) on
    // err and returns null.
    static std::unique_ptr<App> start(const Settings& settings, std::ostream& err);
    ~App();

    const Settings& settings() const { return settings_; }
    // The catalogue now: the YAML file with the projects added from chat.
    std::shared_ptr<const Catalogue> catalogue() const { return catalogue_.current(); }
    CatalogueSource& catalogue_source() { return catalogue_; }
    ProjectSetupService& project_setup() { return *project_setup_; }
    AuditStore& audit();
    Metrics& metrics() { return metrics_; }
    IntentJournal& intents();
    db::Storage& storage() { return *storage_; }
    // Whether the store answers (/healthz) and its failures (/metrics).
    StoreHealth& store_health() { return *store_health_; }
    // The one HTTP client (connection pool) for Slack and the adapters.
    HttpClient& http();
    Dispatcher& dispatcher() { return *dispatcher_; }
    // The stores and services the commands reach; the Home tab reads them too.
    const Services& services() const { return services_; }
    // Told the project of every audited change (bot/views/home_changes.hpp),
    // on the thread that audited it; an empty listener stops it.
    void on_project_changed(std::function<void(const std::string& project)> listener);
    JenkinsDeployService& deploys() { return *deploys_; }
    // The S3 backups (forms list a project's backup dates from it).
    BackupService& backups();
    // config/runbooks/*.yaml, as checked at start.
    const std::vector<Runbook>& runbook_definitions() const { return runbook_definitions_; }
    alerts::AlertRelay& alerts() { return *alert_relay_; }
    // The webhook routes (Jenkins, Sentry) on an intake that is not started yet.
    void register_hooks(net::HttpServer& intake);
    // Background work that posts messages: deploy followers and the alert
    // relay. Start after set_notifier; stop before it is unset. With
    // replicas (leases()), each singleton runs where its lease is held:
    // "deploys", "alerts", "backup-watch", "runbooks", "confirmations",
    // "prune".
    void start_background(bool relay_alerts = true);
    void stop_background();
    // The "prune" singleton's jobs: add one before start_background.
    PruneJobs& prune_jobs() { return *prune_jobs_; }
    // Slack mode, before the first envelope: takes this replica's lease
    // (bot/replicas/lease_keeper.hpp). False, with the reason on err, when
    // another live process runs under this OPSBOT_REPLICA_ID. evicted runs
    // when another replica took this one's lease over: the process must stop.
    bool join_replicas(std::ostream& err, std::function<void()> evicted);
    // After the last envelope was handled: lets this replica's lease lapse
    // now, so that the others take over at once whatever was cut off.
    void leave_replicas();
    // Null in console mode: there, every singleton work runs here.
    LeaseKeeper* leases() { return lease_keeper_.get(); }
    // Where services post messages that outlive a reply: Slack or the console.
    void set_notifier(Notifier* notifier) { notifier_.set(notifier); }

private:
    explicit App(const Settings& settings);

    Settings settings_;
    CatalogueSource catalogue_;
    std::unique_ptr<ProjectSetupService> project_setup_;
    SystemClock clock_;
    std::unique_ptr<db::Storage> storage_;  // every store, on SQLite or PostgreSQL
    Metrics metrics_;
    std::unique_ptr<AuditStore> metered_audit_;           // the log, counted for /metrics
    std::unique_ptr<views::ChangeReportingAudit> audit_;  // and reporting changes
    std::unique_ptr<StoreHealth> store_health_;
    std::unique_ptr<HttpClient> http_;
    std::unique_ptr<jenkins::JenkinsClient> jenkins_;
    NotifierSlot notifier_;
    std::unique_ptr<JenkinsDeployService> deploys_;
    std::unique_ptr<GitReleaseService> releases_;
    std::unique_ptr<sentry::SentryClient> sentry_;
    std::unique_ptr<views::ChangeReportingAlerts> alert_store_;  // the relay's, reporting changes
    std::unique_ptr<alerts::AlertRelay> alert_relay_;
    std::unique_ptr<cloudflare::CloudflareClient> cloudflare_;
    std::unique_ptr<CloudflarePurgeService> purges_;
    std::unique_ptr<aws::S3Client> s3_;
    std::unique_ptr<S3BackupService> backups_;
    std::unique_ptr<BackupWatch> backup_watch_;
    std::vector<Runbook> runbook_definitions_;  // config/runbooks/*.yaml, checked at start
    std::unique_ptr<runbooks::ThreadRunbookService> runbooks_;
    CommandRegistry registry_;
    std::unique_ptr<Dispatcher> dispatcher_;
    Services services_;
    std::unique_ptr<PruneJobs> prune_jobs_;
    std::unique_ptr<LeasedLoop> runbook_takeover_;    // steps of dead replicas
    std::unique_ptr<LeasedLoop> confirmation_sweep_;  // expiry, with replicas
    std::unique_ptr<LeaseKeeper> lease_keeper_;

    // The adapter clients, each null when its settings leave it unusable.
    struct Clients {
        jenkins::JenkinsClient* jenkins = nullptr;
        sentry::SentryClient* sentry = nullptr;
        cloudflare::CloudflareClient* cloudflare = nullptr;
        aws::S3Client* s3 = nullptr;
    };
    struct SiteServices {
        CloudflarePurgeService& purges;
        S3BackupService& backups;
    };

    bool open_storage(std::ostream& err);
    // Each step gets what it uses and returns what it makes, so their order
    // follows from the data (start_services).
    void start_services();
    void load_registered_projects();
    Clients make_clients();
    JenkinsDeployService& start_deploys(const Clients& clients);
    alerts::AlertRelay& start_alerts(const Clients& clients);
    SiteServices start_site_services(const Clients& clients);
    runbooks::ThreadRunbookService& start_runbooks(const Clients& clients, DeployService& deploys,
                                                   PurgeService& purges);
    ProjectSetupService& start_project_setup(const Clients& clients);
    void start_local(bool relay_alerts);
    void start_singletons();
};

// Opens the store the settings name (OPSBOT_DATABASE_URL, else OPSBOT_DB),
// migrated; throws db::DatabaseError with a message for the operator.
std::unique_ptr<db::Storage> open_storage(const Settings& settings, const Clock& clock);
std::unique_ptr<db::Storage> open_storage(const Settings& settings, const Clock&& clock) = delete;

}  // namespace opsbot
