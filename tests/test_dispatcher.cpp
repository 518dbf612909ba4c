// The dispatcher over the real audit log in a real SQLite file.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "bot/dispatcher.hpp"
#include "commands/builtin_commands.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/intent_journal.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;

namespace {

// A command of the test's own, to drive the dispatcher's action path.
class ProbeCommand final : public Command {
public:
    explicit ProbeCommand(bool explode) : explode_(explode) {
        spec_.name = explode ? "explode" : "probe";
        spec_.summary = "test command";
        spec_.params = {{.name = "project", .type = ParamType::project, .help = "slug"},
                        {.name = "env", .type = ParamType::environment, .help = "env"}};
        spec_.permission = "deploy";
        spec_.confirm = ConfirmPolicy::prod_only;
        spec_.action = true;
    }
    const CommandSpec& spec() const override { return spec_; }
    void set_lock_policy(LockPolicy policy) { spec_.lock = policy; }
    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        if (explode_)
            throw std::runtime_error("adapter blew up with token xoxb-1111-2222-secretvalue");
        ++runs;
        auto result = CommandResult::ok(std::string(context.dry_run ? "would probe " : "probed ") +
                                        args.project());
        result.external_ref = "https://jenkins.example/job/1";
        return result;
    }
    mutable int runs = 0;

private:
    bool explode_;
    CommandSpec spec_;
};

struct Harness {
    test::TestDatabase database{OPSBOT_EACH_BACKEND()};
    SystemClock clock;
    CatalogueSource catalogue{test::test_catalogue()};
    std::unique_ptr<db::AuditLog> audit;
    std::unique_ptr<db::Database> intents_database = database.connect();
    db::SqlIntentJournal intents{*intents_database};
    CommandRegistry registry;
    ProbeCommand* probe = nullptr;
    std::unique_ptr<Dispatcher> dispatcher;

    Harness() {
        audit = std::make_unique<db::AuditLog>(*database, clock);
        commands::register_builtin_commands(registry);
        auto owned = std::make_unique<ProbeCommand>(false);
        probe = owned.get();
        registry.add(std::move(owned));
        registry.add(std::make_unique<ProbeCommand>(true));
        dispatcher = std::make_unique<Dispatcher>(registry, catalogue, *audit, clock, &intents);
    }

    DispatchResult run(const std::string& text, const std::string& user, std::string key = "") {
        Actor actor;
        actor.user_id = user;
        actor.name = user;
        actor.source = Source::slack;
        return dispatcher->handle(
            CommandRequest{text, actor, "C0ACME", "1700000000.000100", "", std::move(key)});
    }

    std::vector<AuditRecord> rows_of(const std::string& correlation_id) {
        AuditQuery query;
        query.correlation_id = correlation_id;
        query.limit = 0;
        auto rows = audit->query(query);
        std::reverse(rows.begin(), rows.end());  // oldest first
        return rows;
    }
};

}  // namespace

TEST_CASE("dispatcher: help is answered and audited", "[dispatcher]") {
    Harness h;
    const auto result = h.run("help", "U0STRANGER");
    CHECK(result.outcome == Outcome::succeeded);
    CHECK(result.reply.visibility == Visibility::ephemeral);
    CHECK_THAT(result.reply.text, Catch::Contains("• `whoami` — Show who you are"));
    CHECK_THAT(result.reply.text, Catch::Contains("`audit verify`"));
    const auto rows = h.rows_of(result.correlation_id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::succeeded);
    CHECK(rows[0].command == "help");
    CHECK(rows[0].channel == "C0ACME");
    CHECK(rows[0].thread == "1700000000.000100");
    CHECK(rows[0].source == Source::slack);
    CHECK(rows[0].duration_ms.has_value());
}

TEST_CASE("dispatcher: help for one command comes from its declaration", "[dispatcher]") {
    Harness h;
    const auto result = h.run("help audit", "U0STRANGER");
    CHECK_THAT(result.reply.text, Catch::StartsWith("*audit* — Show recent audit log rows"));
    CHECK_THAT(result.reply.text, Catch::Contains("usage: `audit [project] [--since <when>]"));
    CHECK_THAT(result.reply.text, Catch::Contains("permission: 'audit' for the project"));
    const auto unknown = h.run("help dploy", "U0STRANGER");
    CHECK(unknown.outcome == Outcome::failed);
    CHECK(unknown.reply.text ==
          "No command 'dploy' — did you mean 'deploy'? Type `help` for the list.");
    const auto far = h.run("help zzzzzz", "U0STRANGER");
    CHECK(far.reply.text == "No command 'zzzzzz'. Type `help` for the list.");
}

