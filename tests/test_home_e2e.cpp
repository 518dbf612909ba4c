// The App Home end to end: the real opsbot publishes each person's Home tab
// to the fake Slack (which refuses what Slack would), keeps it current when
// something changes in a channel, debounces bursts, answers its buttons, and
// prints the same dashboard as text in the console.

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/fakes/block_kit_limits.hpp"
#include "tests/fakes/fake_sentry.hpp"
#include "tests/support/slack_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAlice = "U01ALICE01";  // developer (stage) and auditor, every project
constexpr const char* kBob = "U02BOB0002";    // prod-deployer (with lock here), acme only

std::string home_text(const nlohmann::json& view) {
    std::string text;
    for (const auto& block : view["blocks"]) text += block.dump() + "\n";
    return text;
}

nlohmann::json home_of(const test::SlackBot& bot, const std::string& user) {
    const auto view = bot.slack.views().home_of(user);
    REQUIRE(view);
    return *view;
}

// The catalogue of the Slack tests, the prod-deployer role able to lock;
// and many projects for Alice when asked.
std::string catalogue(int extra_projects = 0) {
    std::string yaml = test::catalogue_with_deployer_permissions("deploy, purge, lock");
    std::string projects;
    for (int i = 0; i < extra_projects; ++i) {
        const std::string slug = "client-" + std::to_string(i);
        projects += "  - slug: " + slug + "\n    name: Client " + std::to_string(i) +
                    "\n    channel: \"#" + slug + "\"\n    environments:\n      stage:\n" +
                    "        jenkins_job: clients/" + slug + "/deploy-stage\n      prod:\n" +
                    "        jenkins_job: clients/" + slug + "/deploy-prod\n";
    }
    const std::string roles = "roles:\n";
    yaml.insert(yaml.find(roles), projects);
    return yaml;
}

// How many requests the publishes of user's Home tab took in, per its log lines.
std::size_t requests_published(const std::string& log, const std::string& user) {
    const std::regex line("published the Home tab of " + user + " \\((\\d+) request");
    std::size_t total = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
        total += std::stoul((*it)[1].str());
    return total;
}

}  // namespace

