// The git mirror against real git: a bare origin in a temp folder whose
// develop and master histories a work clone makes, and a real sshd on
// 127.0.0.1 for the SSH cases. Every promotion is checked on the origin, and
// the mirror is checked to be as it was after each outcome.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/git/git_mirror.hpp"
#include "adapters/git/git_process.hpp"
#include "adapters/git/git_remote.hpp"
#include "core/encoding.hpp"
#include "tests/support/git_repos.hpp"

using namespace opsbot;
using git::GitMirror;

namespace {

git::GitConfig config_for(const test::GitRepos& repos) {
    return git::GitConfig{.mirrors_dir = repos.mirrors(),
                          .author_name = "opsbot",
                          .author_email = "opsbot@example.com",
                          .timeout = std::chrono::seconds(30)};
}

// Every ref of the mirror with its SHA, and the files at its top (a
// MERGE_HEAD or an index would show there).
std::string mirror_state(const GitMirror& mirror, const std::string& home) {
    std::string state = test::run_git(
        {"--git-dir=" + mirror.path(), "for-each-ref", "--format=%(refname) %(objectname)"}, home);
    for (const auto& entry : std::filesystem::directory_iterator(mirror.path()))
        state += "\n" + entry.path().filename().string();
    return state;
}

// A TCP port on 127.0.0.1 for the test's lifetime: `listening` accepts
// connections into the backlog and never answers; otherwise it refuses them.
class HeldPort {
public:
    explicit HeldPort(bool listening) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        auto* raw = reinterpret_cast<sockaddr*>(&address);
        REQUIRE(bind(fd_, raw, size) == 0);
        REQUIRE(getsockname(fd_, raw, &size) == 0);
        if (listening) REQUIRE(listen(fd_, 8) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~HeldPort() { close(fd_); }
    HeldPort(const HeldPort&) = delete;
    HeldPort& operator=(const HeldPort&) = delete;
    std::string port() const { return std::to_string(port_); }

private:
    int fd_;
    int port_ = 0;
};

// develop two commits ahead of master, master unchanged: a fast-forward.
git::PromotionPlan fast_forward_plan(const test::GitRepos& repos, GitMirror& mirror) {
    repos.commit("app.txt", "v1\n", "Add the app");
    repos.commit("app.txt", "v2\n", "Improve the app");
    repos.push("develop");
    REQUIRE(mirror.fetch({"develop", "master"}));
    return {.source_sha = mirror.branch_sha("develop").value(),
            .target_sha = mirror.branch_sha("master").value(),
            .message = "Release acme"};
}

// master with a hotfix develop does not have: a merge commit is needed.
git::PromotionPlan diverged_plan(const test::GitRepos& repos, GitMirror& mirror,
                                 const std::string& hotfix_text = "hotfix\n") {
    repos.commit("feature.txt", "new feature\n", "Add a feature");
    repos.push("develop");
    repos.checkout("master");
    repos.commit("hotfix.txt", hotfix_text, "Hotfix on master");
    repos.push("master");
    repos.checkout("develop");
    REQUIRE(mirror.fetch({"develop", "master"}));
    return {.source_sha = mirror.branch_sha("develop").value(),
            .target_sha = mirror.branch_sha("master").value(),
            .message = "Release acme 12\n\nRequested by @ada, approved by @bob"};
}

}  // namespace

TEST_CASE("fetch makes the mirror and takes the remote's branches", "[git]") {
    test::GitRepos repos;
    const auto develop = repos.commit("app.txt", "v1\n", "Add the app");
    repos.push("develop");
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    REQUIRE_FALSE(std::filesystem::exists(mirror.path()));

    REQUIRE(mirror.fetch({"develop", "master"}));
    CHECK(mirror.path() == repos.mirrors() + "/acme.git");
    CHECK(test::run_git({"--git-dir=" + mirror.path(), "config", "core.bare"}, "/") == "true");
    CHECK(mirror.branch_sha("develop").value() == develop);
    CHECK(mirror.branch_sha("master").value() == repos.origin_sha("master"));
    CHECK(mirror.branch_sha("release").error().code == "git_no_branch");

    // A second fetch brings what was pushed since.
    const auto next = repos.commit("app.txt", "v2\n", "Improve the app");
    repos.push("develop");
    REQUIRE(mirror.fetch({"develop"}));
    CHECK(mirror.branch_sha("develop").value() == next);

    const auto missing = mirror.fetch({"release"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == "git_no_branch");
    CHECK(missing.error().message == "no branch 'release' on " + repos.origin());
    CHECK(mirror.fetch({"--upload-pack=touch"}).error().code == "git_no_branch");
}

TEST_CASE("a remote with no repository says so and what to check", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.dir().file("nowhere.git"));
    const auto fetched = mirror.fetch({"develop", "master"});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == "git_no_repo");
    CHECK_THAT(fetched.error().message,
               Catch::StartsWith("there is no repository at " + repos.dir().file("nowhere.git")));
    CHECK_THAT(fetched.error().hint, Catch::Contains("repo in the catalogue"));
}

