// Confirmations through the real dispatcher and stores, on both backends: who may
// approve, expiry, second person, plan digests, double presses.

#include <catch2/catch.hpp>

#include "bot/dispatcher.hpp"
#include "commands/builtin_commands.hpp"
#include "core/digest.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

// Ships whatever `version` says; the plan shows it, so changing it voids approvals.
class ShipCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }
    Result<ConfirmationPlan> plan(CommandContext&, const ParsedArgs& args) const override {
        const std::string text = "ship " + args.project() + " " + version;
        return ConfirmationPlan{text, sha256_hex(text), "Ship"};
    }
    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        ++runs;
        approved_by = context.approved_by;
        actor = context.actor.user_id;
        return CommandResult::ok("shipped " + args.project() + " " + version);
    }
    std::string version = "v1";
    mutable int runs = 0;
    mutable std::string approved_by;
    mutable std::string actor;

private:
    CommandSpec spec_{
        .name = "ship",
        .summary = "test",
        .params = {{.name = "project", .type = ParamType::project, .help = "slug"},
                   {.name = "env", .type = ParamType::environment, .help = "env"}},
        .permission = "deploy",
        .confirm = ConfirmPolicy::prod_only,
        .action = true,
    };
};

Actor person(const std::string& id, std::vector<std::string> groups = {}) {
    Actor actor;
    actor.user_id = id;
    actor.name = id;
    actor.usergroups = std::move(groups);
    actor.source = Source::slack;
    return actor;
}

struct Harness {
    test::TestDatabase database{OPSBOT_EACH_BACKEND()};
    test::ManualClock clock;
    CatalogueSource catalogue{test::test_catalogue()};
    std::unique_ptr<db::AuditLog> audit;
    std::unique_ptr<db::Database> confirmations_database = database.connect();
    db::SqlConfirmationStore confirmations{*confirmations_database};
    CommandRegistry registry;
    ShipCommand* ship = nullptr;
    std::unique_ptr<Dispatcher> dispatcher;

    Harness() {
        audit = std::make_unique<db::AuditLog>(*database, clock);
        commands::register_builtin_commands(registry);
        auto owned = std::make_unique<ShipCommand>();
        ship = owned.get();
        registry.add(std::move(owned));
        dispatcher = std::make_unique<Dispatcher>(registry, catalogue, *audit, clock);
        dispatcher->enable_confirmations(confirmations, 600s);
    }

    DispatchResult ask(const std::string& text, const Actor& actor) {
        return dispatcher->handle(CommandRequest{text, actor, "C0ACME", "", "", ""});
    }
    DecisionResult press(const std::string& id, const Actor& actor, bool approve = true) {
        return dispatcher->decide({id, approve, actor, "C0ACME", "1700000000.000200"});
    }
    std::vector<AuditRecord> rows(const std::string& correlation_id) {
        AuditQuery query;
        query.correlation_id = correlation_id;
        query.limit = 0;
        auto found = audit->query(query);
        std::reverse(found.begin(), found.end());
        return found;
    }
};

// The id the reply asks to type: "`confirm <id>`".
std::string confirmation_id(const std::string& reply) {
    const std::string marker = "`confirm ";
    const auto at = reply.find(marker);
    REQUIRE(at != std::string::npos);
    return reply.substr(at + marker.size(),
                        reply.find('`', at + marker.size()) - at - marker.size());
}

const Actor kBob = person("U02BOB0002");                  // prod-deployer on acme
const Actor kAlice = person("U01ALICE01");                // developer, stage only
const Actor kOps = person("U09OPS0009", {"S01OPS0001"});  // prod-deployer everywhere

}  // namespace

TEST_CASE("confirm: prod is parked with its plan and buttons, nothing runs", "[confirm]") {
    Harness h;
    const auto asked = h.ask("ship acme prod", kBob);
    CHECK(asked.outcome == Outcome::accepted);
    CHECK(asked.reply.visibility == Visibility::in_channel);
    CHECK_THAT(asked.reply.text, Catch::StartsWith("ship acme v1"));
    CHECK_THAT(asked.reply.text, Catch::Contains("other than <@U02BOB0002>"));
    CHECK_THAT(asked.reply.text, Catch::Contains("Expires in 10 min"));
    const auto id = confirmation_id(asked.reply.text);
    CHECK_THAT(asked.reply.blocks_json, Catch::Contains(R"("action_id":"opsbot_confirm")"));
    CHECK_THAT(asked.reply.blocks_json, Catch::Contains(R"("value":")" + id + "\""));
    CHECK(h.ship->runs == 0);
    const auto rows = h.rows(asked.correlation_id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].outcome == Outcome::accepted);
    CHECK(rows[0].external_ref == "confirmation " + id);
}

