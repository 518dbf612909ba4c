// newproject <slug> <domain> <server-ip>: wire a new project into Slack,
// Sentry, Jenkins, Cloudflare and the catalogue, after an admin approves the
// plan. `newproject resume <slug>` continues a run that stopped.

#include "commands/builtin_commands.hpp"
#include "core/project_setup.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

constexpr const char* kUnavailable = "newproject is not available in this mode.";

Result<NewProjectRequest> request_of(const CommandContext& context, const ParsedArgs& args,
                                     const ProjectSetup& setup) {
    NewProjectRequest request;
    request.slug = to_lower(args.get("slug"));
    request.domain = to_lower(args.get("domain"));
    request.server_ip = args.get("server");
    request.server_host = to_lower(args.flag_value("server-host"));
    request.name = args.flag_value("name");
    request.repo = args.flag_value("repo");
    if (request.repo.empty()) request.repo = setup.default_repo(request.slug);
    request.requester_id = context.actor.user_id;
    request.requester_name = context.actor.name;
    if (auto valid = validate(request); !valid) return valid.error();
    if (request.repo.empty())
        return Error{"no_repo", "opsbot does not know the git repository of " + request.slug,
                     "add --repo <git url>, or set NEWPROJECT_REPO (e.g. "
                     "git@git.example.com:clients/{project}.git)"};
    return request;
}

std::string header(const NewProjectRequest& r) {
    return "*New project `" + r.slug + "`*" + (r.name.empty() ? "" : " — " + r.name) + ": " +
           r.domain + " on " + r.server_ip +
           (r.server_host.empty() ? "" : " (" + r.server_host + ")") + ", repo `" + r.repo + "`";
}

std::string plan_text(ProjectSetup& setup, const NewProjectRequest& request) {
    std::string text = header(request) + "\n";
    for (SetupStep step : kSetupSteps)
        text += std::to_string(static_cast<int>(step) + 1) + ". " +
                describe_step(setup.probe(step, request)) + "\n";
    return text;
}

Outcome outcome_of(const StepReport& report) {
    return report.state == StepState::failed ? Outcome::failed : Outcome::succeeded;
}

void audit_step(CommandContext& context, const NewProjectRequest& request,
                const StepReport& report) {
    AuditEntry entry;
    entry.correlation_id = context.correlation_id;
    entry.actor_id = context.actor.user_id;
    entry.actor_name = context.actor.name;
    entry.source = context.actor.source;
    entry.channel = context.channel;
    entry.thread = context.thread;
    entry.command = "newproject " + request.slug + " · " + to_string(report.step) + ": " +
                    to_string(report.state);
    entry.args_json = "{}";
    entry.project = request.slug;
    entry.outcome = outcome_of(report);
    entry.external_ref = report.external_id;
    entry.error = report.error;
    context.audit.append(std::move(entry));
}

std::vector<std::string> next_steps(const SetupRecord& record) {
    const auto& r = record.request;
    std::vector<std::string> steps;
    if (const auto dsn = record.facts.find("sentry_dsn"); dsn != record.facts.end())
        steps.push_back("Put the DSN in the production environment of " + r.slug +
                        ":\n```SENTRY_DSN=" + dsn->second + "```");
    steps.push_back("Push `develop` and `master` to `" + r.repo + "`, then `deploy " + r.slug +
                    " stage`.");
    steps.push_back("Make the server " + r.server_ip + " answer for " + r.domain + " and direct." +
                    r.domain + " (vhost, haproxy, TLS).");
    for (const auto& [step, report] : record.steps)
        if (report.state == StepState::skip)
            steps.push_back(std::string("By hand: ") + title_of(step) + " — " + report.summary +
                            ".");
    steps.push_back(
        "When convenient, write the project into the YAML: `opsbot export-catalogue "
        "config/opsbot.yaml.new`.");
    return steps;
}

std::string record_text(const SetupRecord& record) {
    std::string text = header(record.request) + "\n";
    for (SetupStep step : kSetupSteps) {
        const auto it = record.steps.find(step);
        text += std::to_string(static_cast<int>(step) + 1) + ". " +
                (it == record.steps.end()
                     ? std::string("⏸️ not reached — *") + title_of(step) + "*"
                     : describe_step(it->second)) +
                "\n";
    }
    return text;
}

CommandResult answer(const SetupRecord& record) {
    std::string text = record_text(record);
    std::vector<std::string> ids;
    for (const auto& [step, report] : record.steps)
        if (!report.external_id.empty())
            ids.push_back(std::string(to_string(step)) + ": " + report.external_id);
    if (record.state == SetupState::done) {
        text = "🎉 " + text + "\n*Next*\n";
        for (const auto& step : next_steps(record)) text += "• " + step + "\n";
        auto result = CommandResult::ok(text);
        result.external_ref = join(ids, "; ");
        return result;
    }
    std::string error;
    for (const auto& [step, report] : record.steps)
        if (report.state == StepState::failed)
            error = std::string(to_string(step)) + ": " + report.error;
    text +=
        "\nStopped at a failed step: what is marked done stays done and will not be "
        "repeated. Fix the cause, then `newproject resume " +
        record.request.slug + "`.";
    auto result = CommandResult::failure(text, error);
    result.external_ref = join(ids, "; ");
    return result;
}

