// release <project>: the manual's prod release. develop is merged into master
// and pushed once a second person has confirmed the exact commits that go
// out; Jenkins deploys the push and opsbot follows its build in the thread.

#include "commands/builtin_commands.hpp"
#include "commands/release_flow.hpp"
#include "core/freeze.hpp"

namespace opsbot::commands {
namespace {

Error not_promoted(const std::string& slug) {
    return Error{"not_promoted", slug + " does not release by promotion",
                 "its prod is deployed with its Jenkins job: `deploy " + slug +
                     " prod`; or set `release: promote` for it in the catalogue"};
}

Error prod_only(const std::string& slug) {
    return Error{"release_prod_only", "a release goes to prod",
                 "stage gets develop with `deploy " + slug + " stage`"};
}

class ReleaseCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    Result<ConfirmationPlan> plan(CommandContext& context, const ParsedArgs& args) const override {
        auto project = release_target(context, args);
        if (!project) return project.error();
        return plan_release(context, *project.value());
    }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto project = release_target(context, args);
        if (!project) return CommandResult::failure(project.error());
        return run_release(context, *project.value());
    }

private:
    static Result<const Project*> release_target(const CommandContext& context,
                                                 const ParsedArgs& args) {
        if (args.env() != Env::prod) return prod_only(args.project());
        const Project* project = promoted_project(context, args.project(), Env::prod);
        if (!project) return not_promoted(args.project());
        return project;
    }

    CommandSpec spec_{
        .name = "release",
        .summary =
            "Release develop to prod: merge it into master and push, after a second "
            "person confirms the commits that go out",
        .params = {{.name = "project", .type = ParamType::project, .help = "the project"},
                   {.name = "env",
                    .type = ParamType::environment,
                    .help = "prod (the only one a release goes to)",
                    .optional = true,
                    .default_value = "prod"}},
        .flags = {freeze_override_flag()},
        .examples = {"release acme", "release acme --dry-run",
                     "release acme --override-freeze \"security fix\""},
        .permission = "deploy",
        .confirm = ConfirmPolicy::prod_only,
        .lock = LockPolicy::refuse_any,
        .freeze = FreezePolicy::refuse_prod,
        .action = true,
        .group = "deploys",
    };
};

}  // namespace

std::unique_ptr<Command> make_release_command() {
    return std::make_unique<ReleaseCommand>();
}

}  // namespace opsbot::commands
