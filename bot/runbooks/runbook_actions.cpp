#include "bot/runbooks/runbook_actions.hpp"

#include <thread>

#include "core/text.hpp"

namespace opsbot::runbooks {
namespace {

using Outcome = Result<std::string>;

std::string arg(const ActionCall& call, const std::string& name, const std::string& fallback) {
    const auto it = call.args.find(name);
    return it == call.args.end() || trim(it->second).empty() ? fallback : trim(it->second);
}

Error failed(const std::string& what, const Error& error) {
    return Error{error.code,
                 what + ": " + error.message + (error.hint.empty() ? "" : " — " + error.hint),
                 error.hint};
}

struct Site {
    std::string project;
    Env env = Env::prod;
    Environment environment;
};

// The project and environment the step names, else the run's.
Result<Site> site_of(const ActionTargets& targets, const ActionCall& call) {
    Site site;
    site.project = arg(call, "project", call.run.project);
    const auto env =
        parse_env(arg(call, "env", call.run.environment.empty() ? "prod" : call.run.environment));
    if (!env) return Error{"bad_env", "the step names no environment stage or prod", ""};
    site.env = *env;
    const auto catalogue = targets.catalogue->current();
    const auto* project = catalogue->find_project(site.project);
    if (!project)
        return Error{"unknown_project", "project '" + site.project + "' is not in the catalogue",
                     ""};
    const auto* environment = project->environment(site.env);
    if (!environment)
        return Error{"no_environment",
                     site.project + " has no " + std::string(to_string(site.env)) + " environment",
                     ""};
    site.environment = *environment;
    return site;
}

Outcome purge(const ActionTargets& targets, const ActionCall& call) {
    if (!targets.purges) return Error{"not_wired", "purges are not available here", ""};
    const auto site = site_of(targets, call);
    if (!site) return site.error();
    const auto& s = site.value();
    const PurgeRequest request{
        s.project, s.env, s.environment.domain, s.environment.cloudflare_zone, {}};
    if (!targets.purges->configured())
        return Error{"not_configured",
                     "CLOUDFLARE_API_TOKEN is not set: purge it by hand with\n" +
                         targets.purges->describe(request),
                     ""};
    const auto done = targets.purges->purge(request);
    if (!done) return failed("the purge of " + s.environment.domain, done.error());
    return "purged everything on " + s.environment.domain + " (zone " + done.value().zone_id + ")";
}

Outcome deploy(const ActionTargets& targets, const ActionCall& call) {
    if (!targets.deploys) return Error{"not_wired", "deploys are not available here", ""};
    const auto site = site_of(targets, call);
    if (!site) return site.error();
    const auto& s = site.value();
    const auto catalogue = targets.catalogue->current();
    auto plan = make_deploy_plan(*catalogue, s.project, s.env, arg(call, "ref", ""));
    if (!plan) return plan.error();
    // A project released by promotion gets new code on prod only by a release:
    // a runbook may redeploy what master has, nothing else.
    const Project* project = catalogue->find_project(s.project);
    if (project && project->release == ReleaseMode::promote && s.env == Env::prod &&
        plan.value().ref != s.environment.branch)
        return Error{"promote_no_ref",
                     s.project + " releases prod by promotion: a runbook step may redeploy `" +
                         s.environment.branch + "`, not `" + plan.value().ref + "`",
                     "release it with `release " + s.project + "`, or drop the step's ref"};
    if (!targets.deploys->configured())
        return Error{"not_configured",
                     "JENKINS_URL is not set: the deploy would send\n" +
                         targets.deploys->describe_trigger(plan.value()),
                     ""};
    const DeployRequest request{.plan = plan.value(),
                                .requester = call.actor,
                                .channel = call.run.channel,
                                .thread = call.run.thread,
                                .correlation_id = call.correlation_id};
    const auto started = targets.deploys->start(request);
    if (!started) return failed("the deploy", started.error());
    return "triggered " + plan.value().job + " (" + plan.value().ref + "), deploy " +
           std::to_string(started.value().id) + "; its progress follows in this thread";
}

Result<std::string> zone_of(const ActionTargets& targets, const Environment& environment) {
    if (!environment.cloudflare_zone.empty()) return environment.cloudflare_zone;
    return targets.cloudflare->find_zone(environment.domain);
}

Outcome dns_point(const ActionTargets& targets, const ActionCall& call) {
    const auto site = site_of(targets, call);
    if (!site) return site.error();
    const auto& environment = site.value().environment;
    cloudflare::DnsRecord wanted;
    wanted.type = arg(call, "type", "A");
    wanted.name = arg(call, "name", environment.domain);
    wanted.content = arg(call, "content", "");
    wanted.proxied = arg(call, "proxied", "true") == "true";
    if (wanted.content.empty())
        return Error{"bad_step", "cloudflare.dns.point needs `content:` (the new address)", ""};
    const std::string what = wanted.type + " " + wanted.name + " → " + wanted.content;
    if (!targets.cloudflare)
        return Error{"not_configured",
                     "CLOUDFLARE_API_TOKEN is not set: point " + what + " in the dashboard", ""};
    const auto zone = zone_of(targets, environment);
    if (!zone) return failed("the zone of " + environment.domain, zone.error());
    const auto records = targets.cloudflare->find_records(zone.value(), wanted.name);
    if (!records) return failed("the lookup of " + wanted.name, records.error());
    for (const auto& record : records.value()) {
        if (record.type != wanted.type) continue;
        if (record.content == wanted.content) return what + ": already so, nothing changed";
        wanted.id = record.id;
        const auto updated = targets.cloudflare->update_record(zone.value(), wanted);
        if (!updated) return failed("the update of " + what, updated.error());
        return "pointed " + what + " (was " + record.content + ")";
    }
    const auto created = targets.cloudflare->create_record(zone.value(), wanted);
    if (!created) return failed("the creation of " + what, created.error());
    return "created " + what;
}

Outcome wait_for_http(const ActionTargets& targets, const ActionCall& call) {
    if (!targets.http) return Error{"not_wired", "no HTTP client here", ""};
    const std::string url = arg(call, "url", "");
    if (url.empty()) return Error{"bad_step", "wait_for_http needs `url:`", ""};
    const int expected = std::atoi(arg(call, "status", "200").c_str());
    const int attempts = std::max(
        1, std::atoi(arg(call, "attempts", std::to_string(targets.http_attempts)).c_str()));
    const auto interval_arg =
        call.args.count("interval") ? parse_duration(call.args.at("interval")) : std::nullopt;
    const auto interval =
        interval_arg ? std::chrono::milliseconds(*interval_arg) : targets.http_interval;
    std::string last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        HttpRequest request{"GET", url, {}, "", std::chrono::seconds(5)};
        const auto response = targets.http->send(request);
        if (response && response.value().status == expected)
            return url + " answered " + status_text(expected) + " (attempt " +
                   std::to_string(attempt) + ")";
        last = response ? status_text(response.value().status) : response.error().message;
        if (attempt < attempts) std::this_thread::sleep_for(interval);
    }
    return Error{"http_wait_failed",
                 url + " did not answer " + status_text(expected) + " in " +
                     std::to_string(attempts) + " attempt(s); last: " + last,
                 ""};
}

}  // namespace

Result<std::string> perform_action(const ActionTargets& targets, const std::string& type,
                                   const ActionCall& call) {
    if (type == "purge") return purge(targets, call);
    if (type == "deploy") return deploy(targets, call);
    if (type == "cloudflare.dns.point") return dns_point(targets, call);
    if (type == "wait_for_http") return wait_for_http(targets, call);
    return Error{"unknown_action", "opsbot cannot run '" + type + "'", ""};
}

}  // namespace opsbot::runbooks