TEST_CASE("confirm: only a holder of the prod role, not the requester, may approve", "[confirm]") {
    Harness h;
    const auto asked = h.ask("ship acme prod", kBob);
    const auto id = confirmation_id(asked.reply.text);

    const auto by_alice = h.press(id, kAlice);
    CHECK(by_alice.result.outcome == Outcome::denied);
    CHECK_FALSE(by_alice.decided);
    CHECK_THAT(by_alice.result.reply.text, Catch::Contains("You cannot confirm this"));

    const auto by_bob = h.press(id, kBob);
    CHECK(by_bob.result.outcome == Outcome::denied);
    CHECK_THAT(by_bob.result.reply.text, Catch::Contains("needs a second person"));
    CHECK(h.ship->runs == 0);

    const auto by_ops = h.press(id, kOps);
    CHECK(by_ops.decided);
    CHECK(by_ops.result.outcome == Outcome::succeeded);
    CHECK_THAT(by_ops.result.reply.text, Catch::StartsWith("Confirmed by <@U09OPS0009>."));
    CHECK_THAT(by_ops.result.reply.text, Catch::Contains("shipped acme v1"));
    CHECK(h.ship->runs == 1);
    CHECK(h.ship->actor == "U02BOB0002");  // it runs as the requester's command
    CHECK(h.ship->approved_by == "U09OPS0009");

    const auto again = h.press(id, kOps);
    CHECK(again.result.outcome == Outcome::duplicate);
    CHECK(h.ship->runs == 1);

    std::vector<Outcome> outcomes;
    for (const auto& row : h.rows(asked.correlation_id)) outcomes.push_back(row.outcome);
    CHECK(outcomes == std::vector<Outcome>{Outcome::accepted, Outcome::denied, Outcome::denied,
                                           Outcome::confirmed, Outcome::accepted,
                                           Outcome::succeeded});
}

TEST_CASE("confirm: without the second-person rule the requester may approve", "[confirm]") {
    Harness h;
    const auto asked = h.ask("ship globex prod", kOps);
    CHECK_THAT(asked.reply.text, !Catch::Contains("other than"));
    const auto id = confirmation_id(asked.reply.text);
    CHECK(h.press(id, kOps).result.outcome == Outcome::succeeded);
    CHECK(h.ship->runs == 1);
}

TEST_CASE("confirm: a late press says it expired and runs nothing", "[confirm]") {
    Harness h;
    const auto asked = h.ask("ship acme prod", kBob);
    const auto id = confirmation_id(asked.reply.text);
    h.clock.advance(11min);
    const auto late = h.press(id, kOps);
    CHECK(late.decided);
    CHECK(late.result.outcome == Outcome::expired);
    CHECK_THAT(late.result.reply.text, Catch::Contains("expired at 2026-11-24T22:23:47.123Z"));
    CHECK(h.ship->runs == 0);
    const auto rows = h.rows(asked.correlation_id);
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.back().outcome == Outcome::expired);
    CHECK(rows.back().external_ref == "confirmation " + id);
    CHECK(h.press(id, kOps).result.outcome == Outcome::duplicate);
}

TEST_CASE("confirm: a changed plan voids the approval and posts a new one", "[confirm]") {
    Harness h;
    const auto id = confirmation_id(h.ask("ship acme prod", kBob).reply.text);
    h.ship->version = "v2";
    const auto pressed = h.press(id, kOps);
    CHECK(pressed.decided);
    CHECK(pressed.result.outcome == Outcome::failed);
    CHECK_THAT(pressed.result.reply.text, Catch::Contains("that approval is void"));
    CHECK_THAT(pressed.result.reply.text, Catch::Contains("ship acme v2"));
    CHECK(h.ship->runs == 0);
    const auto fresh = confirmation_id(pressed.result.reply.text);
    CHECK(fresh != id);
    CHECK(h.press(fresh, kOps).result.outcome == Outcome::succeeded);
    CHECK(h.ship->runs == 1);
}

TEST_CASE("confirm: cancel, and the typed forms", "[confirm]") {
    Harness h;
    const auto id = confirmation_id(h.ask("ship acme prod", kBob).reply.text);
    const auto cancelled = h.ask("cancel " + id, kBob);
    CHECK(cancelled.outcome == Outcome::cancelled);
    CHECK_THAT(cancelled.reply.text, Catch::Contains("Cancelled by <@U02BOB0002>"));
    const auto late = h.ask("confirm " + id, kOps);
    CHECK(late.outcome == Outcome::duplicate);
    CHECK_THAT(late.reply.text, Catch::Contains("was already cancelled"));
    CHECK(h.ship->runs == 0);

    const auto second = confirmation_id(h.ask("ship acme prod", kBob).reply.text);
    CHECK(h.ask("confirm " + second, kOps).outcome == Outcome::succeeded);
    CHECK(h.ship->runs == 1);
    CHECK(h.ask("confirm nosuchid", kOps).outcome == Outcome::failed);
}

TEST_CASE("confirm: the expiry sweep marks an unanswered confirmation expired, audited once",
          "[confirm]") {
    Harness h;
    const auto asked = h.ask("ship acme prod", kBob);
    const auto id = confirmation_id(asked.reply.text);
    CHECK(h.dispatcher->expire_confirmations() == 0);
    h.clock.advance(11min);
    CHECK(h.dispatcher->expire_confirmations() == 1);
    CHECK(h.dispatcher->expire_confirmations() == 0);
    const auto rows = h.rows(asked.correlation_id);
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.back().outcome == Outcome::expired);
    CHECK(rows.back().error == "expired unanswered");
    CHECK(rows.back().external_ref == "confirmation " + id);
    const auto late = h.press(id, kOps);
    CHECK(late.result.outcome == Outcome::expired);
    CHECK_THAT(late.result.reply.text, Catch::Contains("expired at 2026-11-24T22:23:47.123Z"));
    CHECK(h.ship->runs == 0);
    CHECK(h.rows(asked.correlation_id).size() == rows.size());
}