TEST_CASE("the mirror follows the remote the catalogue names", "[git]") {
    test::GitRepos first, second;
    const auto moved = second.commit("other.txt", "x\n", "Another repository");
    second.push("develop");
    auto config = config_for(first);
    GitMirror before(config, "acme", first.origin());
    REQUIRE(before.fetch({"develop"}));
    CHECK(before.branch_sha("develop").value() == first.origin_sha("develop"));

    GitMirror after(config, "acme", second.origin());
    REQUIRE(after.fetch({"develop"}));
    CHECK(after.path() == before.path());
    CHECK(after.branch_sha("develop").value() == moved);
}

TEST_CASE("range lists base..tip newest first, merges marked, with a limit and the total",
          "[git]") {
    test::GitRepos repos;
    repos.commit("login.txt", "login\n", "Add the login page");
    repos.work({"checkout", "--quiet", "-b", "feature"});
    repos.commit("search.txt", "search\n", "Add search");
    repos.checkout("develop");
    repos.commit("login.txt", "login!\n", "Fix a typo");
    repos.work(
        {"merge", "--quiet", "--no-ff", "-m", "Merge branch 'feature' into develop", "feature"});
    repos.push("develop");
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    REQUIRE(mirror.fetch({"develop", "master"}));
    const auto master = mirror.branch_sha("master").value();
    const auto develop = mirror.branch_sha("develop").value();

    const auto all = mirror.range(master, develop, 20);
    REQUIRE(all);
    CHECK(all.value().total == 4);
    REQUIRE(all.value().commits.size() == 4);
    const auto& tip = all.value().commits.front();
    CHECK(tip.sha == develop);
    CHECK(tip.merge);
    CHECK(tip.subject == "Merge branch 'feature' into develop");
    CHECK(tip.author == "Ada Dev");
    CHECK(tip.author_email == "ada@example.com");
    std::vector<std::string> subjects;
    for (const auto& commit : all.value().commits) {
        subjects.push_back(commit.subject);
        CHECK(commit.sha.size() == 40);
        if (commit.sha != develop) CHECK_FALSE(commit.merge);
    }
    std::sort(subjects.begin(), subjects.end());
    CHECK(subjects == std::vector<std::string>{"Add search", "Add the login page", "Fix a typo",
                                               "Merge branch 'feature' into develop"});

    const auto first_two = mirror.range(master, develop, 2);
    REQUIRE(first_two);
    CHECK(first_two.value().total == 4);
    REQUIRE(first_two.value().commits.size() == 2);
    CHECK(first_two.value().commits[0].sha == develop);

    CHECK(mirror.range("0000000", develop, 5).error().code == "git_no_commit");
    CHECK(mirror.range("--all", develop, 5).error().code == "git_no_commit");
}

TEST_CASE("an empty range: master already has everything on develop", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    REQUIRE(mirror.fetch({"develop", "master"}));
    const auto master = mirror.branch_sha("master").value();
    const auto develop = mirror.branch_sha("develop").value();
    const auto range = mirror.range(master, develop, 20);
    REQUIRE(range);
    CHECK(range.value().total == 0);
    CHECK(range.value().commits.empty());
    CHECK(mirror.is_ancestor(develop, master).value());

    const auto promoted =
        mirror.promote({.source_sha = develop, .target_sha = master, .message = "Release"});
    REQUIRE_FALSE(promoted);
    CHECK(promoted.error().code == "git_up_to_date");
    CHECK(promoted.error().message == "master already has everything on develop");
}

