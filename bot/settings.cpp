#include "bot/settings.hpp"

#include <cstdlib>

#include "adapters/aws/s3.hpp"
#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/git/git_mirror.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "core/leases.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "persistence/storage.hpp"

namespace opsbot {
namespace {

// Variables whose values are secrets: masked wherever they might appear.
// PGPASSWORD is libpq's own: the HA compose file hands the password so.
constexpr const char* kSecretVariables[] = {
    "SLACK_APP_TOKEN",      "SLACK_BOT_TOKEN",       "SLACK_SIGNING_SECRET",
    "JENKINS_API_TOKEN",    "JENKINS_WEBHOOK_TOKEN", "SENTRY_AUTH_TOKEN",
    "SENTRY_CLIENT_SECRET", "CLOUDFLARE_API_TOKEN",  "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",    "SENTRY_LEGACY_TOKEN",   "OPSBOT_GIT_TOKEN",
    "PGPASSWORD",
};

// The URL's password is a secret; the rest of it is shown (doctor, logs).
void register_database_password(const std::string& url) {
    if (url.empty()) return;
    try {
        const auto target = db::storage_target(url, "");
        if (!target.password.empty()) register_secret(target.password);
    } catch (const db::DatabaseError&) {
        // Reported when the store opens; the URL itself is never echoed.
    }
}

std::string value_or(const EnvLookup& lookup, const std::string& name, std::string fallback) {
    const auto value = lookup(name);
    return value && !value->empty() ? *value : std::move(fallback);
}

void read_duration(const EnvLookup& lookup, const std::string& name, std::chrono::seconds& out,
                   std::vector<std::string>& problems) {
    const auto text = value_or(lookup, name, "");
    if (text.empty()) return;
    const auto parsed = parse_duration(text);
    if (parsed && parsed->count() > 0)
        out = *parsed;
    else
        problems.push_back(name + " '" + text + "' is not a duration like 10s or 2m; using " +
                           std::to_string(out.count()) + "s");
}

// The Socket Mode watchdog's also in milliseconds: "500ms".
void read_duration(const EnvLookup& lookup, const std::string& name, std::chrono::milliseconds& out,
                   std::vector<std::string>& problems) {
    const auto text = value_or(lookup, name, "");
    if (text.empty()) return;
    const bool millis = text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0;
    const auto parsed = parse_duration(millis ? text.substr(0, text.size() - 2) : text);
    if (parsed && parsed->count() > 0)
        out = millis ? std::chrono::milliseconds(parsed->count()) : *parsed;
    else
        problems.push_back(name + " '" + text + "' is not a duration like 5s or 500ms; using " +
                           format_duration(out));
}

// Slack shows the person an error when a form's ack takes 3 s; past this
// opsbot acks plain, so it must leave room for the ack's own way there.
void read_answer_within(const EnvLookup& lookup, std::chrono::milliseconds& out,
                        std::vector<std::string>& problems) {
    constexpr auto kSlackWaits = std::chrono::milliseconds(3'000);
    auto within = out;
    read_duration(lookup, "OPSBOT_SLACK_ANSWER_WITHIN", within, problems);
    if (within < kSlackWaits) {
        out = within;
        return;
    }
    problems.push_back("OPSBOT_SLACK_ANSWER_WITHIN '" +
                       value_or(lookup, "OPSBOT_SLACK_ANSWER_WITHIN", "") +
                       "' is not under Slack's 3s; using " + format_duration(out));
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> parts;
    for (const auto& part : split(text, ','))
        if (auto trimmed = trim(part); !trimmed.empty()) parts.push_back(std::move(trimmed));
    return parts;
}

void read_sentry(const EnvLookup& lookup, LoadedSettings& loaded) {
    Settings& s = loaded.settings;
    s.sentry_url = value_or(lookup, "SENTRY_URL", s.sentry_url);
    s.sentry_auth_token = value_or(lookup, "SENTRY_AUTH_TOKEN", "");
    s.sentry_org = value_or(lookup, "SENTRY_ORG", "");
    s.sentry_client_secret = value_or(lookup, "SENTRY_CLIENT_SECRET", "");
    s.sentry_legacy_token = value_or(lookup, "SENTRY_LEGACY_TOKEN", "");
    s.alert_channel = value_or(lookup, "OPSBOT_ALERT_CHANNEL", "");
    read_duration(lookup, "OPSBOT_SENTRY_MAX_SKEW", s.sentry_max_skew, loaded.problems);
    read_duration(lookup, "OPSBOT_ALERT_DIGEST_INTERVAL", s.alert_digest_interval, loaded.problems);
    if (s.sentry_auth_token.empty() != s.sentry_org.empty())
        loaded.problems.push_back(
            "SENTRY_AUTH_TOKEN and SENTRY_ORG go together: the Resolve, Ignore and Mute buttons "
            "stay off until both are set");
}

void read_newproject(const EnvLookup& lookup, LoadedSettings& loaded) {
    Settings& s = loaded.settings;
    s.public_url = value_or(lookup, "OPSBOT_PUBLIC_URL", "");
    s.sentry_team = value_or(lookup, "SENTRY_TEAM", "");
    s.sentry_app_slug = value_or(lookup, "SENTRY_APP_SLUG", "");
    s.jenkins_templates = value_or(lookup, "OPSBOT_JENKINS_TEMPLATES", "");
    s.newproject_job = value_or(lookup, "NEWPROJECT_JENKINS_JOB", s.newproject_job);
    s.newproject_repo = value_or(lookup, "NEWPROJECT_REPO", "");
    s.git_dir = value_or(lookup, "OPSBOT_GIT_DIR", "");
    s.git_ssh_key = value_or(lookup, "OPSBOT_GIT_SSH_KEY", "");
    s.git_known_hosts = value_or(lookup, "OPSBOT_GIT_KNOWN_HOSTS", "");
    s.git_token = value_or(lookup, "OPSBOT_GIT_TOKEN", "");
    s.git_author = value_or(lookup, "OPSBOT_GIT_AUTHOR", s.git_author);
    s.git_email = value_or(lookup, "OPSBOT_GIT_EMAIL", s.git_email);
    if (s.newproject_job.find("{project}") == std::string::npos ||
        s.newproject_job.find("{env}") == std::string::npos) {
        loaded.problems.push_back(
            "NEWPROJECT_JENKINS_JOB must contain {project} and {env}; using "
            "clients/{project}/deploy-{env}");
        s.newproject_job = "clients/{project}/deploy-{env}";
    }
}

void read_sites(const EnvLookup& lookup, LoadedSettings& loaded) {
    Settings& s = loaded.settings;
    s.cloudflare_api_url = value_or(lookup, "CLOUDFLARE_API_URL", s.cloudflare_api_url);
    if (s.cloudflare_api_url.back() != '/') s.cloudflare_api_url += '/';
    s.cloudflare_api_token = value_or(lookup, "CLOUDFLARE_API_TOKEN", "");
    s.backup_bucket = value_or(lookup, "BACKUP_BUCKET", "");
    s.backup_prefix = value_or(lookup, "BACKUP_PREFIX", s.backup_prefix);
    read_duration(lookup, "BACKUP_LINK_TTL", s.backup_link_ttl, loaded.problems);
    if (s.backup_link_ttl > std::chrono::hours(24 * 7)) {
        loaded.problems.push_back("BACKUP_LINK_TTL is longer than S3 allows (7 days); using 7d");
        s.backup_link_ttl = std::chrono::hours(24 * 7);
    }
    read_duration(lookup, "BACKUP_MAX_AGE", s.backup_max_age, loaded.problems);
    s.backup_check_at = value_or(lookup, "OPSBOT_BACKUP_CHECK_AT", "");
    s.aws_access_key_id = value_or(lookup, "AWS_ACCESS_KEY_ID", "");
    s.aws_secret_access_key = value_or(lookup, "AWS_SECRET_ACCESS_KEY", "");
    s.aws_session_token = value_or(lookup, "AWS_SESSION_TOKEN", "");
    s.aws_region = value_or(lookup, "AWS_REGION", s.aws_region);
    s.s3_endpoint = value_or(lookup, "S3_ENDPOINT", "");
}

}  // namespace

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string(value);
    };
}

