// The Home tab's data and Block Kit without Slack: who sees which projects
// and buttons, and a view that folds to stay within Slack's limits (checked
// by the fake Slack's own reading of those limits).

#include <catch2/catch.hpp>

#include "bot/views/home_view.hpp"
#include "core/dashboard.hpp"
#include "tests/fakes/block_kit_limits.hpp"
#include "tests/support/fixtures.hpp"

using namespace opsbot;

namespace {

Actor person(const std::string& user_id) {
    Actor actor;
    actor.user_id = user_id;
    actor.source = Source::slack;
    return actor;
}

std::vector<std::string> slugs(const Dashboard& dashboard) {
    std::vector<std::string> out;
    for (const auto& board : dashboard.projects) out.push_back(board.project.slug);
    return out;
}

// A catalogue of n projects with long names, all of them Alice's.
Catalogue many_projects(int n) {
    Catalogue catalogue = test::test_catalogue();
    catalogue.projects.clear();
    for (int i = 0; i < n; ++i) {
        Project project;
        project.slug = "client-" + std::to_string(i);
        project.name = "Client " + std::to_string(i);
        project.environments[Env::stage] = Environment{.jenkins_job = "stage-" + project.slug};
        project.environments[Env::prod] = Environment{.jenkins_job = "prod-" + project.slug};
        catalogue.projects.push_back(project);
    }
    return catalogue;
}

}  // namespace

TEST_CASE("home dashboard: each person sees the projects and actions of their roles", "[home]") {
    const Catalogue catalogue = test::test_catalogue();
    const Services none;
    const auto now = SystemClock().now();

    const auto alice = gather_dashboard(catalogue, none, person("U01ALICE01"), now);
    CHECK(slugs(alice) == std::vector<std::string>{"acme", "globex"});
    // developer: deploy, purge and backup on stage only.
    CHECK(alice.projects[0].actions == std::vector<DashboardAction>{DashboardAction::deploy_stage,
                                                                    DashboardAction::purge,
                                                                    DashboardAction::backup});

    const auto bob = gather_dashboard(catalogue, none, person("U02BOB0002"), now);
    CHECK(slugs(bob) == std::vector<std::string>{"acme"});
    CHECK(bob.projects[0].actions == std::vector<DashboardAction>{DashboardAction::deploy_stage,
                                                                  DashboardAction::release_prod,
                                                                  DashboardAction::purge});

    // A user group's members get its roles once the router resolved them.
    Actor ops = person("U09NOBODY9");
    CHECK(gather_dashboard(catalogue, none, ops, now).projects.empty());
    ops.usergroups = {"S01OPS0001"};
    CHECK(slugs(gather_dashboard(catalogue, none, ops, now)) ==
          std::vector<std::string>{"acme", "globex"});

    const auto view = views::home_view(bob);
    CHECK(test::view_problems(view).empty());
    CHECK(test::view_buttons(view) == std::vector<std::string>{"opsbot_home_deploy_stage:acme",
                                                               "opsbot_home_release_prod:acme",
                                                               "opsbot_home_purge:acme"});
}

TEST_CASE("home view: too many projects fold into one line, never over Slack's limits", "[home]") {
    const Catalogue catalogue = many_projects(60);
    const auto dashboard =
        gather_dashboard(catalogue, Services{}, person("U01ALICE01"), SystemClock().now());
    REQUIRE(dashboard.projects.size() == 60);
    // Unfolded: a divider, a section and buttons per project, and the header.
    REQUIRE(60 * 3 + 2 > static_cast<int>(views::kMaxViewBlocks));

    const auto view = views::home_view(dashboard);
    INFO(view.dump(2).substr(0, 2000));
    CHECK(test::view_problems(view).empty());
    CHECK(view["blocks"].size() <= views::kMaxViewBlocks);
    const std::string last = view["blocks"].back()["elements"][0]["text"];
    const int shown = static_cast<int>(test::view_buttons(view).size()) / 3;
    CHECK(shown == 32);
    CHECK(last.find("…and " + std::to_string(60 - shown) + " more projects") != std::string::npos);

    // Exactly as many as fit: nothing folded.
    const auto fits = gather_dashboard(many_projects(shown), Services{}, person("U01ALICE01"),
                                       SystemClock().now());
    const auto unfolded = views::home_view(fits);
    CHECK(test::view_problems(unfolded).empty());
    CHECK(unfolded.dump().find("more project") == std::string::npos);
}

TEST_CASE("home view: thread links point into Slack, named channels stay text", "[home]") {
    CHECK(views::thread_link("C0ACME0001", "1700000000.000100") ==
          "<https://slack.com/archives/C0ACME0001/p1700000000000100|thread>");
    CHECK(views::thread_link("C0ACME0001", "") ==
          "<https://slack.com/app_redirect?channel=C0ACME0001|channel>");
    CHECK(views::thread_link("#acme", "") == "in #acme");
}
