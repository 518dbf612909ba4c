// The steps that talk to Slack, Sentry, Jenkins and Cloudflare. Each looks
// first: with facts == nullptr it reports what it would do (the plan), with
// facts it creates only what is missing, so a resume never duplicates.

#include <spdlog/spdlog.h>

#include "bot/newproject/project_setup_service.hpp"
#include "bot/newproject/setup_steps.hpp"
#include "bot/slack/web_api.hpp"
#include "core/text.hpp"

namespace opsbot {

namespace setup {

std::vector<cloudflare::DnsRecord> wanted_records(const NewProjectRequest& request) {
    std::vector<cloudflare::DnsRecord> records;
    records.push_back({"", "A", request.domain, request.server_ip, true});
    if (request.server_host.empty())
        records.push_back({"", "A", "direct." + request.domain, request.server_ip, false});
    else
        records.push_back({"", "CNAME", "direct." + request.domain, request.server_host, false});
    return records;
}

}  // namespace setup

namespace {

bool is_slack_user(const std::string& id) {
    return !id.empty() && (id[0] == 'U' || id[0] == 'W');
}

std::string sentry_project_link(const sentry::SentryConfig& config, const std::string& slug) {
    std::string base = config.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/organizations/" + config.org + "/projects/" + slug + "/";
}

}  // namespace

StepReport ProjectSetupService::slack_step(const NewProjectRequest& request, SetupFacts* facts) {
    slack::WebApi* api = slack_.load();
    if (!api)
        return setup::skipped("no Slack connection here (console mode): create #" + request.slug +
                              " by hand");
    auto found = api->find_channel(request.slug);
    if (!found) return setup::failed(found.error(), "could not list the channels");
    if (!facts) {
        if (found.value())
            return setup::exists("<#" + *found.value() + "> (#" + request.slug + ")",
                                 *found.value());
        return setup::will_create("create #" + request.slug + " and invite " +
                                  (is_slack_user(request.requester_id)
                                       ? "<@" + request.requester_id + ">"
                                       : std::string("the requester")));
    }
    std::string channel = found.value().value_or("");
    const bool existed = !channel.empty();
    if (!existed) {
        auto created = api->conversations_create(request.slug, false);
        if (!created && created.error().code == "name_taken") {
            // Archived, or made between our look and our create: use it.
            auto again = api->find_channel(request.slug);
            if (again && again.value()) created = *again.value();
        }
        if (!created) return setup::failed(created.error(), "#" + request.slug + " not created");
        channel = created.value();
    } else if (auto joined = api->conversations_join(channel); !joined) {
        spdlog::warn("newproject: could not join #{}: {}", request.slug, joined.error().message);
    }
    (*facts)["channel_id"] = channel;
    std::string summary = "<#" + channel + "> " + (existed ? "(already there)" : "created");
    if (is_slack_user(request.requester_id)) {
        const auto invited = api->conversations_invite(channel, {request.requester_id});
        if (invited || invited.error().code == "already_in_channel")
            summary += ", <@" + request.requester_id + "> invited";
        else
            summary += "; could not invite <@" + request.requester_id +
                       ">: " + invited.error().code + " (invite them by hand)";
    }
    return existed ? setup::exists(summary, channel) : setup::done(summary, channel);
}

StepReport ProjectSetupService::sentry_step(const NewProjectRequest& request, SetupFacts* facts) {
    auto* sentry = clients_.sentry;
    if (!sentry) return setup::skipped("SENTRY_ORG and SENTRY_AUTH_TOKEN are not set");
    const std::string link = sentry_project_link(clients_.sentry_config, request.slug);
    auto found = sentry->find_project(request.slug);
    if (!found) return setup::failed(found.error(), "could not look the project up");
    const bool existed = found.value().has_value();
    if (!existed && options_.sentry_team.empty())
        return setup::skipped("SENTRY_TEAM is not set: opsbot does not know which team owns it");
    if (!facts)
        return existed ? setup::exists("project `" + request.slug + "`", request.slug, link)
                       : setup::will_create("project `" + request.slug + "` under team `" +
                                            options_.sentry_team + "`, its DSN and an alert rule");
    if (!existed) {
        auto created = sentry->create_project(options_.sentry_team, request.slug,
                                              request.name.empty() ? request.slug : request.name);
        if (!created && created.error().code != "sentry_exists")
            return setup::failed(created.error(), "project `" + request.slug + "` not created");
    }
    (*facts)["sentry_project"] = request.slug;
    auto dsn = sentry->project_dsn(request.slug);
    if (!dsn) return setup::failed(dsn.error(), "project `" + request.slug + "` has no DSN yet");
    (*facts)["sentry_dsn"] = dsn.value();
    std::string summary =
        "project `" + request.slug + "` " + (existed ? "(already there)" : "created");
    std::string external = request.slug;
    if (options_.sentry_app_slug.empty()) {
        summary += "; no SENTRY_APP_SLUG, so no alert rule: add one that notifies opsbot";
    } else {
        const sentry::AlertRuleSpec rule{.service = options_.sentry_app_slug};
        auto rule_id = sentry->find_alert_rule(request.slug, rule.name);
        if (!rule_id) return setup::failed(rule_id.error(), summary + "; alert rule not checked");
        if (!rule_id.value()) {
            auto made = sentry->create_alert_rule(request.slug, rule);
            if (!made) return setup::failed(made.error(), summary + "; alert rule not created");
            rule_id = std::optional<std::string>{made.value()};
        }
        summary += ", alerts to `" + options_.sentry_app_slug + "` (rule " + *rule_id.value() + ")";
        external += " rule " + *rule_id.value();
    }
    return existed ? setup::exists(summary, external, link) : setup::done(summary, external, link);
}

StepReport ProjectSetupService::jenkins_step(const NewProjectRequest& request, SetupFacts* facts) {
    auto* jenkins = clients_.jenkins;
    if (!jenkins) return setup::skipped("JENKINS_URL is not set");
    std::vector<std::string> missing, present;
    for (Env env : kAllEnvs) {
        const auto job = job_name(request.slug, env);
        if (auto config = job_config(request, env); !config)
            return setup::failed(config.error(), "templates not usable");
        auto exists = jenkins->job_exists(job);
        if (!exists) return setup::failed(exists.error(), "could not look " + job + " up");
        (exists.value() ? present : missing).push_back(job);
    }
    const std::string prod_link = jenkins->job_url(job_name(request.slug, Env::prod));
    std::string urls;
    for (Env env : kAllEnvs)
        urls += (urls.empty() ? "" : " ") + jenkins->job_url(job_name(request.slug, env));
    if (missing.empty()) {
        if (facts)
            for (Env env : kAllEnvs)
                (*facts)[std::string("job.") + to_string(env)] = job_name(request.slug, env);
        return setup::exists("`" + join(present, "`, `") + "`", urls, prod_link);
    }
    if (!facts)
        return setup::will_create(
            "`" + join(missing, "`, `") + "` from config/jenkins/" +
            (present.empty() ? "" : " (`" + join(present, "`, `") + "` exist)"));
    for (Env env : kAllEnvs) {
        const auto job = job_name(request.slug, env);
        (*facts)[std::string("job.") + to_string(env)] = job;
        if (std::find(missing.begin(), missing.end(), job) == missing.end()) continue;
        // Folders first, outermost first; each only when missing.
        const auto parts = split(job, '/');
        std::string folder;
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
            folder += (folder.empty() ? "" : "/") + parts[i];
            auto there = jenkins->job_exists(folder);
            if (!there) return setup::failed(there.error(), "folder " + folder + " not checked");
            if (there.value()) continue;
            auto xml = folder_config();
            if (!xml) return setup::failed(xml.error(), "folder " + folder + " not created");
            if (auto made = jenkins->create_job(folder, xml.value());
                !made && made.error().code != "jenkins_job_exists")
                return setup::failed(made.error(), "folder " + folder + " not created");
        }
        auto config = job_config(request, env);
        if (!config) return setup::failed(config.error(), job + " not created");
        if (auto made = jenkins->create_job(job, config.value());
            !made && made.error().code != "jenkins_job_exists")
            return setup::failed(made.error(), job + " not created");
    }
    return setup::done("`" + join(missing, "`, `") + "` created" +
                           (present.empty() ? "" : " (`" + join(present, "`, `") + "` were there)"),
                       urls, prod_link);
}

