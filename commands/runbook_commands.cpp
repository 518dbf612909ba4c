// runbook list|show|start|done|skip|run|abort|handover|status|report, and
// runbooks: guided runs of the operations manual's procedures in a thread.
// The buttons of a run are these same commands, run as the presser.

#include <charconv>

#include "commands/builtin_commands.hpp"
#include "core/permissions.hpp"
#include "core/runbooks.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

CommandResult not_wired() {
    return CommandResult::failure("Runbooks are not available in this mode.", "no_runbooks");
}

CommandResult refused(const Error& error) {
    auto result = CommandResult::failure(error);
    result.reply.visibility = Visibility::ephemeral;
    if (error.code == "not_oncall") result.outcome = Outcome::denied;
    return result;
}

std::optional<std::int64_t> run_id(const std::string& text) {
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

CommandResult bad_id(const std::string& text) {
    return CommandResult::failure(
        "'" + text + "' is not a run id; `runbooks` lists the active runs.", "bad_run_id");
}

// The service and the run id, or the answer saying why not.
template <class Then>
CommandResult with_run(CommandContext& context, const ParsedArgs& args, Then then) {
    auto* runbooks = context.services.runbooks;
    if (!runbooks) return not_wired();
    const auto id = run_id(args.get("id"));
    if (!id) return bad_id(args.get("id"));
    return then(*runbooks, *id);
}

const ParamSpec kIdParam{.name = "id", .type = ParamType::word, .help = "the run id"};

// A spec in the runbooks group.
CommandSpec runbook_spec(std::string name, std::string summary, std::vector<ParamSpec> params,
                         std::vector<std::string> examples) {
    return CommandSpec{.name = std::move(name),
                       .summary = std::move(summary),
                       .params = std::move(params),
                       .examples = std::move(examples),
                       .group = "runbooks"};
}

class RunbookListCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }
    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        auto* runbooks = context.services.runbooks;
        if (!runbooks) return not_wired();
        if (runbooks->runbooks().empty())
            return CommandResult::ok(
                "No runbooks: add YAML files to " + context.catalogue.runbooks_dir + ".",
                Visibility::ephemeral);
        std::string text = "*Runbooks*\n";
        for (const auto& r : runbooks->runbooks())
            text += "• *" + r.name + "* — " + r.description + " (" +
                    std::to_string(r.steps.size()) + " steps): `" + runbook_usage(r) + "`\n";
        return CommandResult::ok(text + "`runbook show <name>` lists the steps.",
                                 Visibility::ephemeral);
    }

private:
    CommandSpec spec_ =
        runbook_spec("runbook list", "The runbooks opsbot can walk through", {}, {"runbook list"});
};

class RunbookShowCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }
    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* runbooks = context.services.runbooks;
        if (!runbooks) return not_wired();
        const auto* runbook = runbooks->find_runbook(args.get("name"));
        if (!runbook)
            return refused({"unknown_runbook", "there is no runbook '" + args.get("name") + "'",
                            "`runbook list` shows them"});
        return CommandResult::ok(format_runbook(*runbook), Visibility::ephemeral);
    }

private:
    CommandSpec spec_ =
        runbook_spec("runbook show", "A runbook's parameters and steps",
                     {{.name = "name", .help = "the runbook"}}, {"runbook show move-site"});
};

class RunbookStartCommand final : public Command {
public:
    RunbookStartCommand() { spec_.action = true; }
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* runbooks = context.services.runbooks;
        if (!runbooks) return not_wired();
        const std::string name = args.get("name");
        const auto values_list =
            args.lists.count("args") ? args.lists.at("args") : std::vector<std::string>{};
        const auto* runbook = runbooks->find_runbook(name);
        if (runbook) {
            const auto values = bind_params(*runbook, values_list);
            if (!values) return refused(values.error());
            if (auto denied = check_access(context, values.value())) return *denied;
            if (context.dry_run)
                return CommandResult::ok("Dry run: would start " + name + " with\n" +
                                         substitute(format_runbook(*runbook), values.value()));
        }
        const RunbookStart request{name,           values_list,
                                   context.actor,  context.channel,
                                   context.thread, context.correlation_id};
        const auto started = runbooks->start(request);
        if (!started) return refused(started.error());
        const auto& run = started.value();
        auto result = CommandResult::ok("📋 Started run " + std::to_string(run.id) + " of " +
                                            run.runbook.name + "; you are on call for it.",
                                        Visibility::ephemeral);
        result.external_ref = "runbook run " + std::to_string(run.id);
        return result;
    }