TEST_CASE("resolve_commit takes full and abbreviated SHAs and refuses the rest", "[git]") {
    test::GitRepos repos;
    const auto sha = repos.commit("app.txt", "v1\n", "Add the app");
    repos.push("develop");
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    REQUIRE(mirror.fetch({"develop"}));

    CHECK(mirror.resolve_commit(sha).value() == sha);
    CHECK(mirror.resolve_commit(sha.substr(0, 7)).value() == sha);
    const auto unknown = mirror.resolve_commit("deadbeef");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == "git_no_commit");
    CHECK(unknown.error().message == "no commit deadbeef in acme's repository");
    CHECK(mirror.resolve_commit("abc").error().code == "git_no_commit");
    CHECK(mirror.resolve_commit("HEAD").error().message ==
          "'HEAD' is not a commit: give a SHA (4 to 40 hex digits)");
    CHECK(mirror.resolve_commit("--all").error().code == "git_no_commit");
}

TEST_CASE("a fast-forward promotion pushes develop's commit to master", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    const auto plan = fast_forward_plan(repos, mirror);
    const auto state_before = mirror_state(mirror, repos.dir().path());

    const auto promoted = mirror.promote(plan);
    REQUIRE(promoted);
    CHECK(promoted.value().fast_forward);
    CHECK(promoted.value().pushed_sha == plan.source_sha);
    CHECK(repos.origin_sha("master") == plan.source_sha);
    CHECK(repos.origin_sha("develop") == plan.source_sha);
    // Only the mirror's copy of master moved, to what origin has now.
    CHECK(mirror.branch_sha("master").value() == plan.source_sha);
    auto expected = state_before;
    expected.replace(expected.find("refs/remotes/origin/master " + plan.target_sha),
                     std::string("refs/remotes/origin/master ").size() + 40,
                     "refs/remotes/origin/master " + plan.source_sha);
    CHECK(mirror_state(mirror, repos.dir().path()) == expected);
}

TEST_CASE("a diverged master gets a merge commit with the plan's message", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    const auto plan = diverged_plan(repos, mirror);
    CHECK_FALSE(mirror.is_ancestor(plan.target_sha, plan.source_sha).value());

    const auto promoted = mirror.promote(plan);
    REQUIRE(promoted);
    CHECK_FALSE(promoted.value().fast_forward);
    const auto pushed = promoted.value().pushed_sha;
    CHECK(repos.origin_sha("master") == pushed);
    CHECK(repos.in_origin({"log", "-1", "--format=%P", pushed}) ==
          plan.target_sha + " " + plan.source_sha);
    CHECK(repos.in_origin({"log", "-1", "--format=%B", pushed}) == plan.message);
    CHECK(repos.in_origin({"log", "-1", "--format=%an <%ae>|%cn <%ce>", pushed}) ==
          "opsbot <opsbot@example.com>|opsbot <opsbot@example.com>");
    // Both sides' files are in the merged tree.
    CHECK(repos.in_origin({"ls-tree", "--name-only", pushed}) ==
          "README.md\nfeature.txt\nhotfix.txt");
    CHECK(repos.origin_sha("develop") == plan.source_sha);
    CHECK(mirror.branch_sha("master").value() == pushed);
}

TEST_CASE("a conflict stops the promotion: nothing pushed, the mirror as it was", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    repos.commit("README.md", "hello from develop\n", "Reword the README on develop");
    const auto plan = diverged_plan(repos, mirror);
    repos.checkout("master");
    repos.commit("README.md", "hello from master\n", "Reword the README on master");
    repos.push("master");
    REQUIRE(mirror.fetch({"develop", "master"}));
    auto conflicting = plan;
    conflicting.target_sha = mirror.branch_sha("master").value();
    const auto origin_master = repos.origin_sha("master");
    const auto state_before = mirror_state(mirror, repos.dir().path());

    const auto promoted = mirror.promote(conflicting);
    REQUIRE_FALSE(promoted);
    CHECK(promoted.error().code == "git_conflict");
    CHECK(promoted.error().message ==
          "develop does not merge cleanly into master: conflicts in README.md");
    CHECK(promoted.error().hint ==
          "Nothing was pushed. Merge master into develop by hand, resolve the conflicts, push "
          "develop, then release again.");
    CHECK(repos.origin_sha("master") == origin_master);
    CHECK(mirror_state(mirror, repos.dir().path()) == state_before);
}

