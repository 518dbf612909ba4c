// Freeze windows through the real dispatcher, the real deploy and freeze
// commands and the SQLite audit log and confirmations: refusals, dry runs,
// and the override that needs its own permission and a second person.

#include <catch2/catch.hpp>

#include "bot/dispatcher.hpp"
#include "commands/builtin_commands.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

// The test catalogue, a weekend freeze for everyone, and release managers:
// Bob on acme, Carol everywhere. The ops group deploys prod everywhere but
// may not override a freeze.
std::string freeze_catalogue() {
    std::string yaml = test::kCatalogueYaml;
    yaml.replace(yaml.find("roles:\n"), 7,
                 "roles:\n  release-manager:\n    permissions: [freeze-override]\n"
                 "    environments: [stage, prod]\n");
    return yaml +
           "  - user: U02BOB0002\n    name: Bob\n    roles: [release-manager]\n"
           "    projects: [acme]\n"
           "  - user: U03CAROL03\n    name: Carol\n    roles: [prod-deployer, release-manager]\n"
           "freeze:\n"
           "  - name: Weekend\n"
           "    every: friday 15:00 to monday 08:00\n"
           "    time_zone: Europe/Berlin\n";
}

Catalogue load(const std::string& yaml) {
    auto loaded = parse_catalogue(yaml, "freeze.yaml");
    INFO(format_problems(loaded.problems));
    REQUIRE(loaded.ok());
    return loaded.catalogue;
}

Actor person(const std::string& id, std::vector<std::string> groups = {}) {
    Actor actor;
    actor.user_id = id;
    actor.name = id;
    actor.usergroups = std::move(groups);
    actor.source = Source::slack;
    return actor;
}

const Actor kBob = person("U02BOB0002");
const Actor kCarol = person("U03CAROL03");
const Actor kOps = person("U09OPS0009", {"S01OPS0001"});

struct Harness {
    test::TempDir dir;
    db::Database database{dir.file("opsbot.db")};
    test::ManualClock clock;
    CatalogueSource catalogue{load(freeze_catalogue())};
    std::unique_ptr<db::AuditLog> audit;
    db::Database confirmations_database{dir.file("opsbot.db")};
    db::SqlConfirmationStore confirmations{confirmations_database};
    CommandRegistry registry;
    std::unique_ptr<Dispatcher> dispatcher;

    Harness() {
        db::migrate(database);
        audit = std::make_unique<db::AuditLog>(database, clock);
        commands::register_builtin_commands(registry);
        dispatcher = std::make_unique<Dispatcher>(registry, catalogue, *audit, clock);
        dispatcher->enable_confirmations(confirmations, 600s);
        set_time("2026-11-30T04:50:00Z");  // Monday 05:50 in Berlin: 2h 10m of weekend left
    }