LoadedSettings load_settings(const EnvLookup& lookup) {
    LoadedSettings loaded;
    Settings& s = loaded.settings;
    for (const char* name : kSecretVariables)
        if (const auto value = lookup(name)) register_secret(*value);
    s.config_path = value_or(lookup, "OPSBOT_CONFIG", s.config_path);
    s.database_path = value_or(lookup, "OPSBOT_DB", s.database_path);
    s.database_url = value_or(lookup, "OPSBOT_DATABASE_URL", "");
    register_database_password(s.database_url);
    s.console_user = value_or(lookup, "OPSBOT_CONSOLE_USER", "");
    s.slack_app_token = value_or(lookup, "SLACK_APP_TOKEN", "");
    s.slack_bot_token = value_or(lookup, "SLACK_BOT_TOKEN", "");
    s.slack_api_url = value_or(lookup, "SLACK_API_URL", s.slack_api_url);
    if (s.slack_api_url.back() != '/') s.slack_api_url += '/';
    s.listen = value_or(lookup, "OPSBOT_LISTEN", s.listen);
    s.listen_explicit = !value_or(lookup, "OPSBOT_LISTEN", "").empty();
    read_duration(lookup, "OPSBOT_SLACK_PING_INTERVAL", s.slack_ping_interval, loaded.problems);
    read_duration(lookup, "OPSBOT_SLACK_PONG_TIMEOUT", s.slack_pong_timeout, loaded.problems);
    read_answer_within(lookup, s.slack_answer_within, loaded.problems);
    read_duration(lookup, "OPSBOT_RECONNECT_BACKOFF", s.reconnect_backoff, loaded.problems);
    read_duration(lookup, "OPSBOT_SHUTDOWN_GRACE", s.shutdown_grace, loaded.problems);
    read_duration(lookup, "OPSBOT_CONFIRMATION_TTL", s.confirmation_ttl, loaded.problems);
    read_duration(lookup, "OPSBOT_HOME_DEBOUNCE", s.home_debounce, loaded.problems);
    // A container's host name is its own: replicas differ without setting it.
    s.replica_id = value_or(lookup, "OPSBOT_REPLICA_ID", local_host_name());
    if (!valid_replica_id(s.replica_id)) {
        loaded.problems.push_back("OPSBOT_REPLICA_ID '" + s.replica_id +
                                  "' is not 1 to 63 letters, digits, '.', '_' or '-'; using "
                                  "'opsbot'");
        s.replica_id = "opsbot";
    }
    s.log.replica = s.replica_id;
    read_duration(lookup, "OPSBOT_LEASE_TTL", s.lease_ttl, loaded.problems);
    if (s.lease_ttl < std::chrono::seconds(2)) {
        loaded.problems.push_back(
            "OPSBOT_LEASE_TTL below 2s leaves no time to renew a lease; "
            "using 2s");
        s.lease_ttl = std::chrono::seconds(2);
    }
    read_duration(lookup, "OPSBOT_DEPLOY_POLL_INTERVAL", s.deploy_poll_interval, loaded.problems);
    read_duration(lookup, "OPSBOT_DEPLOY_TIMEOUT", s.deploy_timeout, loaded.problems);
    read_duration(lookup, "OPSBOT_RELEASE_BUILD_WAIT", s.release_build_wait, loaded.problems);
    s.jenkins_url = value_or(lookup, "JENKINS_URL", "");
    if (!s.jenkins_url.empty() && s.jenkins_url.back() != '/') s.jenkins_url += '/';
    s.jenkins_user = value_or(lookup, "JENKINS_USER", "");
    s.jenkins_api_token = value_or(lookup, "JENKINS_API_TOKEN", "");
    s.jenkins_webhook_token = value_or(lookup, "JENKINS_WEBHOOK_TOKEN", "");
    if (!s.jenkins_url.empty() && (s.jenkins_user.empty() || s.jenkins_api_token.empty()))
        loaded.problems.push_back(
            "JENKINS_URL is set but JENKINS_USER or JENKINS_API_TOKEN is not: Jenkins will "
            "refuse opsbot's requests");
    read_sentry(lookup, loaded);
    read_sites(lookup, loaded);
    read_newproject(lookup, loaded);
    const auto problem = parse_log_settings(value_or(lookup, "OPSBOT_LOG_LEVEL", ""),
                                            value_or(lookup, "OPSBOT_LOG_FORMAT", ""), s.log);
    if (!problem.empty()) loaded.problems.push_back(problem);
    if (!s.slack_app_token.empty() && !starts_with(s.slack_app_token, "xapp-"))
        loaded.problems.push_back(
            "SLACK_APP_TOKEN should start with xapp- (an app-level token "
            "with the connections:write scope)");
    if (!s.slack_bot_token.empty() && !starts_with(s.slack_bot_token, "xoxb-"))
        loaded.problems.push_back(
            "SLACK_BOT_TOKEN should start with xoxb- (the bot user OAuth token)");
    return loaded;
}