TEST_CASE("a master that moved on the remote since the plan: the push is refused", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    auto plan = GENERATE(as<std::string>{}, "fast-forward", "merge");
    const auto promotion =
        plan == "merge" ? diverged_plan(repos, mirror) : fast_forward_plan(repos, mirror);
    repos.checkout("master");
    const auto mover = repos.commit("late.txt", "late\n", "A late fix pushed by hand");
    repos.push("master");
    const auto state_before = mirror_state(mirror, repos.dir().path());

    const auto promoted = mirror.promote(promotion);
    REQUIRE_FALSE(promoted);
    CHECK(promoted.error().code == "git_push_rejected");
    CHECK(promoted.error().message.rfind("master moved on the remote since the plan", 0) == 0);
    CHECK(promoted.error().hint ==
          "Plan the release again: the new plan includes what was added to master.");
    CHECK(repos.origin_sha("master") == mover);
    CHECK(mirror_state(mirror, repos.dir().path()) == state_before);
}

TEST_CASE("a pre-receive hook that refuses: its message comes back", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    const auto plan = fast_forward_plan(repos, mirror);
    const auto hook =
        repos.dir().write("origin.git/hooks/pre-receive",
                          "#!/bin/sh\necho 'master is frozen until Monday 08:00' >&2\nexit 1\n");
    std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
    const auto origin_master = repos.origin_sha("master");
    const auto state_before = mirror_state(mirror, repos.dir().path());

    const auto promoted = mirror.promote(plan);
    REQUIRE_FALSE(promoted);
    CHECK(promoted.error().code == "git_push_rejected");
    CHECK(promoted.error().message == repos.origin() +
                                          " refused the push to master: master is frozen until "
                                          "Monday 08:00");
    CHECK(repos.origin_sha("master") == origin_master);
    CHECK(mirror_state(mirror, repos.dir().path()) == state_before);
}

