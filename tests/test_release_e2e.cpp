// Releases by promotion end to end: the real opsbot binary against the fake
// Slack and the fake Jenkins, and a real bare origin made by git in a temp
// folder. The plan lists the commits, a second person approves, opsbot pushes,
// the build Jenkins starts for the push is found by its SHA, and the result
// lands in the release's thread with a Roll back button.

#include <catch2/catch.hpp>

#include "tests/support/release_bot.hpp"

using namespace opsbot;
using namespace opsbot::test;

namespace {

constexpr const char* kBob = "U02BOB0002";
constexpr const char* kCarol = "U03CAROL03";

}  // namespace

TEST_CASE(
    "release e2e: the plan lists the commits, a second person approves, the push is "
    "built and reported in the thread with a Roll back button",
    "[release][e2e]") {
    ReleaseBot r;
    const auto before = r.repos.origin_sha("master");
    const auto login = r.develop_commit("login.txt", "Add the login form");
    const auto cart = r.develop_commit("cart.txt", "Fix the cart total");
    r.d.bot.start();

    const auto plan = r.d.slash("/ops", "release acme", kBob);
    const auto text = text_of(plan);
    CHECK_THAT(text, Catch::Contains("*Release acme to prod*"));
    CHECK_THAT(text, Catch::Contains("as a fast-forward"));
    CHECK_THAT(text, Catch::Contains("*2 commits go out:*"));
    CHECK_THAT(text, Catch::Contains("• `" + short_of(cart) + "` Fix the cart total — Ada Dev"));
    CHECK_THAT(text, Catch::Contains("• `" + short_of(login) + "` Add the login form — Ada Dev"));
    CHECK(text.find("Fix the cart total") < text.find("Add the login form"));  // newest first
    CHECK_THAT(text, Catch::Contains("https://git.example.com/clients/acme/compare/" + before +
                                     "..." + cart));
    CHECK(r.repos.origin_sha("master") == before);  // nothing moves before the approval

    const auto id = confirmation_id(text);
    CHECK_THAT(text_of(r.d.press(kBob, "opsbot_confirm", id)),
               Catch::Contains("needs a second person"));
    const auto approved = r.d.press(kCarol, "opsbot_confirm", id);
    CHECK_THAT(text_of(approved), Catch::Contains("Releasing *acme*: pushed `" + short_of(cart) +
                                                  "` to `master` (2 commits, fast-forward)"));
    CHECK(r.repos.origin_sha("master") == cart);

    r.d.jenkins.start_scm_build(kProdJob, cart);
    REQUIRE(r.d.wait_for_message("Release #1 of acme prod succeeded"));
    const auto results = r.posts_with("Release #1 of acme prod succeeded");
    REQUIRE(results.size() == 1);
    const auto& result = results.front();
    const auto status = r.posts_with("release #1 by");
    REQUIRE(status.size() == 1);
    CHECK(result.value("thread_ts", "") != "");
    CHECK_THAT(result.dump(), Catch::Contains("opsbot_rollback"));
    CHECK_THAT(result.dump(), Catch::Contains("rollback acme prod " + before));
    CHECK(r.d.jenkins.triggers().empty());  // the push started the build, not opsbot

    const auto live = text_of(r.d.slash("/ops", "status acme", kBob));
    CHECK_THAT(live, Catch::Contains("*prod*: `" + short_of(cart) + "` live since"));
    CHECK_THAT(live, Catch::Contains("release #1 by"));
    CHECK_THAT(live, Catch::Contains("nothing waiting on develop"));
    const auto rows = r.d.audit_rows();
    CHECK(has_row(rows, Outcome::succeeded, "release #1 " + cart));
}

