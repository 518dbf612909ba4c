// purge <project> [env] [url…]: clear the environment's Cloudflare cache,
// whole or for the given URLs.

#include "commands/builtin_commands.hpp"
#include "core/purges.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

class PurgeCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* purges = context.services.purges;
        if (!purges)
            return CommandResult::failure("Purges are not available in this mode.", "no_purges");
        const auto* project = context.catalogue.find_project(args.project());
        const Env env = args.env().value_or(Env::prod);
        const auto* environment = project ? project->environment(env) : nullptr;
        if (!environment || environment->domain.empty())
            return CommandResult::failure(args.project() + " " + to_string(env) +
                                              " has no domain in the catalogue; add `domain:` "
                                              "to it to purge its cache.",
                                          "no_domain");
        const auto urls =
            args.lists.count("urls") ? args.lists.at("urls") : std::vector<std::string>{};
        const PurgeRequest request{project->slug, env, environment->domain,
                                   environment->cloudflare_zone, urls};
        const std::string what =
            urls.empty() ? "everything on " + environment->domain
                         : std::to_string(urls.size()) + " URL(s) on " + environment->domain;
        if (context.dry_run || !purges->configured())
            return CommandResult::ok(
                std::string(purges->configured() ? "Dry run" : "CLOUDFLARE_API_TOKEN is not set") +
                ": would purge " + what + " with\n```" + purges->describe(request) + "```");
        const auto done = purges->purge(request);
        if (!done) {
            return CommandResult::failure(done.error(), "Could not purge " + what + ": ");
        }
        CommandResult result =
            CommandResult::ok("🧹 Purged " + what + " (zone `" + done.value().zone_id + "`, " +
                              std::to_string(done.value().calls) + " call" +
                              (done.value().calls == 1 ? "" : "s") + ").");
        result.external_ref =
            "zone " + done.value().zone_id + ": " + (urls.empty() ? "everything" : join(urls, " "));
        return result;
    }

private:
    CommandSpec spec_{
        .name = "purge",
        .summary = "Clear the Cloudflare cache of a project's site, whole or for some URLs",
        .params = {{.name = "project", .type = ParamType::project, .help = "the project"},
                   {.name = "env",
                    .type = ParamType::environment,
                    .help = "stage or prod (default prod)",
                    .optional = true,
                    .default_value = "prod"},
                   {.name = "urls",
                    .type = ParamType::list,
                    .help = "only these URLs (any number; sent 30 per call)",
                    .optional = true}},
        .examples = {"purge acme", "purge acme stage",
                     "purge acme https://acme.com/styles.css https://acme.com/app.js"},
        .permission = "purge",
        // A held environment (a migration, a move) is not purged under its
        // holder; the holder may purge.
        .lock = LockPolicy::refuse_others,
        .action = true,
        .group = "sites",
    };
};

}  // namespace

std::unique_ptr<Command> make_purge_command() {
    return std::make_unique<PurgeCommand>();
}

}  // namespace opsbot::commands
