#include "bot/doctor.hpp"

#include <functional>
#include <iomanip>
#include <ostream>

#include "adapters/aws/s3.hpp"
#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/git/git_mirror.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "bot/app.hpp"
#include "bot/replicas/replica_report.hpp"
#include "bot/slack/web_api.hpp"
#include "core/config_loader.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "persistence/storage.hpp"

namespace opsbot {
namespace {

using State = DoctorCheck::State;

std::string error_text(const Error& error) {
    return error.message + (error.hint.empty() ? "" : " — " + error.hint);
}

DoctorCheck not_configured(std::string service, const std::string& variables) {
    return {std::move(service), State::not_configured, "set " + variables + " to check it"};
}

template <class T>
DoctorCheck from_result(std::string service, const Result<T>& result,
                        const std::function<std::string(const T&)>& describe) {
    if (!result.ok()) return {std::move(service), State::failed, error_text(result.error())};
    return {std::move(service), State::ok, describe(result.value())};
}

DoctorCheck check_catalogue(const Settings& settings) {
    const auto loaded = load_catalogue_file(settings.config_path);
    if (!loaded.ok())
        return {"catalogue", State::failed,
                settings.config_path + ": " + std::to_string(loaded.problems.size()) +
                    " problem(s), first: " + loaded.problems.front().message +
                    " — run opsbot check-config"};
    return {"catalogue", State::ok,
            settings.config_path + ": " + std::to_string(loaded.catalogue.projects.size()) +
                " project(s), " + std::to_string(loaded.catalogue.roles.size()) + " role(s)"};
}

DoctorCheck check_database(const Settings& settings) {
    try {
        const SystemClock clock;  // the stores keep a reference: it outlives them
        const auto storage = open_storage(settings, clock);
        storage->check_writable();
        return {"database", State::ok,
                db::describe(storage->target()) + ": schema version " +
                    std::to_string(storage->schema_version()) + ", writable"};
    } catch (const db::DatabaseError& e) {
        return {"database", State::failed, e.what()};
    }
}

// Which replica this is and, on PostgreSQL, who else runs and who holds
// each singleton work: what to look at when work seems to stall.
DoctorCheck check_replicas(const Settings& settings) {
    try {
        const SystemClock clock;
        const auto storage = open_storage(settings, clock);
        if (storage->backend() == db::Backend::sqlite)
            return {"replicas", State::ok,
                    "this is " + settings.replica_id +
                        "; SQLite belongs to one process: no other replicas"};
        return {
            "replicas", State::ok,
            "this is " + settings.replica_id + "; alive: " + describe_replicas(storage->leases())};
    } catch (const db::DatabaseError& e) {
        return {"replicas", State::failed, e.what()};
    }
}

std::vector<DoctorCheck> check_slack(const Settings& settings, HttpClient& http) {
    Metrics metrics;
    slack::WebApi api(http,
                      {settings.slack_api_url, settings.slack_bot_token, settings.slack_app_token},
                      metrics);
    std::vector<DoctorCheck> checks;
    if (settings.slack_bot_token.empty()) {
        checks.push_back(not_configured("slack bot", "SLACK_BOT_TOKEN"));
    } else {
        const std::function<std::string(const slack::AuthInfo&)> describe =
            [](const slack::AuthInfo& info) {
                return "auth.test: bot user " + info.user_id + " in team " + info.team;
            };
        checks.push_back(from_result("slack bot", api.auth_test(), describe));
    }
    if (settings.slack_app_token.empty()) {
        checks.push_back(not_configured("slack app", "SLACK_APP_TOKEN"));
    } else if (const auto link = api.open_connection(); link.ok) {
        checks.push_back({"slack app", State::ok, "apps.connections.open gave a Socket Mode URL"});
    } else {
        checks.push_back({"slack app", State::failed, link.error});
    }
    return checks;
}

DoctorCheck check_jenkins(const Settings& settings, HttpClient& http) {
    if (settings.jenkins_url.empty())
        return not_configured("jenkins", "JENKINS_URL, JENKINS_USER and JENKINS_API_TOKEN");
    jenkins::JenkinsClient client(http, settings.jenkins_config());
    const std::function<std::string(const std::string&)> describe = [&](const std::string& name) {
        return settings.jenkins_url + " knows opsbot as " + name;
    };
    return from_result("jenkins", client.who_am_i(), describe);
}

DoctorCheck check_sentry(const Settings& settings, HttpClient& http) {
    if (settings.sentry_org.empty() && settings.sentry_auth_token.empty())
        return not_configured("sentry", "SENTRY_ORG and SENTRY_AUTH_TOKEN");
    sentry::SentryClient client(http, settings.sentry_config());
    const std::function<std::string(const std::string&)> describe = [&](const std::string& name) {
        return "organization " + settings.sentry_org + " (" + name + ")";
    };
    return from_result("sentry", client.organization(), describe);
}

DoctorCheck check_cloudflare(const Settings& settings, HttpClient& http) {
    if (settings.cloudflare_api_token.empty())
        return not_configured("cloudflare", "CLOUDFLARE_API_TOKEN");
    cloudflare::CloudflareClient client(http, settings.cloudflare_config());
    const std::function<std::string(const std::string&)> describe = [](const std::string& status) {
        return "API token " + status;
    };
    return from_result("cloudflare", client.verify_token(), describe);
}

DoctorCheck check_s3(const Settings& settings, HttpClient& http) {
    if (settings.backup_bucket.empty() && settings.aws_access_key_id.empty())
        return not_configured("s3", "BACKUP_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    const SystemClock clock;
    aws::S3Client client(http, settings.s3_config(), clock);
    if (const auto listed = client.check_access(settings.backup_prefix); !listed.ok())
        return {"s3", State::failed, error_text(listed.error())};
    return {"s3", State::ok,
            "listed s3://" + settings.backup_bucket + "/" + settings.backup_prefix};
}

// Each project released by promotion: its repo fetched with the deploy key
// and host keys a release would use, so a missing key shows before a release.
std::vector<DoctorCheck> check_git(const Settings& settings) {
    std::vector<DoctorCheck> checks;
    const auto loaded = load_catalogue_file(settings.config_path);
    for (const auto& project : loaded.catalogue.projects) {
        if (project.release != ReleaseMode::promote) continue;
        const std::string service = "git " + project.slug;
        std::vector<std::string> branches;
        for (Env env : kAllEnvs)
            if (const Environment* e = project.environment(env)) branches.push_back(e->branch);
        git::GitMirror mirror(settings.git_config(), project.slug, project.repo);
        if (const auto fetched = mirror.fetch(branches); !fetched.ok()) {
            checks.push_back({service, State::failed, error_text(fetched.error())});
            continue;
        }
        checks.push_back({service, State::ok,
                          "fetched " + join(branches, " and ") + " from " + mirror.shown_remote()});
    }
    return checks;
}

const char* state_text(State state) {
    switch (state) {
        case State::ok:
            return "ok";
        case State::failed:
            return "FAILED";
        case State::not_configured:
            return "not configured";
    }
    return "";
}

}  // namespace

std::vector<DoctorCheck> run_doctor(const Settings& settings, HttpClient& http) {
    std::vector<DoctorCheck> checks{check_catalogue(settings), check_database(settings),
                                    check_replicas(settings)};
    for (auto& check : check_slack(settings, http)) checks.push_back(std::move(check));
    checks.push_back(check_jenkins(settings, http));
    checks.push_back(check_sentry(settings, http));
    checks.push_back(check_cloudflare(settings, http));
    checks.push_back(check_s3(settings, http));
    for (auto& check : check_git(settings)) checks.push_back(std::move(check));
    return checks;
}

int print_doctor(const std::vector<DoctorCheck>& checks, std::ostream& out) {
    int status = 0;
    for (const auto& check : checks) {
        out << std::left << std::setw(12) << check.service << std::setw(15)
            << state_text(check.state) << redact(check.detail) << "\n";
        if (check.state == State::failed) status = 1;
    }
    return status;
}

}  // namespace opsbot
