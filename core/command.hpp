#pragma once
// A command is one struct: its declaration (CommandSpec) and what it does.
// Commands see only this context of interfaces: nothing of Slack, HTTP,
// WebSocket or SQL.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit.hpp"
#include "core/catalogue.hpp"
#include "core/grammar.hpp"
#include "core/time.hpp"

namespace opsbot {

class Permissions;
class CommandRegistry;
class LockStore;
class DeployService;
class DeployStore;
class ConfirmationDecider;
class AlertService;
class PurgeService;
class BackupService;
class ProjectSetup;
class RunbookService;
class ReleaseService;

struct Actor {
    std::string user_id;
    std::string name;
    std::vector<std::string> usergroups;
    Source source = Source::console;
    bool local = false;      // the console user, not a Slack person
    bool all_roles = false;  // the default console user holds every role
};

enum class Visibility { ephemeral, in_channel };

struct Reply {
    std::string text;  // Slack mrkdwn; also the plain-text fallback
    Visibility visibility = Visibility::in_channel;
    std::string blocks_json;  // optional Block Kit blocks
    // A link meant for the requester alone (a presigned backup URL): the one
    // reply that is not redacted, and it is always sent ephemeral.
    bool carries_secret = false;
};

struct CommandResult {
    Outcome outcome = Outcome::succeeded;  // succeeded or failed
    Reply reply;
    std::string external_ref;
    std::string error;  // for the audit row when failed

    static CommandResult ok(std::string text, Visibility visibility = Visibility::in_channel);
    static CommandResult failure(std::string text, std::string error);
    // A failure from an error value: `lead` (what was being done, "Could not
    // purge x: "), then user_text(error); the audit row keeps error.code.
    static CommandResult failure(const Error& error, std::string_view lead = {});
};

// The stores and services commands reach; null when not wired (unit tests).
struct Services {
    LockStore* locks = nullptr;
    DeployService* deploys = nullptr;
    DeployStore* deploy_records = nullptr;
    ConfirmationDecider* confirmations = nullptr;
    AlertService* alerts = nullptr;
    PurgeService* purges = nullptr;
    BackupService* backups = nullptr;
    RunbookService* runbooks = nullptr;
    ProjectSetup* project_setup = nullptr;
    ReleaseService* releases = nullptr;
};

struct CommandContext {
    const Actor& actor;
    const Catalogue& catalogue;
    const Permissions& permissions;
    AuditStore& audit;
    const Clock& clock;
    const CommandRegistry& registry;
    std::string correlation_id;
    bool dry_run = false;
    std::string channel;  // where the request came from; empty in the console
    std::string thread;
    const Services& services;
    std::string approved_by;  // who confirmed it, when a confirmation was needed
    // The digest of the plan that was approved: a command whose plan moved
    // since (develop pushed to) refuses to run.
    std::string approved_digest;
};

// What a confirmation shows, and the digest the approval is bound to.
struct ConfirmationPlan {
    std::string text;
    std::string digest;
    std::string confirm_label = "Confirm";
    // The command's own digest, before the dispatcher binds more to it (a
    // freeze override's window): what the command sees as approved_digest.
    std::string command_digest;
};

class Command {
public:
    virtual ~Command() = default;
    virtual const CommandSpec& spec() const = 0;
    virtual CommandResult run(CommandContext& context, const ParsedArgs& args) const = 0;
    // For commands that need a confirmation; the default shows the command
    // text and binds the approval to it.
    virtual Result<ConfirmationPlan> plan(CommandContext& context, const ParsedArgs& args) const;
};

// A decision on a parked confirmation, from a button or `confirm <id>`.
struct ConfirmationDecision {
    std::string id;
    bool approve = true;
    Actor actor;
    std::string channel;
    std::string thread;
};

struct DecisionResult {
    CommandResult result;
    // The confirmation changed state: the message with its buttons should be
    // replaced by this answer. Otherwise the answer is for the presser alone.
    bool decided = false;
};

class ConfirmationDecider {
public:
    virtual ~ConfirmationDecider() = default;
    virtual DecisionResult decide(const ConfirmationDecision& decision) = 0;
};

class CommandRegistry {
public:
    void add(std::unique_ptr<Command> command);

    struct Match {
        const Command* command = nullptr;
        std::size_t words = 0;  // how many tokens named the command
    };
    // Longest name first: "audit verify" before "audit".
    Match find(const std::vector<std::string>& tokens) const;
    const Command* find(const std::string& name) const;
    std::vector<const Command*> all() const;  // in the order they were added
    std::vector<std::string> names() const;

private:
    std::vector<std::unique_ptr<Command>> commands_;
};

}  // namespace opsbot
