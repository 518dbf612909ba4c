#pragma once
// ProjectSetup on the real services: a Slack channel, a Sentry project with
// its DSN and alert rule, Jenkins jobs from config/jenkins/, Cloudflare DNS
// records, and the project registry. Every step looks before it creates.

#include <atomic>
#include <string>

#include "adapters/cloudflare/cloudflare.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/sentry/sentry.hpp"
#include "core/catalogue_source.hpp"
#include "core/project_setup.hpp"

namespace opsbot {

namespace slack {
class WebApi;
}

struct ProjectSetupOptions {
    std::string sentry_team;      // SENTRY_TEAM
    std::string sentry_app_slug;  // SENTRY_APP_SLUG
    std::string templates_dir;    // config/jenkins
    std::string job_pattern = "clients/{project}/deploy-{env}";
    std::string repo_pattern;  // "git@git.example.com:clients/{project}.git"
    std::string notify_url;    // the Jenkins notification endpoint, token included
};

// The clients are null when their service is not configured: the step is
// then skipped, and the dry run shows the requests with the configs given.
struct SetupClients {
    sentry::SentryClient* sentry = nullptr;
    sentry::SentryConfig sentry_config;
    jenkins::JenkinsClient* jenkins = nullptr;
    jenkins::JenkinsConfig jenkins_config;
    cloudflare::CloudflareClient* cloudflare = nullptr;
    cloudflare::CloudflareConfig cloudflare_config;
};

class ProjectSetupService final : public ProjectSetup {
public:
    ProjectSetupService(ProjectSetupOptions options, SetupClients clients,
                        CatalogueSource& catalogue, ProjectRegistry& registry, SetupStore& store);

    // Slack mode only; set before commands run.
    void set_slack(slack::WebApi* api) { slack_ = api; }

    StepReport probe(SetupStep step, const NewProjectRequest& request) override;
    StepReport apply(SetupStep step, const NewProjectRequest& request, SetupFacts& facts) override;
    std::string describe(const NewProjectRequest& request) override;
    std::string default_repo(const std::string& slug) const override;
    std::optional<SetupRecord> find_setup(const std::string& slug) override {
        return store_.find(slug);
    }
    void save_setup(const SetupRecord& record) override { store_.save(record); }

    // "clients/acme/deploy-prod"
    std::string job_name(const std::string& slug, Env env) const;

private:
    StepReport apply_or_probe(SetupStep step, const NewProjectRequest& request, SetupFacts* facts);
    // Each step with facts == nullptr only looks (the plan); with facts it acts.
    StepReport slack_step(const NewProjectRequest& request, SetupFacts* facts);
    StepReport sentry_step(const NewProjectRequest& request, SetupFacts* facts);
    StepReport jenkins_step(const NewProjectRequest& request, SetupFacts* facts);
    StepReport cloudflare_step(const NewProjectRequest& request, SetupFacts* facts);
    StepReport catalogue_step(const NewProjectRequest& request, SetupFacts* facts);

    Result<std::string> job_config(const NewProjectRequest& request, Env env) const;
    Result<std::string> folder_config() const;

    ProjectSetupOptions options_;
    SetupClients clients_;
    CatalogueSource& catalogue_;
    ProjectRegistry& registry_;
    SetupStore& store_;
    std::atomic<slack::WebApi*> slack_{nullptr};
};

}  // namespace opsbot
