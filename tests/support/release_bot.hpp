#pragma once
// Releases by promotion end to end: the deploy tests' opsbot (fake Slack,
// fake Jenkins) with acme released from a real bare origin that git makes in
// a temp folder, for the release tests, typed or from a form.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/deploy_bot.hpp"
#include "tests/support/git_repos.hpp"

namespace opsbot::test {

// The deploy tests' catalogue with acme released by promotion from origin.
inline std::string release_catalogue(const GitRepos& repos,
                                     const std::string& extra_permissions = "",
                                     const std::string& freeze = "") {
    std::string yaml =
        catalogue_with_deployer_permissions("deploy, rollback, purge, lock" + extra_permissions) +
        "  - user: U03CAROL03\n    name: Carol\n    roles: [prod-deployer]\n" + freeze;
    const auto replace = [&yaml](const std::string& from, const std::string& to) {
        yaml.replace(yaml.find(from), from.size(), to);
    };
    replace("    prod_requires_second_person: true\n",
            "    prod_requires_second_person: true\n    repo: " + repos.origin() +
                "\n    web_url: https://git.example.com/clients/acme\n    release: promote\n");
    replace("        jenkins_job: clients/acme/deploy-prod\n",
            "        jenkins_job: clients/acme/deploy-prod\n        ref_param: BRANCH\n");
    return yaml;
}

struct ReleaseBot {
    static constexpr const char* kRequester = "U02BOB0002";  // Bob
    static constexpr const char* kApprover = "U03CAROL03";   // Carol

    GitRepos repos;
    DeployBot d;

    explicit ReleaseBot(const std::string& extra_permissions = "", const std::string& freeze = "")
        : d(release_catalogue(repos, extra_permissions, freeze)) {
        d.bot.env["OPSBOT_GIT_DIR"] = repos.mirrors();
    }

    std::string develop_commit(const std::string& file, const std::string& subject) {
        repos.checkout("develop");
        const auto sha = repos.commit(file, subject + "\n", subject);
        repos.push("develop");
        return sha;
    }

    // A prod release asked by Bob and approved by Carol, then built by
    // Jenkins as it builds every push to master; returns the pushed SHA.
    std::string release(int number) {
        const auto plan = d.slash("/ops", "release acme", kRequester);
        const auto approved = d.press(kApprover, "opsbot_confirm", confirmation_id(text_of(plan)));
        REQUIRE_THAT(text_of(approved), Catch::Contains("Releasing *acme*: pushed"));
        const auto pushed = repos.origin_sha("master");
        built(pushed, number);
        return pushed;
    }

    // Jenkins builds the push of sha, as it builds every push to master,
    // and opsbot reports release #number's end.
    void built(const std::string& sha, int number) {
        d.jenkins.start_scm_build(kProdJob, sha);
        REQUIRE(
            d.wait_for_message("Release #" + std::to_string(number) + " of acme prod succeeded"));
    }

    // The chat.postMessage bodies whose text contains part.
    std::vector<nlohmann::json> posts_with(const std::string& part) const {
        std::vector<nlohmann::json> out;
        for (const auto& body : d.bot.slack.api_calls("chat.postMessage"))
            if (body.value("text", "").find(part) != std::string::npos) out.push_back(body);
        return out;
    }
};

inline std::string short_of(const std::string& sha) {
    return sha.substr(0, 7);
}

}  // namespace opsbot::test