TEST_CASE("describe_promotion prints the commands an operator would type", "[git]") {
    test::GitRepos repos;
    GitMirror mirror(config_for(repos), "acme", repos.origin());
    const std::string git = "git --git-dir=" + mirror.path();

    SECTION("a fast-forward") {
        const auto plan = fast_forward_plan(repos, mirror);
        const auto state_before = mirror_state(mirror, repos.dir().path());
        CHECK(mirror.describe_promotion(plan) ==
              std::vector<std::string>{
                  git + " push --porcelain " + repos.origin() + " " + plan.source_sha +
                      ":refs/heads/master",
                  git + " update-ref refs/remotes/origin/master " + plan.source_sha});
        CHECK(mirror_state(mirror, repos.dir().path()) == state_before);
        CHECK(repos.origin_sha("master") == plan.target_sha);
    }
    SECTION("a merge: the lines, run by a shell, make the same promotion") {
        const auto plan = diverged_plan(repos, mirror);
        const auto lines = mirror.describe_promotion(plan);
        const std::string t = plan.target_sha, s = plan.source_sha;
        CHECK(lines ==
              std::vector<std::string>{
                  "tree=$(" + git + " merge-tree --write-tree --name-only --no-messages " + t +
                      " " + s + ")",
                  "commit=$(" + git + " commit-tree \"$tree\" -p " + t + " -p " + s +
                      " -m $'Release acme 12\\n\\nRequested by @ada, approved by @bob')",
                  git + " push --porcelain " + repos.origin() + " \"$commit\":refs/heads/master",
                  git + " update-ref refs/remotes/origin/master \"$commit\""});
        CHECK(repos.origin_sha("master") == t);

        std::string script = "set -e\n";
        for (const auto& line : lines) script += line + "\n";
        const auto ran = test::run_process({"/bin/bash",
                                            {"-c", script},
                                            {{"PATH", "/usr/bin:/bin"},
                                             {"HOME", repos.dir().path().string()},
                                             {"GIT_CONFIG_NOSYSTEM", "1"},
                                             {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                             {"GIT_AUTHOR_NAME", "Op"},
                                             {"GIT_AUTHOR_EMAIL", "op@example.com"},
                                             {"GIT_COMMITTER_NAME", "Op"},
                                             {"GIT_COMMITTER_EMAIL", "op@example.com"}},
                                            "",
                                            "",
                                            60});
        INFO(ran.err);
        REQUIRE(ran.exit_code == 0);
        const auto pushed = repos.origin_sha("master");
        CHECK(repos.in_origin({"log", "-1", "--format=%P", pushed}) == t + " " + s);
        CHECK(repos.in_origin({"log", "-1", "--format=%B", pushed}) == plan.message);
    }
    SECTION("a remote with credentials is shown without them") {
        GitMirror https(config_for(repos), "globex",
                        "https://deploy:pw-Zq81-secret@git.example.com/globex/site.git");
        CHECK(https.shown_remote() == "https://git.example.com/globex/site.git");
        const auto lines = https.describe_promotion(
            {.source_sha = std::string(40, 'a'), .target_sha = std::string(40, 'b')});
        REQUIRE(lines.size() == 4);
        CHECK(lines[1].find("-m 'Merge branch '\\''develop'\\'' into master'") !=
              std::string::npos);
        CHECK(lines[2].find("https://git.example.com/globex/site.git") != std::string::npos);
        for (const auto& line : lines) CHECK(line.find("pw-Zq81") == std::string::npos);
    }
}

TEST_CASE("an https token goes to git in its environment and never into an error", "[git]") {
    test::GitRepos repos;
    const HeldPort closed(false);
    const std::string token = "ghp_Tok3nThatMustNeverShow";
    auto config = config_for(repos);
    config.credentials.https_token = token;
    const std::string url = "https://127.0.0.1:" + closed.port() + "/acme/site.git";

    const auto access = git::remote_access(config.credentials, url, config.timeout);
    REQUIRE(access);
    CHECK(access.value().url == url);
    const std::string header = "Authorization: Basic " + base64_encode("x-access-token:" + token);
    REQUIRE(access.value().config.size() == 1);
    // git itself reads the header for this remote, and for no other host.
    std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"},
                                           {"HOME", repos.dir().path().string()},
                                           {"GIT_CONFIG_NOSYSTEM", "1"},
                                           {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                           {"GIT_CONFIG_COUNT", "1"},
                                           {"GIT_CONFIG_KEY_0", access.value().config[0].first},
                                           {"GIT_CONFIG_VALUE_0", access.value().config[0].second}};
    const auto asked = [&](const std::string& remote) {
        return test::run_process({"/usr/bin/git",
                                  {"config", "--get-urlmatch", "http.extraHeader", remote},
                                  env,
                                  "",
                                  "",
                                  30});
    };
    CHECK(asked(url).out == header + "\n");
    CHECK(asked("https://elsewhere.example.com/acme/site.git").exit_code == 1);

    SECTION("a remote that refuses the connection") {
        GitMirror mirror(config, "acme", url);
        const auto fetched = mirror.fetch({"develop"});
        REQUIRE_FALSE(fetched);
        CHECK(fetched.error().code == "git_unreachable");
        const auto text = user_text(fetched.error());
        CHECK(text.rfind("cannot reach " + url + ": ", 0) == 0);
        CHECK(text.find("Tok3n") == std::string::npos);
        CHECK(text.find(base64_encode("x-access-token:" + token)) == std::string::npos);
    }
    SECTION("credentials in the URL are taken out of it") {
        config.credentials.https_token.clear();
        const std::string with_password =
            "https://deploy:pw-Zq81-secret@127.0.0.1:" + closed.port() + "/acme/site.git";
        GitMirror mirror(config, "acme", with_password);
        CHECK(mirror.shown_remote() == url);
        const auto fetched = mirror.fetch({"develop"});
        REQUIRE_FALSE(fetched);
        CHECK(fetched.error().code == "git_unreachable");
        CHECK(user_text(fetched.error()).find("pw-Zq81") == std::string::npos);
        const auto from_url = git::remote_access(config.credentials, with_password, config.timeout);
        CHECK(from_url.value().url == url);
        CHECK(from_url.value().config[0].second ==
              "Authorization: Basic " + base64_encode("deploy:pw-Zq81-secret"));
    }
}

TEST_CASE("git's words reach an error without secrets, hints or boilerplate", "[git]") {
    const std::string err =
        "remote: token ghp_Tok3nThatMustNeverShow refused\r\n"
        "hint: see 'git help push'\n"
        "fatal: Authorization: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0\n"
        "fatal: Could not read from remote repository.\n";
    CHECK(git::git_words(err, {"ghp_Tok3nThatMustNeverShow"}) ==
          "remote: token [redacted] refused / fatal: Authorization: Basic [redacted]");
    // Short values would mask ordinary words; a mask never masks itself again.
    CHECK(git::git_words("fatal: git failed", {"git"}) == "fatal: git failed");
    CHECK(git::git_words("redacted twice redacted", {"redacted"}) == "[redacted] twice [redacted]");
}

TEST_CASE("a remote that never answers: git is stopped at the timeout", "[git]") {
    test::GitRepos repos;
    const HeldPort silent(true);
    auto config = config_for(repos);
    config.timeout = std::chrono::seconds(1);
    GitMirror mirror(config, "acme", "https://127.0.0.1:" + silent.port() + "/acme.git");
    const auto started = std::chrono::steady_clock::now();
    const auto fetched = mirror.fetch({"develop"});
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == "git_timeout");
    CHECK(fetched.error().message == "git fetch for acme took longer than 1 s and was stopped");
    CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("an ssh remote is refused before anything runs without known_hosts or a key", "[git]") {
    test::GitRepos repos;
    auto config = config_for(repos);
    GitMirror mirror(config, "acme", "git@git.example.com:acme/site.git");
    const auto fetched = mirror.fetch({"develop"});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().code == "git_unknown_host");
    CHECK(fetched.error().message ==
          "refusing the ssh remote git@git.example.com:acme/site.git: no known_hosts file to "
          "check its host key (OPSBOT_GIT_KNOWN_HOSTS)");
    CHECK(fetched.error().hint.find("ssh-keyscan -p 22 git.example.com") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(repos.mirrors()));

    config.credentials.known_hosts_path = repos.dir().write("known_hosts", "");
    GitMirror keyless(config, "acme", "ssh://git@git.example.com:2222/acme/site.git");
    const auto promoted = keyless.promote({.source_sha = "abcd", .target_sha = "abce"});
    REQUIRE_FALSE(promoted);
    CHECK(promoted.error().code == "git_auth");
    CHECK(promoted.error().message ==
          "no deploy key for the ssh remote ssh://git@git.example.com:2222/acme/site.git "
          "(OPSBOT_GIT_SSH_KEY)");
    CHECK_FALSE(std::filesystem::exists(repos.mirrors()));
}

