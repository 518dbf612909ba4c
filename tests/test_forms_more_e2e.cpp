// Forms end to end, command by command: a bare /release, /purge or /backup
// and a Home tab button each open their form, and its submission reaches the
// real services' fakes (git and Jenkins, Cloudflare, S3) as the typed command
// would, with the answer where the person is and Source::modal in the audit.

#include <catch2/catch.hpp>

#include "tests/support/form_driver.hpp"
#include "tests/support/release_bot.hpp"
#include "tests/support/site_bot.hpp"

using namespace opsbot;
using namespace opsbot::test;
using namespace std::chrono_literals;

namespace {

// The oldest row from a form with this outcome (rows: newest first).
AuditRecord modal_row(const std::vector<AuditRecord>& rows, Outcome outcome) {
    const auto from_form = modal_rows(rows);
    const auto found = std::find_if(from_form.rbegin(), from_form.rend(),
                                    [&](const AuditRecord& r) { return r.outcome == outcome; });
    REQUIRE(found != from_form.rend());
    return *found;
}

}  // namespace

TEST_CASE("forms e2e: a bare /release shows what goes out, a second person confirms, it ships",
          "[e2e][forms][release]") {
    ReleaseBot r;
    const auto before = r.repos.origin_sha("master");
    const auto login = r.develop_commit("login.txt", "Add the login form");
    const auto cart = r.develop_commit("cart.txt", "Fix the cart total");
    r.d.bot.start();
    auto& bot = r.d.bot;
    const auto form = open_form(bot, "/release", "", kBob);
    CHECK(block_ids(form.view) ==
          std::vector<std::string>{"project", "env", "--override-freeze", "switches"});
    CHECK(offered(bot, kBob, form.id(), "") == std::vector<std::string>{"acme"});

    choose(bot, kBob, form.id(), "project", "acme");
    const auto planned = wait_for_form(bot, form.id(), "Fix the cart total");
    const std::string plan = planned.at("blocks").dump();
    CHECK_THAT(plan, Catch::Contains("*Release acme to prod*"));
    CHECK_THAT(plan, Catch::Contains("*2 commits go out:*"));
    CHECK_THAT(plan, Catch::Contains("`" + short_of(cart) + "` Fix the cart total — Ada Dev"));
    CHECK_THAT(plan, Catch::Contains("`" + short_of(login) + "` Add the login form — Ada Dev"));
    CHECK(r.repos.origin_sha("master") == before);

    CHECK(submit(bot, kBob, form.id(), FakeViews::as_shown(planned)) == nlohmann::json::object());
    const auto asked = bot.slack.wait_for_response_to(form.envelope, 20s);
    REQUIRE(asked);
    CHECK(asked->value("response_type", "") == "in_channel");
    CHECK_THAT(text_of(*asked), Catch::Contains("*Release acme to prod*"));
    CHECK_THAT(text_of(*asked), Catch::Contains("Fix the cart total"));
    CHECK_THAT(asked->dump(), Catch::Contains("opsbot_confirm"));
    CHECK_THAT(asked->dump(), Catch::Contains("opsbot_cancel"));
    CHECK(r.repos.origin_sha("master") == before);  // nothing moves before the approval

    const auto id = confirmation_id(text_of(*asked));
    CHECK_THAT(text_of(r.d.press(kBob, "opsbot_confirm", id)),
               Catch::Contains("needs a second person"));
    CHECK_THAT(text_of(r.d.press(kCarol, "opsbot_confirm", id)),
               Catch::Contains("Releasing *acme*: pushed `" + short_of(cart) +
                               "` to `master` (2 commits, fast-forward)"));
    CHECK(r.repos.origin_sha("master") == cart);
    r.built(cart, 1);

    const auto rows = bot.audit_rows();
    const auto submitted = modal_row(rows, Outcome::accepted);
    CHECK(submitted.command == "release acme prod");
    CHECK(submitted.actor_id == kBob);
    CHECK_THAT(submitted.external_ref, Catch::StartsWith("confirmation "));
    CHECK(has_row(rows, Outcome::succeeded, "release #1 " + cart));
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: a bare /purge purges the chosen project's zone, and only what one may",
          "[e2e][forms][sites]") {
    SiteBot s;
    s.bot.start();
    const auto form = open_form(s.bot, "/purge", "", kBob);
    CHECK(offered(s.bot, kBob, form.id(), "") == std::vector<std::string>{"acme"});
    CHECK(offered(s.bot, kBob, form.id(), "glo").empty());

    // Bob holds no role on globex: a submission naming it anyway is refused.
    const auto forged =
        submit(s.bot, kBob, form.id(),
               {{"project", project("globex")}, {"env", FakeViews::select("prod")}});
    CHECK(forged.value("response_action", "") == "errors");
    CHECK_THAT(forged["errors"].value("project", ""), Catch::Contains("'purge' on globex"));
    CHECK(s.cloudflare.purges().empty());
    const auto denied = modal_row(s.audit_rows(), Outcome::denied);
    CHECK(denied.command == "purge globex prod");
    CHECK(denied.actor_id == kBob);

    auto values = FakeViews::as_shown(form.view);  // prod, the default
    values["project"] = project("acme");
    CHECK(submit(s.bot, kBob, form.id(), values) == nlohmann::json::object());
    const auto answer = s.bot.slack.wait_for_response_to(form.envelope, 20s);
    REQUIRE(answer);
    CHECK_THAT(text_of(*answer), Catch::Contains("Purged everything on acme.com"));
    const auto purges = s.cloudflare.purges();
    REQUIRE(purges.size() == 1);
    CHECK(purges[0].zone_id == kAcmeZone);
    CHECK(purges[0].body == nlohmann::json{{"purge_everything", true}});

    const auto purged = modal_row(s.audit_rows(), Outcome::succeeded);
    CHECK(purged.command == "purge acme prod");
    CHECK(purged.actor_id == kBob);
    CHECK(purged.external_ref == std::string("zone ") + kAcmeZone + ": everything");
    CHECK(s.bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: a bare /backup offers the dates there are and hands out a private link",
          "[e2e][forms][sites]") {
    SiteBot s;
    const auto now = std::chrono::system_clock::now();
    s.s3.put_object("backups/acme/2026-11-22.tar.lrz", std::string(1024, 'o'), now - 50h);
    s.s3.put_object("backups/acme/2026-11-23.tar.lrz", std::string(2048, 'a'), now - 26h);
    s.s3.put_object("backups/acme/2026-11-24.tar.lrz", "the newest backup bytes", now - 2h);
    s.s3.put_object("backups/acme/notes.txt", "not a backup", now);
    s.bot.start();
    const auto form = open_form(s.bot, "/backup", "", kBob);
    choose(s.bot, kBob, form.id(), "project", "acme");
    const auto dated = wait_for_form(s.bot, form.id(), "2026-11-24");
    std::vector<std::string> dates;
    for (const auto& option : block(dated, "date")["element"]["options"])
        dates.push_back(option.value("value", ""));
    CHECK(dates == std::vector<std::string>{"2026-11-24", "2026-11-23", "2026-11-22"});

    auto values = FakeViews::as_shown(dated);
    values["date"] = FakeViews::select("2026-11-23");
    CHECK(submit(s.bot, kBob, form.id(), values) == nlohmann::json::object());
    const auto answer = s.bot.slack.wait_for_response_to(form.envelope, 20s);
    REQUIRE(answer);
    CHECK(answer->value("response_type", "") == "ephemeral");
    CHECK_THAT(text_of(*answer), Catch::Contains("*acme prod* backup 2026-11-23 (2.0 KiB)"));
    const auto url = backup_link(text_of(*answer));
    const auto downloaded = CurlHttpClient().send({"GET", url, {}, ""});
    REQUIRE(downloaded.ok());
    CHECK(downloaded.value().body == std::string(2048, 'a'));

    // The signature is in the answer only: not in the audit, not in the log.
    const auto signature = signature_of(url);
    const auto got = modal_row(s.audit_rows(), Outcome::succeeded);
    CHECK(got.command == "backup acme prod 2026-11-23");
    CHECK(got.external_ref == "s3 object backups/acme/2026-11-23.tar.lrz");
    for (const auto& row : s.audit_rows())
        CHECK((row.command + row.external_ref + row.error).find(signature) == std::string::npos);
    CHECK(s.bot.process->log().find(signature) == std::string::npos);
    CHECK(s.bot.process->log().find("X-Amz-Signature") == std::string::npos);
    CHECK(s.bot.slack.views().refusals().empty());
}

// What one sends by direct message (a Home tab has no response_url).
bool told(const SlackBot& bot, const std::string& user, const std::string& part) {
    return FakeHttpServer::wait_until(
        [&] {
            for (const auto& m : bot.slack.api_calls("chat.postMessage"))
                if (m.value("channel", "") == user &&
                    m.value("text", "").find(part) != std::string::npos)
                    return true;
            return false;
        },
        20s);
}

TEST_CASE("forms e2e: clicks alone: Deploy stage on the Home tab deploys, told by direct message",
          "[e2e][forms][home]") {
    DeployBot d;
    d.bot.start();
    const auto view_id = press_home(d.bot, kAlice, "deploy_stage", "acme");
    // Prefilled from the button: the project, its stage, and stage's branch.
    const auto shown = FakeViews::as_shown(wait_for_filled(d.bot, view_id));
    CHECK(shown.at("project") == project("acme"));
    CHECK(shown.at("env") == FakeViews::select("stage"));
    CHECK(shown.at("ref") == FakeViews::text("develop"));

    CHECK(submit(d.bot, kAlice, view_id, shown) == nlohmann::json::object());
    CHECK(told(d.bot, kAlice, "Deploying *acme stage* (`develop`)"));
    REQUIRE(d.jenkins.triggers().size() == 1);
    CHECK(d.jenkins.triggers()[0].body == "BRANCH=develop");
    REQUIRE(d.wait_for_message("Deploy #1 of acme stage succeeded (SUCCESS)"));
    CHECK(d.jenkins.builds(kStageJob).size() == 1);
    CHECK(d.bot.slack.responses().empty());  // no response_url anywhere on this path

    const auto accepted = modal_row(d.bot.audit_rows(), Outcome::accepted);
    CHECK(accepted.command == "deploy acme stage develop");
    CHECK(accepted.actor_id == kAlice);
    CHECK(d.bot.slack.views().refusals().empty());
}

TEST_CASE("forms e2e: clicks alone: a developer's Purge button purges stage, the one they may",
          "[e2e][forms][home][sites]") {
    constexpr const char* kStageZone = "9a7806061c88ada191ed06f989cc3dac";
    SiteBot s;
    s.cloudflare.add_zone(kStageZone, "stage.acme.com");
    s.bot.start();
    const auto view_id = press_home(s.bot, kAlice, "purge", "acme");
    const auto shown = FakeViews::as_shown(wait_for_filled(s.bot, view_id));
    CHECK(shown.at("project") == project("acme"));
    CHECK(shown.at("env") == FakeViews::select("stage"));  // not prod, the default

    CHECK(submit(s.bot, kAlice, view_id, shown) == nlohmann::json::object());
    CHECK(told(s.bot, kAlice, "Purged everything on stage.acme.com"));
    const auto purges = s.cloudflare.purges();
    REQUIRE(purges.size() == 1);
    CHECK(purges[0].zone_id == kStageZone);
    CHECK(s.bot.slack.responses().empty());
    const auto purged = modal_row(s.audit_rows(), Outcome::succeeded);
    CHECK(purged.command == "purge acme stage");
    CHECK(purged.actor_id == kAlice);
    CHECK(s.bot.slack.views().refusals().empty());
}
