// backup <project> [env] [date]: a short-lived download link to a backup, for
// the requester alone. backups <project> [env]: the last few. backups check:
// the freshness summary. backups drilled <project> <date>: a restore drill.

#include "commands/builtin_commands.hpp"
#include "core/backups.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

constexpr int kListed = 8;

CommandResult not_wired() {
    return CommandResult::failure("Backups are not available in this mode.", "no_backups");
}

const ParamSpec kProject{.name = "project", .type = ParamType::project, .help = "the project"};
const ParamSpec kEnv{.name = "env",
                     .type = ParamType::environment,
                     .help = "stage or prod (default prod)",
                     .optional = true,
                     .default_value = "prod"};

// Without credentials, the console shows the request it would send.
std::optional<CommandResult> dry(CommandContext& context, const BackupService& backups,
                                 const std::string& project, Env env) {
    if (!context.dry_run && backups.configured()) return std::nullopt;
    return CommandResult::ok(
        std::string(backups.configured() ? "Dry run"
                                         : "BACKUP_BUCKET or AWS credentials are not set") +
            ": would list " + backups.location(project, env) + " with\n```" +
            backups.describe_list(project, env) + "```",
        Visibility::ephemeral);
}

CommandResult list_failed(const Error& e) {
    return CommandResult::failure(e, "Could not list the backups: ");
}

// The environment's backups, or what to answer instead: a dry run, no
// configuration, a failed listing.
struct Listing {
    std::string project;
    Env env = Env::prod;
    std::vector<BackupObject> objects;
    std::optional<CommandResult> instead;
};

Listing list_backups(CommandContext& context, const ParsedArgs& args) {
    Listing listing{args.project(), args.env().value_or(Env::prod), {}, std::nullopt};
    auto* backups = context.services.backups;
    if (!backups) {
        listing.instead = not_wired();
    } else if (auto shown = dry(context, *backups, listing.project, listing.env)) {
        listing.instead = std::move(shown);
    } else if (auto listed = backups->list(listing.project, listing.env); !listed) {
        listing.instead = list_failed(listed.error());
    } else {
        listing.objects = std::move(listed).value();
    }
    return listing;
}

class BackupCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto listing = list_backups(context, args);
        if (listing.instead) return *listing.instead;
        auto* backups = context.services.backups;
        const std::string& project = listing.project;
        const Env env = listing.env;
        const auto& objects = listing.objects;
        const std::string date = args.get("date");
        const BackupObject* chosen = nullptr;
        for (const auto& object : objects)
            if (date.empty() || object.date == date) {
                chosen = &object;
                break;
            }
        if (!chosen)
            return CommandResult::failure(
                (date.empty() ? "No backup" : "No backup dated " + date) + " in " +
                    backups->location(project, env) +
                    (objects.empty() ? "." : "; `backups " + project + "` lists them."),
                "no_backup");
        const auto link = backups->link(*chosen);
        const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(link.valid_for);
        const std::string file = chosen->key.substr(chosen->key.rfind('/') + 1);
        CommandResult result = CommandResult::ok(
            "📦 *" + project + " " + to_string(env) + "* backup " +
                (chosen->date.empty() ? format_iso8601(chosen->modified) : chosen->date) + " (" +
                format_size(chosen->size) + "): <" + link.url + "|download " + file +
                "> — the link works for " + std::to_string(minutes.count()) +
                " min and only you see it.\nUnpack: `lrzip -d " + file + " && tar -xf " +
                file.substr(0, file.size() - 4) + "`",
            Visibility::ephemeral);
        result.reply.carries_secret = true;
        // The audit says who got which object; the link itself stays out.
        result.external_ref = "s3 object " + chosen->key;
        return result;
    }

private:
    CommandSpec spec_{
        .name = "backup",
        .summary =
            "A short-lived download link to the newest backup (or the one of a date), "
            "shown only to you",
        .params = {kProject,
                   kEnv,
                   {.name = "date",
                    .type = ParamType::date,
                    .help = "the backup of this day (YYYY-MM-DD)",
                    .optional = true}},
        .examples = {"backup acme", "backup acme 2026-11-20", "backup acme stage"},
        .permission = "backup",
        .action = true,
        .group = "backups",
    };
};

class BackupsCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto listing = list_backups(context, args);
        if (listing.instead) return *listing.instead;
        auto* backups = context.services.backups;
        const std::string& project = listing.project;
        const Env env = listing.env;
        const auto& objects = listing.objects;
        std::string text = "*Backups of " + project + " " + to_string(env) + "* (" +
                           backups->location(project, env) + "), newest first:\n";
        if (objects.empty()) text += "none.\n";
        const auto now = context.clock.now();
        for (std::size_t i = 0; i < objects.size() && i < kListed; ++i) {
            const auto age =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - objects[i].modified);
            text += "• `" + objects[i].key + "` · " + format_size(objects[i].size) + " · " +
                    format_duration(age) + " ago\n";
        }
        if (objects.size() > kListed)
            text += "… and " + std::to_string(objects.size() - kListed) + " older\n";
        const auto drill = backups->last_drill(project);
        text += "Last restore drill: " + (drill ? *drill : std::string("never recorded")) + ".";
        return CommandResult::ok(text, Visibility::ephemeral);
    }

private:
    CommandSpec spec_{
        .name = "backups",
        .summary = "The last few backups of a project, with sizes and ages",
        .params = {kProject, kEnv},
        .examples = {"backups acme"},
        .permission = "backup",
        .group = "backups",
    };
};

class BackupsCheckCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        auto* backups = context.services.backups;
        if (!backups) return not_wired();
        if (!backups->configured())
            return CommandResult::failure(
                "BACKUP_BUCKET or AWS credentials are not set: opsbot cannot look at backups.",
                "backups_not_configured");
        const auto summary = summarise_freshness(collect_freshness(context.catalogue, *backups),
                                                 context.clock.now(), backups->freshness_rules());
        return CommandResult::ok(summary.text);
    }

private:
    CommandSpec spec_{
        .name = "backups check",
        .summary = "Check every project's newest backup: missing, stale or suspiciously small",
        .examples = {"backups check"},
        .permission = "backup",
        .group = "backups",
    };
};

class BackupsDrilledCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        auto* backups = context.services.backups;
        if (!backups) return not_wired();
        backups->record_drill(args.project(), args.get("date"));
        CommandResult result =
            CommandResult::ok("📝 Restore drill of " + args.project() + " on " + args.get("date") +
                              " recorded; the backup summary shows it.");
        result.external_ref = "restore drill " + args.project() + " " + args.get("date");
        return result;
    }

private:
    CommandSpec spec_{
        .name = "backups drilled",
        .summary = "Record that a backup of the project was restored in a drill on that day",
        .params = {kProject,
                   {.name = "date", .type = ParamType::date, .help = "the day of the drill"}},
        .examples = {"backups drilled acme 2026-11-20"},
        .permission = "backup",
        .action = true,
        .group = "backups",
    };
};

}  // namespace

std::unique_ptr<Command> make_backup_command() {
    return std::make_unique<BackupCommand>();
}
std::unique_ptr<Command> make_backups_command() {
    return std::make_unique<BackupsCommand>();
}
std::unique_ptr<Command> make_backups_check_command() {
    return std::make_unique<BackupsCheckCommand>();
}
std::unique_ptr<Command> make_backups_drilled_command() {
    return std::make_unique<BackupsDrilledCommand>();
}

}  // namespace opsbot::commands