    void set_time(const std::string& iso) { clock.time = *parse_iso8601(iso); }
    DispatchResult ask(const std::string& text, const Actor& actor) {
        return dispatcher->handle(CommandRequest{text, actor, "C0ACME", "", "", ""});
    }
    DecisionResult press(const std::string& id, const Actor& actor) {
        return dispatcher->decide({id, true, actor, "C0ACME", "1700000000.000200"});
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

std::string confirmation_id(const std::string& reply) {
    const std::string marker = "`confirm ";
    const auto at = reply.find(marker);
    REQUIRE(at != std::string::npos);
    return reply.substr(at + marker.size(),
                        reply.find('`', at + marker.size()) - at - marker.size());
}

constexpr const char* kWeekendNow =
    "freeze window 'Weekend' (everyone) is in force until Mon 2026-11-30 08:00 CET (07:00 UTC), "
    "in 2h 10m";
constexpr const char* kOverrideNote =
    "freeze override: Weekend (everyone, until 2026-11-30T07:00:00.000Z): checkout is down";

}  // namespace

TEST_CASE("freeze dispatch: a prod deploy in a window is refused, naming it and its end",
          "[freeze]") {
    Harness h;
    const auto refused = h.ask("deploy acme prod", kBob);
    CHECK(refused.outcome == Outcome::denied);
    CHECK(refused.reply.text ==
          std::string("Cannot deploy acme prod: ") + kWeekendNow +
              "\nwait until it ends, or, if it cannot wait, `deploy acme prod --override-freeze "
              "\"<reason>\"`: that needs the freeze-override permission and the approval of a "
              "second person who holds it");
    const auto rows = h.rows(refused.correlation_id);
    REQUIRE(rows.size() == 1);  // no confirmation was asked
    CHECK(rows[0].outcome == Outcome::denied);
    CHECK(rows[0].error == std::string("Cannot deploy acme prod: ") + kWeekendNow);

    // Stage is never frozen; a dry run is not refused but says so.
    CHECK(h.ask("deploy acme stage", kBob).outcome == Outcome::succeeded);
    const auto dry = h.ask("deploy acme prod --dry-run", kBob);
    CHECK(dry.outcome == Outcome::succeeded);
    CHECK_THAT(dry.reply.text, Catch::Contains("Nothing was changed."));
    CHECK_THAT(dry.reply.text,
               Catch::EndsWith(std::string("❄️ Note: ") + kWeekendNow +
                               "; without --dry-run this is refused unless "
                               "overridden with `--override-freeze \"<reason>\"`."));

    h.set_time("2026-11-30T07:00:00Z");  // Monday 08:00: the window is over
    const auto asked = h.ask("deploy acme prod", kBob);
    CHECK(asked.outcome == Outcome::accepted);
    CHECK_THAT(asked.reply.text, !Catch::Contains("freeze"));
}

TEST_CASE("freeze dispatch: a window that begins while a confirmation waits stops the run",
          "[freeze]") {
    Harness h;
    h.set_time("2026-11-27T13:58:00Z");  // Friday 14:58 in Berlin
    const auto asked = h.ask("deploy acme prod", kBob);
    REQUIRE(asked.outcome == Outcome::accepted);
    h.clock.advance(3min);
    const auto pressed = h.press(confirmation_id(asked.reply.text), kOps);
    CHECK(pressed.result.outcome == Outcome::failed);
    CHECK_THAT(pressed.result.reply.text,
               Catch::StartsWith("Confirmed by <@U09OPS0009>.\nCannot deploy acme prod: freeze "
                                 "window 'Weekend' (everyone) is in force until Mon 2026-11-30 "
                                 "08:00 CET (07:00 UTC), in 2d 16h\n"));
    CHECK(h.rows(asked.correlation_id).back().error == "frozen");
}

TEST_CASE("freeze dispatch: --override-freeze needs the freeze-override permission", "[freeze]") {
    Harness h;
    const auto denied = h.ask("deploy acme prod --override-freeze \"checkout is down\"", kOps);
    CHECK(denied.outcome == Outcome::denied);
    CHECK_THAT(denied.reply.text,
               Catch::StartsWith("`--override-freeze`: Denied: this needs permission "
                                 "'freeze-override' on acme/prod. Roles that grant it:\n"
                                 "• release-manager: <@U02BOB0002> (Bob), <@U03CAROL03> (Carol)"));
    CHECK(h.rows(denied.correlation_id).at(0).outcome == Outcome::denied);

    const auto empty = h.ask("deploy acme prod --override-freeze \"\"", kBob);
    CHECK(empty.outcome == Outcome::parse_error);
    CHECK_THAT(empty.reply.text,
               Catch::StartsWith("--override-freeze needs a value: --override-freeze <reason>, "
                                 "not an empty one"));
    const auto stage = h.ask("deploy acme stage --override-freeze x", kBob);
    CHECK(stage.outcome == Outcome::parse_error);
    CHECK(stage.reply.text ==
          "--override-freeze is for prod: freeze windows never hold stage\nleave it out");
}

TEST_CASE("freeze dispatch: an override is confirmed by another holder, runs and is audited",
          "[freeze]") {
    Harness h;
    const auto asked = h.ask("deploy acme prod --override-freeze \"checkout is down\"", kBob);
    CHECK(asked.outcome == Outcome::accepted);
    CHECK_THAT(asked.reply.text, Catch::Contains(std::string("❄️ *Overrides the freeze*: ") +
                                                 kWeekendNow + ".\n• reason: checkout is down\n"));
    CHECK_THAT(asked.reply.text,
               Catch::Contains("Needs someone allowed to 'deploy' on acme/prod and "
                               "'freeze-override' on acme/prod, other than <@U02BOB0002>."));
    const auto id = confirmation_id(asked.reply.text);

    const auto by_bob = h.press(id, kBob);
    CHECK(by_bob.result.outcome == Outcome::denied);
    CHECK(by_bob.result.reply.text ==
          "`deploy acme prod --override-freeze \"checkout is down\"` needs a second person: "
          "someone other than you must confirm it.");
    const auto by_ops = h.press(id, kOps);  // deploys prod, may not override
    CHECK(by_ops.result.outcome == Outcome::denied);
    CHECK_THAT(by_ops.result.reply.text,
               Catch::StartsWith("You cannot confirm this: `--override-freeze`: Denied: this needs "
                                 "permission 'freeze-override' on acme/prod."));

    const auto by_carol = h.press(id, kCarol);
    CHECK(by_carol.decided);
    CHECK(by_carol.result.outcome == Outcome::succeeded);
    CHECK_THAT(by_carol.result.reply.text, Catch::StartsWith("Confirmed by <@U03CAROL03>."));
    CHECK_THAT(by_carol.result.reply.text,
               Catch::Contains("JENKINS_URL is not set, so a dry run*: deploying acme prod"));

    const auto rows = h.rows(asked.correlation_id);
    std::vector<std::string> seen;
    for (const auto& row : rows)
        seen.push_back(std::string(to_string(row.outcome)) + " " + row.actor_id + " " + row.error);
    CHECK(seen == std::vector<std::string>{
                      std::string("accepted U02BOB0002 ") + kOverrideNote,
                      "denied U02BOB0002 requester cannot approve",
                      "denied U09OPS0009 not allowed to confirm",
                      std::string("confirmed U03CAROL03 ") + kOverrideNote,
                      std::string("accepted U02BOB0002 ") + kOverrideNote,
                      std::string("succeeded U02BOB0002 ") + kOverrideNote,
                  });
    CHECK(rows.front().external_ref == "confirmation " + id);
}

TEST_CASE(
    "freeze dispatch: the override's second person holds even where prod does not ask "
    "for one",
    "[freeze]") {
    Harness h;  // globex has no prod_requires_second_person
    const auto asked = h.ask("deploy globex prod --override-freeze hotfix", kCarol);
    CHECK_THAT(asked.reply.text, Catch::Contains("other than <@U03CAROL03>"));
    const auto self = h.press(confirmation_id(asked.reply.text), kCarol);
    CHECK(self.result.outcome == Outcome::denied);
    CHECK_THAT(self.result.reply.text, Catch::EndsWith("needs a second person: someone other "
                                                       "than you must confirm it."));
}

TEST_CASE("freeze dispatch: an override approved after its window ended is void and asked again",
          "[freeze]") {
    Harness h;
    h.set_time("2026-11-30T06:55:00Z");  // Monday 07:55 in Berlin
    const auto asked = h.ask("deploy acme prod --override-freeze \"checkout is down\"", kBob);
    h.clock.advance(6min);  // Monday 08:00 has passed
    const auto pressed = h.press(confirmation_id(asked.reply.text), kCarol);
    CHECK(pressed.result.outcome == Outcome::failed);
    CHECK_THAT(pressed.result.reply.text,
               Catch::StartsWith("The plan changed since it was shown; that approval is void."));
    CHECK_THAT(pressed.result.reply.text,
               Catch::Contains("Asks to override the freeze, but no freeze window is in force "
                               "now."));
}

TEST_CASE("freeze dispatch: `freeze` lists the windows, the one in force and the next",
          "[freeze]") {
    Harness h;
    const auto all = h.ask("freeze", kOps);
    CHECK(all.outcome == Outcome::succeeded);
    CHECK_THAT(
        all.reply.text,
        Catch::Contains("❄️ Prod releases are frozen now for acme, globex.\n\n*Everyone's*\n"
                        "• *Weekend* — every friday 15:00 to monday 08:00 (Europe/Berlin): "
                        "❄️ *in force* until Mon 2026-11-30 08:00 CET (07:00 UTC), in 2h "
                        "10m; next from Fri 2026-12-04 15:00 CET (14:00 UTC), in 4d 9h\n"));
    h.set_time("2026-12-01T12:00:00Z");
    const auto acme = h.ask("freeze acme", kOps);
    CHECK_THAT(acme.reply.text,
               Catch::Contains("acme prod: no freeze window is in force now; the next is "
                               "'Weekend' from Fri 2026-12-04 15:00 CET (14:00 UTC), in 3d 2h."));
    const auto help = h.ask("help deploy", kOps);
    CHECK_THAT(help.reply.text,
               Catch::Contains("`--override-freeze <reason>`: release during a freeze window, "
                               "saying why (needs 'freeze-override'; always confirmed, by "
                               "someone other than the requester)"));
}