jenkins::JenkinsConfig Settings::jenkins_config() const {
    return {.base_url = jenkins_url, .user = jenkins_user, .api_token = jenkins_api_token};
}

sentry::SentryConfig Settings::sentry_config() const {
    return {.base_url = sentry_url, .auth_token = sentry_auth_token, .org = sentry_org};
}

cloudflare::CloudflareConfig Settings::cloudflare_config() const {
    return {.api_url = cloudflare_api_url, .api_token = cloudflare_api_token};
}

aws::S3Config Settings::s3_config() const {
    return {.bucket = backup_bucket,
            .region = aws_region,
            .endpoint = s3_endpoint,
            .credentials = {.access_key_id = aws_access_key_id,
                            .secret_access_key = aws_secret_access_key,
                            .session_token = aws_session_token}};
}

git::GitConfig Settings::git_config() const {
    std::string dir = git_dir;
    if (dir.empty()) {
        const auto slash = database_path.find_last_of('/');
        dir = (slash == std::string::npos ? std::string(".") : database_path.substr(0, slash)) +
              "/git";
    }
    return {.mirrors_dir = dir,
            .credentials = {.ssh_key_path = git_ssh_key,
                            .known_hosts_path = git_known_hosts,
                            .https_token = git_token},
            .author_name = git_author,
            .author_email = git_email};
}

Actor console_actor(const Settings& settings, const Catalogue& catalogue) {
    Actor actor;
    actor.source = Source::console;
    actor.local = true;
    const auto ids = split_commas(settings.console_user);
    if (ids.empty()) {
        actor.user_id = "console";
        actor.name = "local console user (every role)";
        actor.all_roles = true;
        return actor;
    }
    actor.user_id = ids.front();
    actor.usergroups.assign(ids.begin() + 1, ids.end());
    actor.name = "console as " + actor.user_id;
    for (const auto& member : catalogue.members)
        if (member.user == actor.user_id && !member.name.empty())
            actor.name = "console as " + member.name;
    return actor;
}

}  // namespace opsbot