TEST_CASE("over SSH to a real sshd: the deploy key and known_hosts decide", "[git][ssh]") {
    test::GitRepos repos;
    const test::Sshd sshd(repos.dir());
    if (!sshd.why_not.empty()) {
        // Catch2 v2 has no SKIP: a warning says why this case checked nothing.
        WARN("SSH case not run: " << sshd.why_not);
        return;
    }
    auto config = config_for(repos);
    config.credentials.ssh_key_path = sshd.deploy_key;
    const std::string host = "[127.0.0.1]:" + std::to_string(sshd.port);
    const std::string remote = sshd.url(repos.origin());

    SECTION("the host's key in known_hosts: fetch and promote") {
        config.credentials.known_hosts_path =
            repos.dir().write("known_hosts", host + " " + sshd.host_public_key + "\n");
        GitMirror mirror(config, "acme", remote);
        const auto plan = fast_forward_plan(repos, mirror);
        CHECK(plan.source_sha == repos.origin_sha("develop"));
        const auto promoted = mirror.promote(plan);
        REQUIRE(promoted);
        CHECK(promoted.value().fast_forward);
        CHECK(repos.origin_sha("master") == plan.source_sha);
    }
    SECTION("the host is not in known_hosts: refused, nothing fetched") {
        config.credentials.known_hosts_path =
            repos.dir().write("known_hosts", "[127.0.0.1]:1 " + sshd.host_public_key + "\n");
        GitMirror mirror(config, "acme", remote);
        const auto fetched = mirror.fetch({"develop", "master"});
        REQUIRE_FALSE(fetched);
        CHECK(fetched.error().code == "git_unknown_host");
        CHECK(fetched.error().message ==
              "the host of " + remote + " is not in the known_hosts file: refused");
        CHECK(fetched.error().hint.find("ssh-keyscan -p " + std::to_string(sshd.port) +
                                        " 127.0.0.1") != std::string::npos);
        CHECK(mirror.branch_sha("develop").error().code == "git_no_branch");
    }
    SECTION("another key for the host in known_hosts: refused as changed") {
        config.credentials.known_hosts_path =
            repos.dir().write("known_hosts", host + " " + sshd.other_public_key + "\n");
        GitMirror mirror(config, "acme", remote);
        const auto fetched = mirror.fetch({"develop"});
        REQUIRE_FALSE(fetched);
        CHECK(fetched.error().code == "git_unknown_host");
        CHECK(fetched.error().message.find("it changed, refused") != std::string::npos);
        CHECK(mirror.branch_sha("develop").error().code == "git_no_branch");
    }
    SECTION("a deploy key the server does not know: git_auth") {
        config.credentials.known_hosts_path =
            repos.dir().write("known_hosts", host + " " + sshd.host_public_key + "\n");
        config.credentials.ssh_key_path = sshd.stranger_key;
        GitMirror mirror(config, "acme", remote);
        const auto fetched = mirror.fetch({"develop"});
        REQUIRE_FALSE(fetched);
        CHECK(fetched.error().code == "git_auth");
        CHECK(fetched.error().message.find("Permission denied (publickey)") != std::string::npos);
        CHECK(fetched.error().message.find("BEGIN OPENSSH") == std::string::npos);
    }
}

