#pragma once
// Twelve-factor settings: every secret and endpoint comes from the
// environment. Each variable is documented in README.md and
// config/opsbot.env.example.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/command.hpp"
#include "core/logging.hpp"

namespace opsbot {

namespace jenkins {
struct JenkinsConfig;
}
namespace sentry {
struct SentryConfig;
}
namespace cloudflare {
struct CloudflareConfig;
}
namespace aws {
struct S3Config;
}
namespace git {
struct GitConfig;
}

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

struct Settings {
    std::string config_path = "config/opsbot.yaml";  // OPSBOT_CONFIG
    std::string database_path = "var/opsbot.db";     // OPSBOT_DB
    std::string database_url;     // OPSBOT_DATABASE_URL: PostgreSQL; empty: SQLite at OPSBOT_DB
    LogSettings log;              // OPSBOT_LOG_LEVEL, OPSBOT_LOG_FORMAT
    std::string console_user;     // OPSBOT_CONSOLE_USER
    std::string slack_app_token;  // SLACK_APP_TOKEN
    std::string slack_bot_token;  // SLACK_BOT_TOKEN
    std::string slack_api_url = "https://slack.com/api/";  // SLACK_API_URL
    std::string listen = "127.0.0.1:8080";                 // OPSBOT_LISTEN
    bool listen_explicit = false;                          // set: the console serves webhooks too
    std::chrono::milliseconds slack_ping_interval{3'000};  // OPSBOT_SLACK_PING_INTERVAL
    std::chrono::milliseconds slack_pong_timeout{5'000};   // OPSBOT_SLACK_PONG_TIMEOUT
    std::chrono::milliseconds slack_answer_within{2'500};  // OPSBOT_SLACK_ANSWER_WITHIN
    std::chrono::seconds reconnect_backoff{1};             // OPSBOT_RECONNECT_BACKOFF
    std::chrono::seconds shutdown_grace{10};               // OPSBOT_SHUTDOWN_GRACE
    std::chrono::seconds confirmation_ttl{600};            // OPSBOT_CONFIRMATION_TTL
    std::chrono::milliseconds home_debounce{1'000};        // OPSBOT_HOME_DEBOUNCE
    std::string replica_id;                          // OPSBOT_REPLICA_ID; default: the host name
    std::chrono::milliseconds lease_ttl{6'000};      // OPSBOT_LEASE_TTL: takeover after a death
    std::string jenkins_url;                         // JENKINS_URL; empty: deploys run dry
    std::string jenkins_user;                        // JENKINS_USER
    std::string jenkins_api_token;                   // JENKINS_API_TOKEN
    std::string jenkins_webhook_token;               // JENKINS_WEBHOOK_TOKEN
    std::chrono::seconds deploy_poll_interval{5};    // OPSBOT_DEPLOY_POLL_INTERVAL
    std::chrono::seconds deploy_timeout{3600};       // OPSBOT_DEPLOY_TIMEOUT
    std::chrono::seconds release_build_wait{1800};   // OPSBOT_RELEASE_BUILD_WAIT
    std::string sentry_url = "https://sentry.io";    // SENTRY_URL
    std::string sentry_auth_token;                   // SENTRY_AUTH_TOKEN (event:write)
    std::string sentry_org;                          // SENTRY_ORG
    std::string sentry_client_secret;                // SENTRY_CLIENT_SECRET (webhooks)
    std::string sentry_legacy_token;                 // SENTRY_LEGACY_TOKEN
    std::chrono::seconds sentry_max_skew{300};       // OPSBOT_SENTRY_MAX_SKEW
    std::string alert_channel;                       // OPSBOT_ALERT_CHANNEL
    std::chrono::seconds alert_digest_interval{60};  // OPSBOT_ALERT_DIGEST_INTERVAL
    std::string cloudflare_api_url = "https://api.cloudflare.com/client/v4/";  // CLOUDFLARE_API_URL
    std::string cloudflare_api_token;                // CLOUDFLARE_API_TOKEN
    std::string backup_bucket;                       // BACKUP_BUCKET
    std::string backup_prefix = "backups/";          // BACKUP_PREFIX
    std::chrono::seconds backup_link_ttl{3600};      // BACKUP_LINK_TTL (at most 7 days)
    std::chrono::seconds backup_max_age{26 * 3600};  // BACKUP_MAX_AGE
    std::string backup_check_at;                     // OPSBOT_BACKUP_CHECK_AT, "HH:MM" UTC
    std::string aws_access_key_id;                   // AWS_ACCESS_KEY_ID
    std::string aws_secret_access_key;               // AWS_SECRET_ACCESS_KEY
    std::string aws_session_token;                   // AWS_SESSION_TOKEN
    std::string aws_region = "us-east-1";            // AWS_REGION
    std::string s3_endpoint;                         // S3_ENDPOINT (path-style)
    // newproject
    std::string public_url;         // OPSBOT_PUBLIC_URL: where Jenkins and Sentry reach opsbot
    std::string sentry_team;        // SENTRY_TEAM: owns the new Sentry projects
    std::string sentry_app_slug;    // SENTRY_APP_SLUG: the integration alert rules notify
    std::string jenkins_templates;  // OPSBOT_JENKINS_TEMPLATES (default: config/jenkins)
    std::string newproject_job = "clients/{project}/deploy-{env}";  // NEWPROJECT_JENKINS_JOB
    std::string newproject_repo;  // NEWPROJECT_REPO, e.g. git@git.example.com:clients/{project}.git
    // Releases by promotion
    std::string git_dir;                // OPSBOT_GIT_DIR (default: git/ next to the database)
    std::string git_ssh_key;            // OPSBOT_GIT_SSH_KEY: path of the deploy key
    std::string git_known_hosts;        // OPSBOT_GIT_KNOWN_HOSTS: path; unknown hosts are refused
    std::string git_token;              // OPSBOT_GIT_TOKEN: for https:// remotes
    std::string git_author = "opsbot";  // OPSBOT_GIT_AUTHOR: of merge commits
    std::string git_email = "opsbot@localhost";  // OPSBOT_GIT_EMAIL

    bool slack_configured() const { return !slack_app_token.empty() && !slack_bot_token.empty(); }
    // Each adapter's configuration, made from the variables above in this one
    // place; the adapter's client is worth making only when it is usable.
    jenkins::JenkinsConfig jenkins_config() const;
    bool jenkins_usable() const { return !jenkins_url.empty(); }
    sentry::SentryConfig sentry_config() const;
    bool sentry_usable() const { return !sentry_org.empty() && !sentry_auth_token.empty(); }
    cloudflare::CloudflareConfig cloudflare_config() const;
    bool cloudflare_usable() const { return !cloudflare_api_token.empty(); }
    aws::S3Config s3_config() const;
    git::GitConfig git_config() const;
    bool s3_usable() const {
        return !backup_bucket.empty() && !aws_access_key_id.empty() &&
               !aws_secret_access_key.empty();
    }
};

struct LoadedSettings {
    Settings settings;
    std::vector<std::string> problems;  // bad values, reported and replaced by defaults
};

// Reads the variables and registers every secret with the redactor.
LoadedSettings load_settings(const EnvLookup& lookup);

// The console's actor: OPSBOT_CONSOLE_USER="U01ALICE01[,S01OPS…]" acts as that
// Slack user (and user groups) with their roles; unset, a local user holding
// every role.
Actor console_actor(const Settings& settings, const Catalogue& catalogue);

}  // namespace opsbot