private:
    // runbook on the run's project and environment, when it names one.
    static std::optional<CommandResult> check_access(CommandContext& context,
                                                     const RunbookValues& values) {
        AccessRequest access{"runbook", "", std::nullopt};
        if (values.count("project")) access.project = values.at("project");
        if (!access.project.empty())
            access.env = parse_env(values.count("env") ? values.at("env") : "prod");
        const auto decision = context.permissions.check(context.actor, access);
        if (decision.allowed) return std::nullopt;
        auto denied = CommandResult::failure(Permissions::explain_denial(access, decision),
                                             "denied: runbook");
        denied.outcome = Outcome::denied;
        return denied;
    }

    CommandSpec spec_ = runbook_spec(
        "runbook start",
        "Start a runbook in a thread: one step at a time, you on call (needs runbook on the "
        "project)",
        {{.name = "name", .help = "the runbook"},
         {.name = "args",
          .type = ParamType::list,
          .help = "its parameters, in order or as name=value",
          .optional = true}},
        {"runbook start move-site acme old.example.net new.example.net 203.0.113.7"});
};

class RunbookPressCommand final : public Command {
public:
    explicit RunbookPressCommand(RunbookVerb verb) : verb_(verb) {
        const std::string name = to_string(verb);
        static const std::map<RunbookVerb, std::string> summaries{
            {RunbookVerb::done, "Confirm the current step of a run (the Done button)"},
            {RunbookVerb::skip, "Skip the current step, when the runbook allows it"},
            {RunbookVerb::run, "Run (or retry) the current automated step"},
            {RunbookVerb::abort, "Abort a run"}};
        spec_ = runbook_spec("runbook " + name, summaries.at(verb),
                             {kIdParam,
                              {.name = "step",
                               .type = ParamType::word,
                               .help = "the step number (buttons send it)",
                               .optional = true}},
                             {"runbook " + name + " 12"});
    }
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        return with_run(context, args, [&](RunbookService& runbooks, std::int64_t id) {
            RunbookPress press{verb_, id, std::nullopt, context.actor, context.correlation_id};
            if (args.has("step")) {
                const auto step = run_id(args.get("step"));
                if (!step) return bad_id(args.get("step"));
                press.step = static_cast<int>(*step);
            }
            const auto answer = runbooks.press(press);
            if (!answer) return refused(answer.error());
            auto result = CommandResult::ok(answer.value(), Visibility::ephemeral);
            result.external_ref = "runbook run " + std::to_string(id);
            return result;
        });
    }

private:
    RunbookVerb verb_;
    CommandSpec spec_;
};

class RunbookHandoverCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }
    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        return with_run(context, args, [&](RunbookService& runbooks, std::int64_t id) {
            const auto answer = runbooks.handover(id, context.actor, args.get("user"));
            return answer ? CommandResult::ok(answer.value()) : refused(answer.error());
        });
    }

private:
    CommandSpec spec_ = runbook_spec(
        "runbook handover", "Hand a run to someone else: they are on call for it from now on",
        {kIdParam, {.name = "user", .type = ParamType::user, .help = "who takes over"}},
        {"runbook handover 12 @bob"});
};

// status and report: the same timeline, for a run under way or finished.
class RunbookStatusCommand final : public Command {
public:
    RunbookStatusCommand(std::string name, std::string summary)
        : spec_(runbook_spec(std::move(name), std::move(summary), {kIdParam}, {})) {
        spec_.examples = {spec_.name + " 12"};
    }
    const CommandSpec& spec() const override { return spec_; }
    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        return with_run(context, args, [&](RunbookService& runbooks, std::int64_t id) {
            const auto run = runbooks.find_run(id);
            if (!run)
                return refused({"unknown_run", "there is no runbook run " + args.get("id"),
                                "`runbooks` lists the active runs"});
            return CommandResult::ok(format_status(*run, context.clock.now()));
        });
    }

private:
    CommandSpec spec_;
};

class RunbooksCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }
    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        auto* runbooks = context.services.runbooks;
        if (!runbooks) return not_wired();
        const auto runs = runbooks->active();
        if (runs.empty()) return CommandResult::ok("No runbook runs under way.");
        std::string text = "*Runbook runs under way*\n";
        for (const auto& run : runs) {
            const auto status = format_status(run, context.clock.now());
            text += "• " + status.substr(0, status.find('\n')) + "\n";
        }
        return CommandResult::ok(text);
    }

private:
    CommandSpec spec_ = runbook_spec(
        "runbooks", "The runbook runs under way, with their current step", {}, {"runbooks"});
};

}  // namespace

void register_runbook_commands(CommandRegistry& registry) {
    registry.add(std::make_unique<RunbooksCommand>());
    registry.add(std::make_unique<RunbookListCommand>());
    registry.add(std::make_unique<RunbookShowCommand>());
    registry.add(std::make_unique<RunbookStartCommand>());
    for (const auto verb :
         {RunbookVerb::done, RunbookVerb::skip, RunbookVerb::run, RunbookVerb::abort})
        registry.add(std::make_unique<RunbookPressCommand>(verb));
    registry.add(std::make_unique<RunbookHandoverCommand>());
    registry.add(std::make_unique<RunbookStatusCommand>("runbook status",
                                                        "Where a run is: its steps and times"));
    registry.add(std::make_unique<RunbookStatusCommand>(
        "runbook report", "The timeline of a run, finished or not, again"));
}

}  // namespace opsbot::commands