TEST_CASE("release e2e: develop moving before the approval voids it, the fresh plan merges",
          "[release][e2e]") {
    ReleaseBot r;
    r.develop_commit("feature.txt", "Add the newsletter box");
    r.repos.checkout("master");
    const auto hotfix = r.repos.commit("hotfix.txt", "fix\n", "Hotfix the footer");
    r.repos.push("master");
    r.d.bot.start();

    const auto plan = r.d.slash("/ops", "deploy acme prod", kBob);  // deploy = release here
    CHECK_THAT(text_of(plan), Catch::Contains("as a merge commit"));
    CHECK_THAT(text_of(plan), Catch::Contains("*1 commit goes out:*"));

    const auto late = r.develop_commit("late.txt", "Tweak the newsletter copy");
    const auto voided = r.d.press(kCarol, "opsbot_confirm", confirmation_id(text_of(plan)));
    CHECK_THAT(text_of(voided), Catch::Contains("The plan changed since it was shown"));
    CHECK_THAT(text_of(voided), Catch::Contains("Tweak the newsletter copy"));
    CHECK_THAT(text_of(voided), Catch::Contains("*2 commits go out:*"));
    CHECK(r.repos.origin_sha("master") == hotfix);

    const auto approved = r.d.press(kCarol, "opsbot_confirm", confirmation_id(text_of(voided)));
    CHECK_THAT(text_of(approved), Catch::Contains("merge commit"));
    const auto merged = r.repos.origin_sha("master");
    CHECK(r.repos.in_origin({"rev-parse", merged + "^1"}) == hotfix);
    CHECK(r.repos.in_origin({"rev-parse", merged + "^2"}) == late);
    const auto message = r.repos.in_origin({"log", "-1", "--format=%B", merged});
    CHECK_THAT(message, Catch::Contains("Release acme: merge develop into master"));
    CHECK_THAT(message, Catch::Contains("requested by Bob (U02BOB0002)"));
    CHECK_THAT(message, Catch::Contains("approved by Carol (U03CAROL03)"));
}

TEST_CASE("release e2e: an empty range is not a release", "[release][e2e]") {
    ReleaseBot r;
    r.d.bot.start();
    const auto answer = text_of(r.d.slash("/ops", "release acme", kBob));
    CHECK_THAT(answer, Catch::Contains("master already has everything on develop"));
    CHECK_THAT(answer, !Catch::Contains("confirm "));
}

TEST_CASE(
    "release e2e: a conflicting master stops the release with the reason, nothing is "
    "pushed and the lock is freed",
    "[release][e2e]") {
    ReleaseBot r;
    r.develop_commit("README.md", "Rewrite the README on develop");
    r.repos.checkout("master");
    const auto hotfix = r.repos.commit("README.md", "hotfix\n", "Rewrite the README on master");
    r.repos.push("master");
    r.d.bot.start();

    const auto plan = r.d.slash("/ops", "release acme", kBob);
    const auto stopped = r.d.press(kCarol, "opsbot_confirm", confirmation_id(text_of(plan)));
    CHECK_THAT(text_of(stopped), Catch::Contains("The release of acme did not go out"));
    CHECK_THAT(text_of(stopped), Catch::Contains("conflicts in README.md"));
    CHECK(r.repos.origin_sha("master") == hotfix);
    REQUIRE(r.d.wait_for_message("nothing went out"));
    const auto again = text_of(r.d.slash("/ops", "release acme", kBob));
    CHECK_THAT(again, Catch::Contains("*Release acme to prod*"));  // no lock left behind
    bool audited = false;
    for (const auto& row : r.d.audit_rows())
        audited = audited || (row.outcome == Outcome::failed &&
                              row.error.find("git_conflict") != std::string::npos);
    CHECK(audited);
}