TEST_CASE("home e2e: each person's Home tab shows only their projects and buttons", "[e2e][home]") {
    test::SlackBot bot(catalogue());
    bot.start();
    bot.slack.send_home_opened(kAlice);
    bot.slack.send_home_opened(kBob);
    REQUIRE(bot.slack.views().wait_for_home(kAlice, 1));
    REQUIRE(bot.slack.views().wait_for_home(kBob, 1));

    const auto alice = home_of(bot, kAlice);
    CHECK(home_text(alice).find("*acme*") != std::string::npos);
    CHECK(home_text(alice).find("*globex*") != std::string::npos);
    // Stage roles only: no prod release.
    CHECK(test::view_buttons(alice) ==
          std::vector<std::string>{"opsbot_home_deploy_stage:acme", "opsbot_home_purge:acme",
                                   "opsbot_home_backup:acme", "opsbot_home_deploy_stage:globex",
                                   "opsbot_home_purge:globex", "opsbot_home_backup:globex"});

    const auto bob = home_of(bot, kBob);
    CHECK(home_text(bob).find("*acme*") != std::string::npos);
    CHECK(home_text(bob).find("globex") == std::string::npos);
    CHECK(test::view_buttons(bob) == std::vector<std::string>{"opsbot_home_deploy_stage:acme",
                                                              "opsbot_home_release_prod:acme",
                                                              "opsbot_home_purge:acme"});
    CHECK(bot.slack.views().refusals().empty());

    // A press opens the command's form for that project, with the press's trigger.
    const auto press =
        bot.slack.send_view_action(kBob, bob.value("id", ""), "opsbot_home_release_prod", "acme");
    const auto opened = bot.slack.views().wait_for_opened(bot.slack.trigger_of(press));
    REQUIRE(opened);
    CHECK(opened->value("callback_id", "") == "opsbot_form:deploy");
    const auto filled =
        bot.slack.views().wait_for_view(opened->value("id", ""), [](const nlohmann::json& view) {
            return view.dump().find("\"acme\"") != std::string::npos;
        });
    REQUIRE(filled);
    CHECK(filled->dump().find("\"value\":\"acme\"") != std::string::npos);
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("home e2e: a lock taken in a channel updates the Home tabs it concerns", "[e2e][home]") {
    test::SlackBot bot(catalogue());
    constexpr const char* kDave = "U04DAVE004";  // prod-deployer through the ops user group
    bot.slack.set_usergroup("S01OPS0001", {kDave});
    bot.start();
    bot.slack.send_home_opened(kAlice);
    REQUIRE(bot.slack.views().wait_for_home(kAlice, 1));
    CHECK(home_text(home_of(bot, kAlice)).find("🔒") == std::string::npos);

    bot.slack.send_slash({.text = "lock acme stage \"db migration\"", .user = kBob});
    const auto locked = [](const nlohmann::json& view) {
        return home_text(view).find("🔒 stage: locked by") != std::string::npos &&
               home_text(view).find("db migration") != std::string::npos;
    };
    // Alice has a role on acme: her tab follows without her opening it again.
    CHECK(bot.slack.views().wait_for_view(std::string("V0HOME") + kAlice, locked, 15s));
    // Bob never opened his, but as a named member of acme it is ready for him.
    REQUIRE(bot.slack.views().wait_for_home(kBob, 1, 15s));
    CHECK(locked(home_of(bot, kBob)));
    // Nor Dave, whose role comes through the user group: any replica reaches
    // him (his group read from Slack), not only one his tab was opened on.
    REQUIRE(bot.slack.views().wait_for_home(kDave, 1, 15s));
    CHECK(locked(home_of(bot, kDave)));
    CHECK(bot.slack.views().refusals().empty());
}

namespace {

// Sentry's issue.created (its documented sample) for the catalogue's acme.
std::string issue_created(const std::string& title) {
    std::ifstream in(std::string(OPSBOT_SOURCE_DIR) + "/tests/data/sentry/issue_created.json");
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    auto payload = nlohmann::json::parse(text.str());
    payload["data"]["issue"]["id"] = "4242";
    payload["data"]["issue"]["project"]["slug"] = "acme";
    payload["data"]["issue"]["title"] = title;
    return payload.dump();
}

}  // namespace

TEST_CASE("home e2e: a new alert shows on the Home tabs of its project", "[e2e][home]") {
    constexpr const char* kSecret = "sentry-client-secret-home";
    test::SlackBot bot(catalogue());
    bot.env["SENTRY_CLIENT_SECRET"] = kSecret;
    bot.start();
    bot.slack.send_home_opened(kBob);
    REQUIRE(bot.slack.views().wait_for_home(kBob, 1));
    CHECK(home_text(home_of(bot, kBob)).find("🚨") == std::string::npos);

    const std::string body = issue_created("TypeError: cart is undefined");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto accepted =
        bot.post("/hooks/sentry", body,
                 test::FakeSentry::webhook_headers("issue", body, kSecret, "req-home-1", now));
    REQUIRE(accepted.status < 300);
    CHECK(bot.slack.views().wait_for_view(
        std::string("V0HOME") + kBob,
        [](const nlohmann::json& view) {
            return home_text(view).find("🚨") != std::string::npos &&
                   home_text(view).find("TypeError: cart is undefined") != std::string::npos;
        },
        15s));
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("home e2e: a Home tab over Slack's block limit is folded, never refused", "[e2e][home]") {
    test::SlackBot bot(catalogue(60));
    bot.start();
    bot.slack.send_home_opened(kAlice);
    REQUIRE(bot.slack.views().wait_for_home(kAlice, 1));
    const auto alice = home_of(bot, kAlice);
    CHECK(bot.slack.views().refusals().empty());
    CHECK(alice["blocks"].size() <= 100);
    CHECK(home_text(alice).find("more projects") != std::string::npos);
    // Bob's one project is not folded.
    bot.slack.send_home_opened(kBob);
    REQUIRE(bot.slack.views().wait_for_home(kBob, 1));
    CHECK(home_text(home_of(bot, kBob)).find("more project") == std::string::npos);
    CHECK(bot.slack.views().refusals().empty());
}

TEST_CASE("home e2e: a burst of triggers for one person is one publish", "[e2e][home]") {
    test::SlackBot bot(catalogue());
    bot.env["OPSBOT_HOME_DEBOUNCE"] = "2s";
    bot.start();
    for (int i = 0; i < 5; ++i) bot.slack.send_home_opened(kAlice);
    REQUIRE(bot.slack.views().wait_for_home(kAlice, 1));
    // Every trigger was taken into a publish (each publish logs how many)...
    const std::string published = std::string("published the Home tab of ") + kAlice;
    for (int n = 1; requests_published(bot.process->log(), kAlice) < 5; ++n) {
        REQUIRE(n <= 5);
        bot.process->wait_for_log(published, 15, n);
    }
    // ...and they were fewer than the triggers.
    CHECK(bot.slack.views().publishes(kAlice) < 5);
    CHECK(bot.slack.views().publishes(kAlice) <= 2);
}

TEST_CASE("home e2e: the console's home command prints the same dashboard as text", "[e2e][home]") {
    test::TempDir dir;
    test::TestDatabase store{test::e2e_backend(), dir.file("opsbot.db")};
    std::map<std::string, std::string> env{{"OPSBOT_CONFIG", dir.write("opsbot.yaml", catalogue())},
                                           store.env(),
                                           {"OPSBOT_CONSOLE_USER", kBob}};
    const auto result = test::run_process(
        {OPSBOT_BINARY, {"console"}, env, "lock acme stage \"db migration\"\nhome\n", "", 60});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("Your projects (1,") != std::string::npos);
    CHECK(result.out.find("• acme · prod – · stage –") != std::string::npos);
    CHECK(result.out.find("🔒 stage: locked by") != std::string::npos);
    CHECK(result.out.find("you may: deploy stage, release prod, purge") != std::string::npos);
    CHECK(result.out.find("globex") == std::string::npos);
}