CommandResult run_setup(CommandContext& context, ProjectSetup& setup, SetupRecord record) {
    record.state = SetupState::running;
    record.updated = context.clock.now();
    setup.save_setup(record);
    for (SetupStep step : kSetupSteps) {
        if (const auto it = record.steps.find(step);
            it != record.steps.end() && it->second.finished())
            continue;
        auto report = setup.apply(step, record.request, record.facts);
        record.steps[step] = report;
        record.updated = context.clock.now();
        setup.save_setup(record);
        audit_step(context, record.request, report);
        if (report.state == StepState::failed) {
            record.state = SetupState::failed;
            setup.save_setup(record);
            return answer(record);
        }
    }
    record.state = SetupState::done;
    setup.save_setup(record);
    return answer(record);
}

class NewProjectCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    Result<ConfirmationPlan> plan(CommandContext& context, const ParsedArgs& args) const override {
        auto* setup = context.services.project_setup;
        if (!setup) return Error{"unavailable", kUnavailable, ""};
        auto request = request_of(context, args, *setup);
        if (!request) return request.error();
        if (auto conflict = conflicting_run(*setup, request.value()); !conflict)
            return conflict.error();
        return ConfirmationPlan{
            plan_text(*setup, request.value()) + "asked by <@" + context.actor.user_id + ">",
            request.value().digest(), "Create"};
    }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* setup = context.services.project_setup;
        if (!setup) return CommandResult::failure(kUnavailable, "unavailable");
        auto request = request_of(context, args, *setup);
        if (!request) return CommandResult::failure(request.error());
        if (auto conflict = conflicting_run(*setup, request.value()); !conflict)
            return CommandResult::failure(conflict.error());
        if (context.dry_run)
            return CommandResult::ok("*Dry run*: the plan\n" + plan_text(*setup, request.value()) +
                                     "\nThe requests a run would send:\n```\n" +
                                     setup->describe(request.value()) +
                                     "```\nNothing was changed.");
        auto record = setup->find_setup(request.value().slug);
        if (record && record->state == SetupState::done) return answer(*record);
        if (!record) {
            record = SetupRecord{};
            record->request = request.value();
            record->created = context.clock.now();
        }
        return run_setup(context, *setup, std::move(*record));
    }

private:
    // A run for the same slug with other parameters is resumed, not restarted.
    static Status conflicting_run(ProjectSetup& setup, const NewProjectRequest& request) {
        const auto record = setup.find_setup(request.slug);
        if (!record || record->request.same_target(request)) return success();
        const auto& r = record->request;
        return Error{"setup_exists",
                     "a newproject run for `" + r.slug + "` exists already, for " + r.domain +
                         " on " + r.server_ip + " (" + to_string(record->state) + ")",
                     "`newproject resume " + r.slug + "` continues it"};
    }

    CommandSpec spec_{
        .name = "newproject",
        .summary = "Set up a new project: Slack channel, Sentry, Jenkins jobs, DNS, catalogue",
        .params = {{.name = "slug", .type = ParamType::word, .help = "the new project's slug"},
                   {.name = "domain", .type = ParamType::word, .help = "its production domain"},
                   {.name = "server",
                    .type = ParamType::word,
                    .help = "the server's IPv4 address"}},
        .flags = {{.name = "name", .help = "display name", .value_name = "display name"},
                  {.name = "repo",
                   .help = "git repository (default: NEWPROJECT_REPO)",
                   .value_name = "git url"},
                  {.name = "server-host",
                   .help = "the server's DNS name: direct.<domain> becomes a CNAME to it",
                   .value_name = "host"}},
        .examples = {"newproject acme-shop acme-shop.com 203.0.113.10 --name \"ACME Shop\"",
                     "newproject acme-shop acme-shop.com 203.0.113.10 --dry-run"},
        .permission = "newproject",
        .confirm = ConfirmPolicy::always,
        .action = true,
        .group = "projects",
    };
};

class NewProjectResumeCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* setup = context.services.project_setup;
        if (!setup) return CommandResult::failure(kUnavailable, "unavailable");
        const auto slug = to_lower(args.get("slug"));
        auto record = setup->find_setup(slug);
        if (!record)
            return CommandResult::failure("No newproject run for `" + slug +
                                              "` to resume.\nStart one with `newproject " + slug +
                                              " <domain> <server-ip>`.",
                                          "no_setup");
        if (record->state == SetupState::done) return answer(*record);
        if (context.dry_run)
            return CommandResult::ok("*Dry run*: resuming would continue\n" + record_text(*record) +
                                     "Nothing was changed.");
        return run_setup(context, *setup, std::move(*record));
    }

private:
    CommandSpec spec_{
        .name = "newproject resume",
        .summary = "Continue a newproject run that stopped, skipping what is done",
        .params = {{.name = "slug", .type = ParamType::word, .help = "the project's slug"}},
        .examples = {"newproject resume acme-shop"},
        .permission = "newproject",
        .action = true,
        .group = "projects",
    };
};

}  // namespace

std::unique_ptr<Command> make_newproject_command() {
    return std::make_unique<NewProjectCommand>();
}
std::unique_ptr<Command> make_newproject_resume_command() {
    return std::make_unique<NewProjectResumeCommand>();
}

}  // namespace opsbot::commands