TEST_CASE("release e2e: a rollback to deploy #N shows what comes out, then holds the lock",
          "[release][e2e]") {
    ReleaseBot r;
    const auto before = r.repos.origin_sha("master");
    r.develop_commit("one.txt", "Ship the search page");
    r.d.bot.start();
    const auto first = r.release(1);
    r.develop_commit("two.txt", "Ship the broken checkout");
    const auto second = r.release(2);

    // The button on release #2 offers what was live before it.
    const auto button = r.d.press(kBob, "opsbot_rollback", "rollback acme prod " + first);
    CHECK_THAT(text_of(button), Catch::Contains("*Roll back acme prod* from `" + short_of(second) +
                                                "` (release #2) to `" + short_of(first) + "`"));
    CHECK_THAT(text_of(button), Catch::Contains("*1 commit comes out:*"));
    CHECK_THAT(text_of(button), Catch::Contains("Ship the broken checkout"));
    r.d.press(kBob, "opsbot_cancel", confirmation_id(text_of(button)));

    const auto plan = r.d.slash("/ops", "rollback acme prod #1", kBob);
    CHECK_THAT(text_of(plan), Catch::Contains("to `" + short_of(first) + "` (release #1)"));
    const auto approved = r.d.press(kCarol, "opsbot_confirm", confirmation_id(text_of(plan)));
    CHECK_THAT(text_of(approved),
               Catch::Contains("Rolling back *acme prod* to `" + short_of(first) + "`"));
    const auto triggers = r.d.jenkins.triggers();
    REQUIRE(triggers.size() == 1);
    CHECK(triggers[0].body == "BRANCH=" + first);
    REQUIRE(r.d.wait_for_message("Rollback #3 of acme prod succeeded"));

    const auto refused = text_of(r.d.slash("/ops", "release acme", kBob));
    CHECK_THAT(refused,
               Catch::Contains("rolled back from " + short_of(second) + " to " + short_of(first)));
    const auto live = text_of(r.d.slash("/ops", "status acme", kBob));
    CHECK_THAT(live, Catch::Contains("`" + short_of(first) + "` live since"));
    CHECK_THAT(live, Catch::Contains("rollback #3"));
    const auto unlocked = text_of(r.d.slash("/ops", "unlock acme prod", kBob));
    CHECK_THAT(unlocked, Catch::Contains("Releases and deploys of acme prod are allowed again"));
    // Rolling back again must not bring back what the rollback took out.
    const auto again = text_of(r.d.slash("/ops", "rollback acme prod", kBob));
    CHECK_THAT(again, Catch::Contains("no earlier successful deploy of acme prod"));
    CHECK(r.repos.origin_sha("master") == second);  // a rollback never rewrites master
    CHECK(before != first);
}

TEST_CASE("release e2e: a freeze window refuses the release, the override needs two people",
          "[release][e2e][freeze]") {
    const std::string freeze =
        "freeze:\n  - name: Code freeze\n    from: 2000-01-01\n    to: 2099-12-31\n"
        "    time_zone: Europe/Berlin\n";
    ReleaseBot r(", freeze-override", freeze);
    r.develop_commit("fix.txt", "Fix the payment callback");
    const auto before = r.repos.origin_sha("master");
    r.d.bot.start();

    const auto refused = text_of(r.d.slash("/ops", "release acme", kBob));
    CHECK_THAT(refused, Catch::Contains("freeze window 'Code freeze'"));
    CHECK_THAT(refused, Catch::Contains("--override-freeze"));
    const auto plan = r.d.slash("/ops", "release acme --override-freeze \"payments down\"", kBob);
    CHECK_THAT(text_of(plan), Catch::Contains("payments down"));
    const auto id = confirmation_id(text_of(plan));
    CHECK_THAT(text_of(r.d.press(kBob, "opsbot_confirm", id)), !Catch::Contains("Releasing"));
    CHECK(r.repos.origin_sha("master") == before);
    const auto approved = r.d.press(kCarol, "opsbot_confirm", id);
    CHECK_THAT(text_of(approved), Catch::Contains("Releasing *acme*: pushed"));
    CHECK(r.repos.origin_sha("master") != before);
    bool audited = false;
    for (const auto& row : r.d.audit_rows())
        audited = audited || row.error.find("freeze override: Code freeze") != std::string::npos;
    CHECK(audited);
}

TEST_CASE(
    "release e2e: the console's --dry-run shows the commits and the git commands, and "
    "changes nothing",
    "[release][e2e]") {
    GitRepos repos;
    repos.checkout("develop");
    const auto sha = repos.commit("search.txt", "search\n", "Add the search page");
    repos.push("develop");
    const auto master = repos.origin_sha("master");
    TempDir dir;
    const TestDatabase store{e2e_backend(), dir.file("data/opsbot.db")};
    const std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", release_catalogue(repos))},
        store.env(),
        {"OPSBOT_GIT_DIR", repos.mirrors()}};
    const auto result =
        run_process({OPSBOT_BINARY, {"console"}, env, "release acme --dry-run\n", "", 60});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Dry run"));
    CHECK_THAT(result.out, Catch::Contains(short_of(sha) + " Add the search page — Ada Dev"));
    CHECK_THAT(result.out, Catch::Contains("git push"));
    CHECK_THAT(result.out, Catch::Contains(sha + ":refs/heads/master"));
    CHECK_THAT(result.out, Catch::Contains("Nothing was changed."));
    CHECK(repos.origin_sha("master") == master);
}
