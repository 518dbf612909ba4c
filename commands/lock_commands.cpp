// lock, lock! (taking over a person's lock), unlock, unlock mine and locks: a
// person's hold on a project's environment, which deploys and purges
// respect. unlock also ends the hold a rollback leaves.

#include "commands/builtin_commands.hpp"
#include "core/locks.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

const std::vector<ParamSpec> kWhere = {
    {.name = "project", .type = ParamType::project, .help = "the project"},
    {.name = "env", .type = ParamType::environment, .help = "stage or prod"},
};

CommandResult not_wired() {
    return CommandResult::failure("Locks are not available in this mode.", "no_lock_store");
}

// lock, and lock! which takes over another person's manual lock in one step
// (never a running deploy's or runbook's): the reply, in the channel, names
// the holder it was taken from, and the audit row says it was taken over.
class LockCommand final : public Command {
public:
    explicit LockCommand(bool take_over) : take_over_(take_over) {
        if (!take_over_) return;
        spec_.name = "lock!";
        spec_.summary = "Take over a lock another person holds: audited, and they are told";
        spec_.examples = {"lock! acme prod \"hotfix, Bob is away\" 1h"};
    }

    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (!context.services.locks) return not_wired();
        const auto now = context.clock.now();
        Lock lock;
        lock.project = args.project();
        lock.env = *args.env();
        lock.kind = LockKind::manual;
        lock.owner_id = context.actor.user_id;
        lock.owner_name = context.actor.name;
        lock.reason = args.get("reason");
        lock.acquired = now;
        if (args.has("ttl")) lock.expires = now + *parse_duration(args.get("ttl"));
        const std::string where = lock.project + " " + to_string(lock.env);
        if (context.dry_run)
            return CommandResult::ok("Dry run: would lock " + where + " — " + lock.reason);
        // Read first only to name the holder taken from: take_over itself is
        // one step, and refuses what is not a manual lock.
        const auto before =
            take_over_ ? context.services.locks->find(lock.project, lock.env, now) : std::nullopt;
        const auto held = take_over_
                              ? context.services.locks->take_over(lock, LockKind::manual, now)
                              : context.services.locks->acquire(lock, now);
        if (held) {
            auto refused = CommandResult::failure(locked_error(*held, now, spec_.name));
            if (!take_over_ && held->kind == LockKind::manual)
                refused.reply.text += "\nTo take it over, saying why: `lock! " + where + " \"…\"`";
            return refused;
        }
        std::string text = "🔒 " + where + " is " + describe_lock(lock, now) + ".";
        CommandResult result;
        if (before && before->owner_id != lock.owner_id) {
            text += "\nTaken over from <@" + before->owner_id + ">, who held it " +
                    describe_lock(*before, now) + ".";
            result.external_ref = "lock! " + where + " from " + before->owner_id;
        } else {
            result.external_ref = "lock " + where;
        }
        text += "\nDeploys and purges of " + where + " are refused until `unlock " + where + "`.";
        result.reply.text = text;
        return result;
    }

private:
    bool take_over_;
    CommandSpec spec_{
        .name = "lock",
        .summary = "Hold an environment: deploys and purges are refused until it is unlocked",
        .params = {kWhere[0],
                   kWhere[1],
                   {.name = "reason", .type = ParamType::word, .help = "why, in quotes"},
                   {.name = "ttl",
                    .type = ParamType::duration,
                    .help = "release by itself after this long (30m, 2h, 1d)",
                    .optional = true}},
        .examples = {"lock acme prod \"database migration\" 2h"},
        .permission = "lock",
        .action = true,
        .group = "locks",
    };
};

class UnlockCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (!context.services.locks) return not_wired();
        const std::string project = args.project();
        const Env env = *args.env();
        const std::string where = project + " " + to_string(env);
        const auto held = context.services.locks->find(project, env, context.clock.now());
        if (!held) return CommandResult::ok(where + " was not locked; nothing to do.");
        if (held->kind != LockKind::manual && held->kind != LockKind::rollback)
            return CommandResult::failure(where + " is held by a running " + to_string(held->kind) +
                                              " (" + held->ref +
                                              "); it is released when that ends.",
                                          "lock_not_manual");
        if (context.dry_run) return CommandResult::ok("Dry run: would unlock " + where);
        context.services.locks->release(project, env, held->kind, "");
        std::string text = "🔓 " + where + " is unlocked";
        if (held->kind == LockKind::rollback)
            text += rollback_unlocked(*held, where);
        else if (held->owner_id != context.actor.user_id)
            text += " (it was held by <@" + held->owner_id + ">: " + held->reason + ").";
        else
            text += ".";
        CommandResult result = CommandResult::ok(text);
        result.external_ref = "unlock " + where;
        return result;
    }

private:
    // What unlocking a rollback lock lets happen again.
    static std::string rollback_unlocked(const Lock& held, const std::string& where) {
        return " (it was kept after <@" + held.owner_id + ">'s rollback: " + held.reason +
               ").\nReleases and deploys of " + where +
               " are allowed again, and the next release puts back what the rollback took out.";
    }

    CommandSpec spec_{
        .name = "unlock",
        .summary = "Release the lock on an environment (a manual one, or a rollback's)",
        .params = {kWhere[0], kWhere[1]},
        .examples = {"unlock acme prod"},
        .permission = "lock",
        .action = true,
        .group = "locks",
    };
};

// unlock mine: every manual lock the person holds, released at once (the end
// of a maintenance evening). Others' locks and running work's stay.
class UnlockMineCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        if (!context.services.locks) return not_wired();
        std::vector<Lock> mine;
        for (auto& lock : context.services.locks->all(context.clock.now()))
            if (lock.kind == LockKind::manual && lock.owner_id == context.actor.user_id)
                mine.push_back(std::move(lock));
        if (mine.empty()) return CommandResult::ok("You hold no locks; nothing to do.");
        const auto where = [](const Lock& lock) {
            return lock.project + " " + to_string(lock.env);
        };
        std::vector<std::string> places;
        for (const auto& lock : mine)
            if (context.dry_run ||
                context.services.locks->release(lock.project, lock.env, LockKind::manual,
                                                context.actor.user_id))
                places.push_back(where(lock));
        if (context.dry_run)
            return CommandResult::ok("Dry run: would unlock " + join(places, ", "));
        CommandResult result = CommandResult::ok("🔓 Unlocked " + join(places, ", ") + ".");
        result.external_ref = "unlock " + join(places, ", ");
        return result;
    }

private:
    CommandSpec spec_{
        .name = "unlock mine",
        .summary = "Release every lock you hold",
        .examples = {"unlock mine"},
        .permission = "lock",
        .action = true,
        .group = "locks",
    };
};

class LocksCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        if (!context.services.locks) return not_wired();
        const auto now = context.clock.now();
        const auto locks = context.services.locks->all(now);
        if (locks.empty()) return CommandResult::ok("No environment is locked.");
        std::string text = "*Locks*\n";
        for (const auto& lock : locks)
            text += "• " + lock.project + " " + to_string(lock.env) + ": " +
                    describe_lock(lock, now) + "\n";
        return CommandResult::ok(text);
    }

private:
    CommandSpec spec_{
        .name = "locks",
        .summary = "List the locked environments: who holds them, why, until when",
        .examples = {"locks"},
        .group = "locks",
    };
};

}  // namespace

std::unique_ptr<Command> make_lock_command() {
    return std::make_unique<LockCommand>(/*take_over=*/false);
}
std::unique_ptr<Command> make_take_lock_command() {
    return std::make_unique<LockCommand>(/*take_over=*/true);
}
std::unique_ptr<Command> make_unlock_mine_command() {
    return std::make_unique<UnlockMineCommand>();
}
std::unique_ptr<Command> make_unlock_command() {
    return std::make_unique<UnlockCommand>();
}
std::unique_ptr<Command> make_locks_command() {
    return std::make_unique<LocksCommand>();
}

}  // namespace opsbot::commands