StepReport ProjectSetupService::cloudflare_step(const NewProjectRequest& request,
                                                SetupFacts* facts) {
    auto* cloudflare = clients_.cloudflare;
    if (!cloudflare) return setup::skipped("CLOUDFLARE_API_TOKEN is not set");
    auto zone = cloudflare->find_zone(request.domain);
    if (!zone) return setup::failed(zone.error(), "no zone");
    std::vector<cloudflare::DnsRecord> missing;
    std::vector<std::string> ids, lines;
    for (const auto& want : setup::wanted_records(request)) {
        auto found = cloudflare->find_records(zone.value(), want.name);
        if (!found) return setup::failed(found.error(), "could not list " + want.name);
        const std::string line = want.type + " " + want.name + " → " + want.content +
                                 (want.proxied ? " (proxied)" : " (DNS only)");
        bool same = false;
        for (const auto& have : found.value()) {
            if (have.type == want.type && to_lower(have.content) == to_lower(want.content)) {
                same = true;
                ids.push_back(have.type + " " + have.id);
            } else if (have.type == "A" || have.type == "AAAA" || have.type == "CNAME") {
                return setup::failed(
                    Error{"dns_conflict",
                          want.name + " already has " + have.type + " → " + have.content,
                          "change or delete that record by hand (or run the move-site runbook), "
                          "then `newproject resume " +
                              request.slug + "`"},
                    "records not changed");
            }
        }
        if (!same) missing.push_back(want);
        lines.push_back(line + (same ? " exists" : ""));
    }
    if (facts) (*facts)["zone_id"] = zone.value();
    if (missing.empty()) return setup::exists(join(lines, "; "), join(ids, ", "));
    if (!facts) return setup::will_create(join(lines, "; "));
    for (const auto& record : missing) {
        auto made = cloudflare->create_record(zone.value(), record);
        if (!made) return setup::failed(made.error(), record.name + " not created");
        ids.push_back(made.value().type + " " + made.value().id);
    }
    return setup::done(join(lines, "; "), join(ids, ", "));
}

}  // namespace opsbot
