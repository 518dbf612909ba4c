#include "bot/app.hpp"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "adapters/http/curl_http_client.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "bot/alerts/alert_relay.hpp"
#include "bot/deploy/deploy_service.hpp"
#include "bot/hooks/jenkins_hook.hpp"
#include "bot/hooks/sentry_hook.hpp"
#include "bot/hooks/store_guard.hpp"
#include "bot/metered_audit.hpp"
#include "bot/net/http_server.hpp"
#include "bot/newproject/project_setup_service.hpp"
#include "bot/ops/backup_watch.hpp"
#include "bot/ops/site_services.hpp"
#include "bot/release/release_service.hpp"
#include "bot/replicas/lease_keeper.hpp"
#include "bot/replicas/leased_loop.hpp"
#include "bot/replicas/prune_jobs.hpp"
#include "bot/replicas/replica_report.hpp"
#include "bot/runbooks/runbook_service.hpp"
#include "bot/store_health.hpp"
#include "bot/views/home_alert_changes.hpp"
#include "bot/views/home_changes.hpp"
#include "commands/builtin_commands.hpp"
#include "core/config_loader.hpp"
#include "core/runbook_loader.hpp"
#include "persistence/storage.hpp"

namespace opsbot {

App::App(const Settings& settings) : settings_(settings) {}
App::~App() = default;

BackupService& App::backups() {
    return *backups_;
}

AuditStore& App::audit() {
    return *audit_;
}

void App::on_project_changed(std::function<void(const std::string& project)> listener) {
    audit_->on_change(std::move(listener));
}
IntentJournal& App::intents() {
    return storage_->intents();
}

// Made on first use: the console without Jenkins never needs it.
HttpClient& App::http() {
    if (!http_) http_ = std::make_unique<CurlHttpClient>();
    return *http_;
}

std::unique_ptr<db::Storage> open_storage(const Settings& settings, const Clock& clock) {
    return db::Storage::open(db::storage_target(settings.database_url, settings.database_path),
                             clock);
}

bool App::open_storage(std::ostream& err) {
    try {
        storage_ = opsbot::open_storage(settings_, clock_);
        storage_->set_replica(settings_.replica_id);
    } catch (const db::DatabaseError& e) {
        err << "opsbot: " << e.what() << "\n";
        return false;
    }
    metered_audit_ =
        std::make_unique<MeteredAuditStore>(storage_->audit(), metrics_, settings_.replica_id);
    audit_ = std::make_unique<views::ChangeReportingAudit>(*metered_audit_);
    store_health_ =
        std::make_unique<StoreHealth>([storage = storage_.get()] { storage->probe(); }, metrics_);
    return true;
}

// The start-up steps run in the order their data forces: the stores first,
// then the adapter clients, then each service, handed what it uses.
void App::start_services() {
    load_registered_projects();
    const Clients clients = make_clients();
    JenkinsDeployService& deploys = start_deploys(clients);
    releases_ =
        std::make_unique<GitReleaseService>(settings_.git_config(), deploys, storage_->deploys());
    alerts::AlertRelay& alerts = start_alerts(clients);
    const SiteServices site = start_site_services(clients);
    runbooks::ThreadRunbookService& runbooks = start_runbooks(clients, deploys, site.purges);
    ProjectSetupService& project_setup = start_project_setup(clients);
    commands::register_builtin_commands(registry_);
    dispatcher_ =
        std::make_unique<Dispatcher>(registry_, catalogue_, *audit_, clock_, &storage_->intents());
    dispatcher_->enable_confirmations(storage_->confirmations(), settings_.confirmation_ttl);
    confirmation_sweep_ = std::make_unique<LeasedLoop>(
        "confirmations: the expiry sweep", std::chrono::seconds(15),
        [dispatcher = dispatcher_.get()] { dispatcher->expire_confirmations(); });
    services_ = {.locks = &storage_->locks(),
                 .deploys = &deploys,
                 .deploy_records = &storage_->deploys(),
                 .alerts = &alerts,
                 .purges = &site.purges,
                 .backups = &site.backups,
                 .runbooks = &runbooks,
                 .project_setup = &project_setup,
                 .releases = releases_.get()};
    dispatcher_->set_services(services_);
}

// Projects added from chat join the YAML ones.
void App::load_registered_projects() {
    const auto registered = storage_->projects().all();
    if (registered.empty()) return;
    catalogue_.replace(CatalogueSource::merged(*catalogue_.current(), registered));
    spdlog::info("catalogue: {} project(s) from the project registry", registered.size());
}

App::Clients App::make_clients() {
    if (settings_.jenkins_usable())
        jenkins_ = std::make_unique<jenkins::JenkinsClient>(http(), settings_.jenkins_config());
    if (settings_.sentry_usable())
        sentry_ = std::make_unique<sentry::SentryClient>(http(), settings_.sentry_config());
    if (settings_.cloudflare_usable())
        cloudflare_ =
            std::make_unique<cloudflare::CloudflareClient>(http(), settings_.cloudflare_config());
    if (settings_.s3_usable())
        s3_ = std::make_unique<aws::S3Client>(http(), settings_.s3_config(), clock_);
    return {.jenkins = jenkins_.get(),
            .sentry = sentry_.get(),
            .cloudflare = cloudflare_.get(),
            .s3 = s3_.get()};
}

JenkinsDeployService& App::start_deploys(const Clients& clients) {
    DeployServiceOptions options;
    options.poll_interval = settings_.deploy_poll_interval;
    options.build_timeout = settings_.deploy_timeout;
    options.push_grace = settings_.release_build_wait;
    deploys_ = std::make_unique<JenkinsDeployService>(
        clients.jenkins, settings_.jenkins_config(), storage_->locks(), storage_->deploys(),
        *audit_, notifier_, catalogue_, clock_, options);
    return *deploys_;
}

alerts::AlertRelay& App::start_alerts(const Clients& clients) {
    alerts::AlertRelayOptions options;
    options.fallback_channel = settings_.alert_channel;
    options.digest_interval = settings_.alert_digest_interval;
    // Replicas share PostgreSQL: a webhook that another replica took wakes
    // only that one, so the relay looks at the inbox every second (one indexed
    // query; see start_singletons). Not LISTEN/NOTIFY: it needs a connection
    // held outside the pool, does not pass PgBouncer in transaction mode, and
    // a notification lost with a dropped connection would need this poll anyway.
    if (storage_->backend() == db::Backend::postgresql) options.idle_poll = std::chrono::seconds(1);
    if (!settings_.sentry_client_secret.empty() && settings_.alert_channel.empty())
        spdlog::warn(
            "alerts: OPSBOT_ALERT_CHANNEL is not set: alerts of Sentry projects that are not in "
            "the catalogue are recorded but shown nowhere; set it to a channel such as "
            "#ops-alerts");
    alert_store_ = std::make_unique<views::ChangeReportingAlerts>(
        storage_->alerts(), [audit = audit_.get()](const std::string& p) { audit->report(p); });
    alert_relay_ = std::make_unique<alerts::AlertRelay>(*alert_store_, notifier_, catalogue_,
                                                        *audit_, clock_, clients.sentry, options);
    prune_jobs_ = std::make_unique<PruneJobs>();
    prune_jobs_->add("alert inbox", [relay = alert_relay_.get()] { return relay->prune_inbox(); });
    return *alert_relay_;
}

App::SiteServices App::start_site_services(const Clients& clients) {
    purges_ = std::make_unique<CloudflarePurgeService>(
        clients.cloudflare, settings_.cloudflare_config(), storage_->state());
    FreshnessRules rules;
    rules.max_age = std::chrono::duration_cast<std::chrono::hours>(settings_.backup_max_age);
    backups_ =
        std::make_unique<S3BackupService>(clients.s3, settings_.s3_config(),
                                          BackupSettings{.prefix = settings_.backup_prefix,
                                                         .link_ttl = settings_.backup_link_ttl,
                                                         .rules = rules},
                                          catalogue_, storage_->state(), clock_);
    BackupWatchOptions watch;
    watch.channel = settings_.alert_channel;
    if (!settings_.backup_check_at.empty()) {
        watch.at = parse_time_of_day(settings_.backup_check_at);
        if (!watch.at)
            spdlog::warn(
                "OPSBOT_BACKUP_CHECK_AT '{}' is not a UTC time like 03:30; the daily "
                "backup check is off",
                settings_.backup_check_at);
    }
    backup_watch_ = std::make_unique<BackupWatch>(*backups_, catalogue_, notifier_,
                                                  storage_->state(), *audit_, clock_, watch);
    return {.purges = *purges_, .backups = *backups_};
}

runbooks::ThreadRunbookService& App::start_runbooks(const Clients& clients, DeployService& deploys,
                                                    PurgeService& purges) {
    runbooks::ActionTargets actions{.deploys = &deploys,
                                    .purges = &purges,
                                    .cloudflare = clients.cloudflare,
                                    .http = &http(),
                                    .catalogue = &catalogue_};
    runbooks_ = std::make_unique<runbooks::ThreadRunbookService>(
        runbook_definitions_, runbooks::RunbookDeps{.store = storage_->runbooks(),
                                                    .audit = *audit_,
                                                    .notifier = notifier_,
                                                    .clock = clock_,
                                                    .locks = &storage_->locks(),
                                                    .actions = actions,
                                                    .replica = settings_.replica_id});
    runbook_takeover_ = std::make_unique<LeasedLoop>(
        "runbooks: taking over steps", std::chrono::seconds(1), [this] {
            std::set<std::string> alive;
            for (const auto& row : storage_->leases().list("replica:"))
                if (row.left.count() > 0) alive.insert(row.name.substr(std::strlen("replica:")));
            runbooks_->take_over_steps(
                [&alive](const std::string& replica) { return alive.count(replica) > 0; });
        });
    return *runbooks_;
}

ProjectSetupService& App::start_project_setup(const Clients& clients) {
    ProjectSetupOptions options;
    options.sentry_team = settings_.sentry_team;
    options.sentry_app_slug = settings_.sentry_app_slug;
    options.templates_dir =
        settings_.jenkins_templates.empty()
            ? (std::filesystem::path(settings_.config_path).parent_path() / "jenkins").string()
            : settings_.jenkins_templates;
    options.job_pattern = settings_.newproject_job;
    options.repo_pattern = settings_.newproject_repo;
    if (!settings_.public_url.empty()) {
        std::string base = settings_.public_url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        options.notify_url = base + "/hooks/jenkins?token=" + settings_.jenkins_webhook_token;
    }
    const SetupClients setup_clients{.sentry = clients.sentry,
                                     .sentry_config = settings_.sentry_config(),
                                     .jenkins = clients.jenkins,
                                     .jenkins_config = settings_.jenkins_config(),
                                     .cloudflare = clients.cloudflare,
                                     .cloudflare_config = settings_.cloudflare_config()};
    project_setup_ = std::make_unique<ProjectSetupService>(
        options, setup_clients, catalogue_, storage_->projects(), storage_->setups());
    return *project_setup_;
}

void App::register_hooks(net::HttpServer& intake) {
    const auto hook = [&](const std::string& name, net::RequestHandler handler) {
        intake.hook(name, hooks::store_guarded(std::move(handler), *store_health_));
    };
    hook("jenkins", hooks::jenkins_hook(settings_.jenkins_webhook_token, *deploys_, *audit_));
    const hooks::SentryHookOptions sentry_options{
        settings_.sentry_client_secret, settings_.sentry_legacy_token, settings_.sentry_max_skew};
    const hooks::SentryHookTargets targets{storage_->alert_inbox(), *audit_, clock_,
                                           [relay = alert_relay_.get()] { relay->wake(); }};
    hook("sentry", hooks::sentry_hook(sentry_options, targets));
    hook("sentry-legacy", hooks::sentry_legacy_hook(sentry_options, targets));
}

namespace {

// Tells this process from an earlier one of the same replica.
std::string process_nonce() {
    std::random_device random;
    char text[17];
    std::snprintf(text, sizeof text, "%08x%08x", random(), random());
    return text;
}

}  // namespace

bool App::join_replicas(std::ostream& err, std::function<void()> evicted) {
    LeaseStore& store = storage_->leases();
    // A SQLite database belongs to one process: what an earlier one held,
    // killed or not, is this one's.
    if (storage_->backend() == db::Backend::sqlite) store.clear();
    const LeaseHolder self{settings_.replica_id, local_host_name(), static_cast<long>(getpid()),
                           process_nonce()};
    lease_keeper_ =
        std::make_unique<LeaseKeeper>(store, self, LeaseKeeperOptions{.ttl = settings_.lease_ttl});
    lease_keeper_->on_evicted(std::move(evicted));
    try {
        if (const auto refused =
                lease_keeper_->join(settings_.lease_ttl + std::chrono::seconds(2))) {
            err << "opsbot: " << *refused << "\n";
            return false;
        }
        spdlog::info(
            "replicas: joined as {} ({}); alive: {}", settings_.replica_id,
            storage_->backend() == db::Backend::sqlite ? "SQLite: the only one" : "PostgreSQL",
            describe_replicas(store));
    } catch (const db::DatabaseError& e) {
        err << "opsbot: cannot take this replica's lease: " << e.what() << "\n";
        return false;
    }
    return true;
}

void App::start_background(bool relay_alerts) {
    if (lease_keeper_) return start_singletons();
    start_local(relay_alerts);
}

// The console relays alerts only when it serves webhooks itself: opened on
// the production database, it must not take Slack's queued alerts away.
void App::start_local(bool relay_alerts) {
    deploys_->resume();
    if (!relay_alerts) return;
    runbooks_->recover();
    alert_relay_->start();
    backup_watch_->start();
    prune_jobs_->start();
}

// Each singleton starts where its lease is gained, under its grant's write
// fence, and is halted (not waited for: the keeper's thread renews the other
// leases) when the lease is lost. Deploys are started, and Jenkins webhooks
// handled, on every replica; only the "deploys" holder polls Jenkins.
void App::start_singletons() {
    runbooks_->recover();
    deploys_->follow_under(std::nullopt);
    deploys_->resume();
    LeaseKeeper& keeper = *lease_keeper_;
    keeper.singleton(
        "deploys", [this](const LeaseGrant& grant) { deploys_->follow_under(grant); },
        [this] { deploys_->follow_under(std::nullopt); });
    keeper.singleton(
        "alerts", [this](const LeaseGrant& grant) { alert_relay_->start(grant); },
        [this] { alert_relay_->halt(); });
    keeper.singleton(
        "backup-watch", [this](const LeaseGrant& grant) { backup_watch_->start(grant); },
        [this] { backup_watch_->halt(); });
    keeper.singleton(
        "runbooks", [this](const LeaseGrant& grant) { runbook_takeover_->start(grant); },
        [this] { runbook_takeover_->halt(); });
    keeper.singleton(
        "confirmations", [this](const LeaseGrant& grant) { confirmation_sweep_->start(grant); },
        [this] { confirmation_sweep_->halt(); });
    keeper.singleton(
        "prune", [this](const LeaseGrant& grant) { prune_jobs_->start(grant); },
        [this] { prune_jobs_->halt(); });
    keeper.start();
}

// The keeper first: its stop() runs every lost() and releases the leases, and
// no gained() can restart a service stopped below.
void App::stop_background() {
    if (lease_keeper_) lease_keeper_->stop();
    backup_watch_->stop();
    alert_relay_->stop();
    deploys_->stop();
    runbook_takeover_->stop();
    confirmation_sweep_->stop();
    prune_jobs_->stop();
}

void App::leave_replicas() {
    if (lease_keeper_) lease_keeper_->leave();
}

std::unique_ptr<App> App::start(const Settings& settings, std::ostream& err) {
    std::unique_ptr<App> app(new App(settings));
    auto loaded = load_catalogue_file(settings.config_path);
    if (!loaded.ok()) {
        err << format_problems(loaded.problems)
            << "opsbot will not start with an invalid catalogue; fix the lines above "
               "(opsbot check-config shows them again).\n";
        return nullptr;
    }
    app->catalogue_.replace(std::move(loaded.catalogue));
    auto runbooks = load_runbooks_dir(app->catalogue()->runbooks_dir);
    if (!runbooks.ok()) {
        err << format_problems(runbooks.problems)
            << "opsbot will not start with an invalid runbook; fix the lines above.\n";
        return nullptr;
    }
    app->runbook_definitions_ = std::move(runbooks.runbooks);
    if (!app->open_storage(err)) return nullptr;
    describe_standard_metrics(app->metrics_);
    app->start_services();
    const auto catalogue = app->catalogue();
    spdlog::info("opsbot ready: {} project(s), {} role(s), database {}", catalogue->projects.size(),
                 catalogue->roles.size(), db::describe(app->storage_->target()));
    return app;
}

}  // namespace opsbot