TEST_CASE("dispatcher: an unknown command is a parse error with a suggestion", "[dispatcher]") {
    Harness h;
    const auto result = h.run("hepl", "U01ALICE01");
    CHECK(result.outcome == Outcome::parse_error);
    CHECK(result.reply.text ==
          "unknown command 'hepl' — did you mean 'help'?\ntype `help` to list the commands");
    const auto rows = h.rows_of(result.correlation_id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::parse_error);
    CHECK(rows[0].error == "unknown command 'hepl' — did you mean 'help'?");
}

TEST_CASE("dispatcher: a bad project is refused before any permission or action", "[dispatcher]") {
    Harness h;
    const auto result = h.run("probe acm stage", "U01ALICE01");
    CHECK(result.outcome == Outcome::parse_error);
    CHECK_THAT(result.reply.text,
               Catch::StartsWith("unknown project 'acm' — did you mean 'acme'?"));
    CHECK(h.probe->runs == 0);
}

TEST_CASE("dispatcher: denied commands say which role is needed and are audited", "[dispatcher]") {
    Harness h;
    const auto result = h.run("probe acme prod", "U01ALICE01");
    CHECK(result.outcome == Outcome::denied);
    CHECK_THAT(result.reply.text,
               Catch::StartsWith("Denied: this needs permission 'deploy' on acme/prod"));
    CHECK_THAT(result.reply.text, Catch::Contains("prod-deployer: <@U02BOB0002> (Bob)"));
    CHECK(h.probe->runs == 0);
    const auto rows = h.rows_of(result.correlation_id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::denied);
    CHECK(rows[0].args_json == R"({"env":"prod","project":"acme"})");
}

TEST_CASE("dispatcher: an action is audited as accepted, then its outcome", "[dispatcher]") {
    Harness h;
    const auto result = h.run("probe acme stage", "U01ALICE01");
    CHECK(result.outcome == Outcome::succeeded);
    CHECK(result.reply.text == "probed acme");
    CHECK(h.probe->runs == 1);
    const auto rows = h.rows_of(result.correlation_id);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].outcome == Outcome::accepted);
    CHECK(rows[1].outcome == Outcome::succeeded);
    CHECK(rows[1].project == "acme");
    CHECK(rows[1].environment == "stage");
    CHECK(rows[1].external_ref == "https://jenkins.example/job/1");
}

TEST_CASE("dispatcher: prod needs a confirmation, a dry run does not", "[dispatcher]") {
    Harness h;
    const auto refused = h.run("probe acme prod", "U02BOB0002");
    CHECK(refused.outcome == Outcome::denied);
    CHECK_THAT(refused.reply.text, Catch::Contains("needs a confirmation"));
    CHECK(h.probe->runs == 0);
    const auto dry = h.run("probe acme prod --dry-run", "U02BOB0002");
    CHECK(dry.outcome == Outcome::succeeded);
    CHECK(dry.reply.text == "would probe acme");
}

TEST_CASE("dispatcher: a throwing command fails one event, audited, secret-free", "[dispatcher]") {
    Harness h;
    const auto result = h.run("explode acme stage", "U01ALICE01");
    CHECK(result.outcome == Outcome::failed);
    CHECK_THAT(result.reply.text, Catch::Contains(result.correlation_id));
    const auto rows = h.rows_of(result.correlation_id);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].outcome == Outcome::failed);
    CHECK_THAT(rows[1].error, Catch::Contains("adapter blew up"));
    CHECK_THAT(rows[1].error, !Catch::Contains("secretvalue"));
    // The dispatcher keeps working after a failure.
    CHECK(h.run("whoami", "U01ALICE01").outcome == Outcome::succeeded);
}