TEST_CASE("the git process runner: no shell, nothing inherited, killed at the deadline", "[git]") {
    using git::ProcessOutcome;
    const auto missing = git::run_process(
        {.program = "no-such-program-for-opsbot", .environment = {"PATH=/usr/bin:/bin"}});
    CHECK(missing.end == ProcessOutcome::End::not_found);

    // Only the environment given; standard input is /dev/null.
    const auto env = git::run_process({.program = "sh",
                                       .args = {"-c", "cat; env"},
                                       .environment = {"PATH=/usr/bin:/bin", "A=1"}});
    CHECK(env.end == ProcessOutcome::End::exited);
    CHECK(env.exit_code == 0);
    CHECK(env.out.find("A=1\n") != std::string::npos);
    CHECK(env.out.find("HOME=") == std::string::npos);

    // A child of the program, which keeps the pipes open, dies with it.
    const auto started = std::chrono::steady_clock::now();
    const auto slow = git::run_process({.program = "sh",
                                        .args = {"-c", "sleep 30 & echo $!; wait"},
                                        .environment = {"PATH=/usr/bin:/bin"},
                                        .timeout = std::chrono::milliseconds(500)});
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(slow.end == ProcessOutcome::End::timed_out);
    const auto child = std::filesystem::path("/proc") / slow.out.substr(0, slow.out.find('\n'));
    const auto dead = [&] {
        std::ifstream stat(child / "stat");
        std::string pid, name, state;
        stat >> pid >> name >> state;
        return !stat || state == "Z";
    };
    for (int i = 0; i < 100 && !dead(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(dead());

    CHECK(git::shell_quote("refs/heads/master") == "refs/heads/master");
    CHECK(git::shell_quote("it's") == "'it'\\''s'");
    CHECK(git::shell_quote("a\nb's") == "$'a\\nb\\'s'");
    CHECK(git::shell_quote("") == "''");
}
