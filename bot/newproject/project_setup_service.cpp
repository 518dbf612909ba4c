#include "bot/newproject/project_setup_service.hpp"

#include <fstream>
#include <sstream>

#include "bot/newproject/setup_steps.hpp"
#include "core/catalogue_writer.hpp"
#include "core/redact.hpp"
#include "core/templates.hpp"
#include "core/text.hpp"

namespace opsbot {

namespace {

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
    return text;
}

Result<std::string> read_template(const std::string& dir, const std::string& file) {
    const std::string path = (dir.empty() ? std::string("config/jenkins") : dir) + "/" + file;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{"template_missing", "cannot read the Jenkins template " + path,
                     "put the job templates in config/jenkins/ or set OPSBOT_JENKINS_TEMPLATES"};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// One request of the dry run: the line, and the body when it is short.
std::string request_line(const HttpRequest& request, const std::string& body_note = "") {
    std::string text = request.method + " " + request.url + "\n";
    if (!body_note.empty())
        text += "    " + body_note + "\n";
    else if (!request.body.empty())
        text += "    " + request.body + "\n";
    return text;
}

}  // namespace

ProjectSetupService::ProjectSetupService(ProjectSetupOptions options, SetupClients clients,
                                         CatalogueSource& catalogue, ProjectRegistry& registry,
                                         SetupStore& store)
    : options_(std::move(options)),
      clients_(std::move(clients)),
      catalogue_(catalogue),
      registry_(registry),
      store_(store) {}

std::string ProjectSetupService::job_name(const std::string& slug, Env env) const {
    return replace_all(replace_all(options_.job_pattern, "{project}", slug), "{env}",
                       to_string(env));
}

std::string ProjectSetupService::default_repo(const std::string& slug) const {
    return options_.repo_pattern.empty() ? std::string{}
                                         : replace_all(options_.repo_pattern, "{project}", slug);
}

Result<std::string> ProjectSetupService::job_config(const NewProjectRequest& request,
                                                    Env env) const {
    auto text =
        read_template(options_.templates_dir, std::string("deploy-") + to_string(env) + ".xml");
    if (!text) return text.error();
    const std::map<std::string, std::string> values{
        {"PROJECT", request.slug},
        {"NAME", request.name.empty() ? request.slug : request.name},
        {"ENV", to_string(env)},
        {"BRANCH", env == Env::prod ? "master" : "develop"},
        {"REPO", request.repo},
        {"DOMAIN", request.domain},
        {"JOB", job_name(request.slug, env)},
        {"NOTIFY_URL", options_.notify_url},
    };
    auto filled = fill_template(text.value(), values, xml_escape);
    if (!filled)
        return Error{filled.error().code,
                     "deploy-" + std::string(to_string(env)) + ".xml: " + filled.error().message,
                     filled.error().hint};
    return filled;
}

Result<std::string> ProjectSetupService::folder_config() const {
    return read_template(options_.templates_dir, "folder.xml");
}

StepReport ProjectSetupService::probe(SetupStep step, const NewProjectRequest& request) {
    return apply_or_probe(step, request, nullptr);
}

StepReport ProjectSetupService::apply(SetupStep step, const NewProjectRequest& request,
                                      SetupFacts& facts) {
    return apply_or_probe(step, request, &facts);
}

StepReport ProjectSetupService::apply_or_probe(SetupStep step, const NewProjectRequest& request,
                                               SetupFacts* facts) {
    StepReport report;
    try {
        switch (step) {
            case SetupStep::slack:
                report = slack_step(request, facts);
                break;
            case SetupStep::sentry:
                report = sentry_step(request, facts);
                break;
            case SetupStep::jenkins:
                report = jenkins_step(request, facts);
                break;
            case SetupStep::cloudflare:
                report = cloudflare_step(request, facts);
                break;
            case SetupStep::catalogue:
                report = catalogue_step(request, facts);
                break;
        }
    } catch (const std::exception& e) {
        report = setup::failed(Error{"internal", e.what(), "see opsbot's log"});
    }
    report.step = step;
    report.summary = redact(report.summary);
    report.error = redact(report.error);
    return report;
}

StepReport ProjectSetupService::catalogue_step(const NewProjectRequest& request,
                                               SetupFacts* facts) {
    const auto catalogue = catalogue_.current();
    if (catalogue->find_project(request.slug))
        return setup::exists("`" + request.slug + "` is in the catalogue",
                             "catalogue:" + request.slug);
    if (!facts)
        return setup::will_create(
            "add `" + request.slug +
            "` to opsbot's project registry: /deploy and /purge work at once");
    for (Env env : kAllEnvs) {
        auto& job = (*facts)[std::string("job.") + to_string(env)];
        if (job.empty()) job = job_name(request.slug, env);
    }
    const Project project = project_from_setup(request, *facts);
    registry_.put(project, request.requester_id);
    catalogue_.upsert_project(project);
    return setup::done("`" + request.slug + "` added to the project registry",
                       "registry:" + request.slug);
}

std::string ProjectSetupService::describe(const NewProjectRequest& request) {
    std::string text;
    text += "# Slack\n";
    text +=
        "POST conversations.create\n    {\"name\":\"" + request.slug + "\",\"is_private\":false}\n";
    text += "POST conversations.invite\n    {\"channel\":\"<new channel>\",\"users\":\"" +
            request.requester_id + "\"}\n";
    text += "# Sentry\n";
    const auto& sentry = clients_.sentry_config;
    text += request_line(sentry::create_project_request(
        sentry, options_.sentry_team.empty() ? "<SENTRY_TEAM>" : options_.sentry_team, request.slug,
        request.name.empty() ? request.slug : request.name));
    text += request_line(sentry::project_keys_request(sentry, request.slug));
    if (!options_.sentry_app_slug.empty())
        text += request_line(sentry::create_alert_rule_request(
            sentry, request.slug, {.service = options_.sentry_app_slug}));
    text += "# Jenkins\n";
    for (Env env : kAllEnvs) {
        const auto job = job_name(request.slug, env);
        const auto config = job_config(request, env);
        text += request_line(
            jenkins::create_job_request(clients_.jenkins_config, job, config ? config.value() : ""),
            config ? "config.xml from deploy-" + std::string(to_string(env)) + ".xml, " +
                         std::to_string(config.value().size()) + " bytes"
                   : config.error().message);
    }
    text += "# Cloudflare\n";
    const auto& cf = clients_.cloudflare_config;
    text += request_line(cloudflare::zone_lookup_request(cf, request.domain));
    for (const auto& record : setup::wanted_records(request))
        text += request_line(
            cloudflare::dns_create_request(cf, "<zone of " + request.domain + ">", record));
    text += "# opsbot project registry\n";
    SetupFacts facts;
    for (Env env : kAllEnvs)
        facts[std::string("job.") + to_string(env)] = job_name(request.slug, env);
    facts["sentry_project"] = request.slug;
    text += project_yaml(project_from_setup(request, facts));
    return redact(text);
}

}  // namespace opsbot