TEST_CASE("dispatcher: audit in chat needs the auditor role and shows rows", "[dispatcher]") {
    Harness h;
    h.run("whoami", "U01ALICE01");
    const auto denied = h.run("audit", "U02BOB0002");
    CHECK(denied.outcome == Outcome::denied);
    CHECK_THAT(denied.reply.text, Catch::Contains("auditor: <@U01ALICE01> (Alice)"));
    const auto shown = h.run("audit --actor <@U01ALICE01|alice>", "U01ALICE01");
    CHECK(shown.outcome == Outcome::succeeded);
    CHECK_THAT(shown.reply.text, Catch::Contains("whoami"));
    CHECK_THAT(shown.reply.text, !Catch::Contains("U02BOB0002"));
    const auto verified = h.run("audit verify", "U01ALICE01");
    CHECK(verified.outcome == Outcome::succeeded);
    CHECK_THAT(verified.reply.text, Catch::StartsWith("Audit chain intact: "));
}

TEST_CASE("dispatcher: whoami lists roles and their scope", "[dispatcher]") {
    Harness h;
    const auto bob = h.run("whoami", "U02BOB0002");
    CHECK_THAT(bob.reply.text,
               Catch::Contains("• *prod-deployer* on acme: deploy, purge on stage, prod"));
    const auto stranger = h.run("whoami", "U0STRANGER");
    CHECK_THAT(stranger.reply.text, Catch::Contains("You hold no role"));
}

TEST_CASE("dispatcher: an action delivered twice runs once", "[dispatcher]") {
    Harness h;
    const auto first = h.run("probe acme stage", "U01ALICE01", "event:Ev42");
    CHECK(first.outcome == Outcome::succeeded);
    const auto second = h.run("probe acme stage", "U01ALICE01", "event:Ev42");
    CHECK(second.outcome == Outcome::duplicate);
    CHECK_THAT(second.reply.text, Catch::StartsWith("Already handled: `probe acme stage`"));
    CHECK_THAT(second.reply.text, Catch::Contains("succeeded"));
    CHECK(h.probe->runs == 1);
    const auto rows = h.rows_of(second.correlation_id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::duplicate);
    // Read-only commands are not journaled: the same key runs again.
    CHECK(h.run("whoami", "U01ALICE01", "event:Ev43").outcome == Outcome::succeeded);
    CHECK(h.run("whoami", "U01ALICE01", "event:Ev43").outcome == Outcome::succeeded);
}

TEST_CASE("dispatcher: a throwing action leaves a finished intent", "[dispatcher]") {
    Harness h;
    h.run("explode acme stage", "U01ALICE01", "event:Ev50");
    CHECK(h.intents.unfinished().empty());
    CHECK(h.intents.find("event:Ev50")->outcome == "failed");
}

TEST_CASE("dispatcher: a held environment refuses a command by its lock policy", "[dispatcher]") {
    Harness h;
    const auto locks_database = h.database.connect();
    db::SqlLockStore locks{*locks_database};
    h.dispatcher->set_services(Services{.locks = &locks});
    Lock lock;
    lock.project = "acme";
    lock.env = Env::stage;
    lock.owner_id = "U01ALICE01";
    lock.owner_name = "alice";
    lock.reason = "db migration";
    lock.acquired = h.clock.now();
    REQUIRE_FALSE(locks.acquire(lock, h.clock.now()));

    // By default a lock is no concern of the command's.
    CHECK(h.run("probe acme stage", "U02BOB0002").outcome == Outcome::succeeded);

    h.probe->set_lock_policy(LockPolicy::refuse_others);
    CHECK(h.run("probe acme stage", "U01ALICE01").outcome == Outcome::succeeded);
    const auto refused = h.run("probe acme stage", "U02BOB0002");
    CHECK(refused.outcome == Outcome::failed);
    CHECK_THAT(refused.reply.text,
               Catch::StartsWith("Cannot probe acme stage: locked by <@U01ALICE01> (manual)"));
    CHECK_THAT(refused.reply.text, Catch::Contains("db migration"));
    CHECK_THAT(refused.reply.text,
               Catch::EndsWith("ask the holder, or `unlock acme stage` if you may"));
    const auto rows = h.rows_of(refused.correlation_id);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].outcome == Outcome::accepted);
    CHECK(rows[1].outcome == Outcome::failed);
    CHECK(rows[1].error == "locked");
    CHECK(h.run("probe acme stage --dry-run", "U02BOB0002").reply.text == "would probe acme");

    h.probe->set_lock_policy(LockPolicy::refuse_any);
    CHECK(h.run("probe acme stage", "U01ALICE01").outcome == Outcome::failed);
    CHECK(h.probe->runs == 3);
}
