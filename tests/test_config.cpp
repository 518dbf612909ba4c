#include <catch2/catch.hpp>

#include "core/catalogue_writer.hpp"
#include "core/config_loader.hpp"
#include "core/deploys.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;

namespace {

// A valid project block, indented for the projects list.
std::string project(const std::string& slug, const std::string& extra = "") {
    return "  - slug: " + slug + "\n    name: Some Client\n    channel: \"#client\"\n" + extra +
           "    environments:\n"
           "      stage:\n        jenkins_job: clients/x/deploy-stage\n"
           "      prod:\n        jenkins_job: clients/x/deploy-prod\n";
}

std::vector<ConfigProblem> problems_of(const std::string& yaml) {
    return parse_catalogue(yaml, "opsbot.yaml").problems;
}

ConfigProblem only(const std::vector<ConfigProblem>& problems) {
    INFO(format_problems(problems));
    REQUIRE(problems.size() == 1);
    return problems.front();
}

}  // namespace

TEST_CASE("config: the shipped catalogue loads without problems", "[config]") {
    const auto loaded = load_catalogue_file(std::string(OPSBOT_SOURCE_DIR) + "/config/opsbot.yaml");
    INFO(format_problems(loaded.problems));
    CHECK(loaded.ok());
    CHECK(loaded.catalogue.projects.size() == 3);
    const Project* acme = loaded.catalogue.find_project("acme");
    REQUIRE(acme);
    CHECK(acme->prod_requires_second_person);
    CHECK(acme->environment(Env::prod)->jenkins_job == "clients/acme/deploy-prod");
    CHECK(acme->environment(Env::prod)->jenkins_params.at("DEPLOY_TARGET") == "production");
    CHECK(acme->environment(Env::stage)->branch == "develop");
    const Project* globex = loaded.catalogue.find_project("globex");
    REQUIRE(globex);
    CHECK(globex->environment(Env::prod)->branch == "master");
    CHECK(globex->environment(Env::prod)->backup_prefix == "backups/globex/");
}

TEST_CASE("config: an unknown role is reported on its line with a suggestion", "[config]") {
    const auto p = only(problems_of("projects:\n" + project("acme") +
                                    "roles:\n  developer:\n    permissions: [deploy]\n"
                                    "members:\n  - user: U01ALICE01\n    roles: [develper]\n"));
    CHECK(p.where.line == 15);
    CHECK(p.message == "unknown role 'develper'");
    CHECK(p.fix == "did you mean 'developer'? roles: developer");
}

TEST_CASE("config: a duplicate slug names the first one", "[config]") {
    const auto p = only(problems_of("projects:\n" + project("acme") + project("acme")));
    CHECK(p.where.line == 10);
    CHECK(p.message == "duplicate slug 'acme' (first at line 2)");
}

TEST_CASE("config: bad slug characters", "[config]") {
    const auto p = only(problems_of("projects:\n" + project("Acme_Shop!")));
    CHECK(p.where.line == 2);
    CHECK(p.where.column == 11);
    CHECK(p.message == "bad slug 'Acme_Shop!'");
    CHECK(p.fix ==
          "use lowercase letters, digits and dashes, starting with a letter (e.g. 'acmeshop')");
}

TEST_CASE("config: a missing Jenkins job and a missing environment", "[config]") {
    const auto problems = problems_of(R"(projects:
  - slug: acme
    name: ACME
    channel: "#acme"
    environments:
      stage:
        domain: stage.acme.com
)");
    INFO(format_problems(problems));
    REQUIRE(problems.size() == 2);
    CHECK(problems[0].where.line == 5);
    CHECK(problems[0].message == "project 'acme' has no prod environment");
    CHECK(problems[1].where.line == 7);
    CHECK(problems[1].message == "stage of project 'acme' has no jenkins_job");
    CHECK(problems[1].fix == "add 'jenkins_job: clients/<slug>/deploy-stage'");
}

TEST_CASE("config: unknown keys and environments suggest the right word", "[config]") {
    const auto problems = problems_of(R"(projects:
  - slug: acme
    name: ACME
    chanel: "#acme"
    environments:
      stage:
        jenkins_jb: clients/acme/deploy-stage
      production:
        jenkins_job: clients/acme/deploy-prod
)");
    INFO(format_problems(problems));
    REQUIRE(problems.size() >= 4);
    CHECK(problems[0].message == "project 'acme' has no 'channel'");
    CHECK(problems[1].where.line == 4);
    CHECK(problems[1].fix == "did you mean 'channel'?");
    const auto has = [&](int line, const std::string& message) {
        return std::any_of(problems.begin(), problems.end(), [&](const ConfigProblem& p) {
            return p.where.line == line && p.message == message;
        });
    };
    CHECK(has(7, "unknown key 'jenkins_jb' in stage of project 'acme'"));
    CHECK(has(8, "unknown environment 'production' in project 'acme'"));
}

TEST_CASE("config: members must name one known Slack id, known projects", "[config]") {
    const auto problems = problems_of("projects:\n" + project("acme") + R"(roles:
  developer:
    permissions: [deploy]
members:
  - user: alice
    roles: [developer]
  - user: U01ALICE01
    usergroup: S01OPS0001
    roles: [developer]
  - usergroup: S01OPS0001
    roles: [developer]
    projects: [acne]
)");
    INFO(format_problems(problems));
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].where.line == 14);
    CHECK(problems[0].message == "'alice' is not a Slack user id");
    CHECK(problems[1].where.line == 16);
    CHECK(problems[1].message == "member U01ALICE01 must have exactly one of user or usergroup");
    CHECK(problems[2].where.line == 21);
    CHECK(problems[2].message == "unknown project 'acne' for member S01OPS0001");
    CHECK(problems[2].fix == "did you mean 'acme'?");
}

TEST_CASE("config: roles need known permissions", "[config]") {
    const auto problems = problems_of(R"(roles:
  developer:
    permissions: [deploy, purg]
    environments: [stage, live]
  empty:
    description: nothing
)");
    INFO(format_problems(problems));
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].message == "unknown permission 'purg' in role 'developer'");
    CHECK(problems[0].fix == "did you mean 'purge'?");
    CHECK(problems[1].message == "unknown environment 'live' in role 'developer'");
    CHECK(problems[2].where.line == 5);
    CHECK(problems[2].message == "role 'empty' grants no permissions");
}

TEST_CASE("config: a role without environments covers stage only", "[config]") {
    const auto loaded = parse_catalogue("roles:\n  dev:\n    permissions: [deploy]\n", "x.yaml");
    REQUIRE(loaded.ok());
    CHECK(loaded.catalogue.roles[0].covers(Env::stage));
    CHECK_FALSE(loaded.catalogue.roles[0].covers(Env::prod));
}

TEST_CASE("config: wrong shapes are problems, not crashes", "[config]") {
    const auto problems = problems_of("projects:\n  slug: acme\nroles: [a, b]\nmembers: 3\n");
    INFO(format_problems(problems));
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].message == "projects must be a list");
    CHECK(problems[1].message == "roles must be a map of keys");
    CHECK(problems[2].message == "members must be a list");
    CHECK(problems_of("- just\n- a list\n").at(0).message == "the catalogue must be a map of keys");
}

TEST_CASE("config: a cloudflare zone must be a zone id", "[config]") {
    const auto p = only(problems_of(R"(projects:
  - slug: acme
    name: ACME
    channel: "#acme"
    environments:
      stage:
        jenkins_job: a
      prod:
        jenkins_job: b
        cloudflare_zone: acme.com
)"));
    CHECK(p.where.line == 10);
    CHECK(p.message == "cloudflare_zone 'acme.com' is not a zone id");
}

TEST_CASE("config: release modes: job by default, promote needs a repo and a ref_param",
          "[config][release]") {
    const auto plain = parse_catalogue("projects:\n" + project("acme"), "opsbot.yaml");
    REQUIRE(plain.ok());
    CHECK(plain.catalogue.projects[0].release == ReleaseMode::job);
    const auto deploy = make_deploy_plan(plain.catalogue, "acme", Env::prod, "");
    REQUIRE(deploy.ok());
    CHECK(deploy.value().params.at("BRANCH") == "master");  // the default ref parameter

    const auto bare = problems_of("projects:\n" + project("acme", "    release: promote\n"));
    INFO(format_problems(bare));
    REQUIRE(bare.size() == 2);
    CHECK(bare[0].message == "project 'acme' releases by promotion but has no repo");
    CHECK(bare[1].message ==
          "prod of project 'acme' names no ref_param, so it cannot be rolled back");
    CHECK(bare[1].where.line == 9);  // the prod environment

    const auto bad =
        only(problems_of("projects:\n" + project("acme", "    release: merge\n    repo: r\n")));
    CHECK(bad.message == "release 'merge' in project 'acme' is neither job nor promote");
    const auto secret = only(
        problems_of("projects:\n" +
                    project("acme", "    repo: https://ci:hunter2-token@git.example.com/a.git\n")));
    CHECK(secret.message == "the repo URL of project 'acme' carries a password or token");
    CHECK(secret.where.line == 5);
    const auto web =
        only(problems_of("projects:\n" + project("acme", "    web_url: git.example.com\n")));
    CHECK(web.message == "web_url 'git.example.com' is not a web address");
}

TEST_CASE(
    "config: a promote project loads, its ref_param names the job's parameter, and "
    "export-catalogue writes it back",
    "[config][release]") {
    const std::string yaml = R"(projects:
  - slug: acme
    name: ACME
    channel: "#acme"
    repo: git@git.example.com:clients/acme.git
    web_url: https://git.example.com/clients/acme
    release: promote
    environments:
      stage:
        jenkins_job: a
      prod:
        jenkins_job: b
        ref_param: GIT_REF
)";
    const auto loaded = parse_catalogue(yaml, "opsbot.yaml");
    INFO(format_problems(loaded.problems));
    REQUIRE(loaded.ok());
    const auto& acme = loaded.catalogue.projects[0];
    CHECK(acme.release == ReleaseMode::promote);
    CHECK(acme.web_url == "https://git.example.com/clients/acme");
    const auto rollback = make_deploy_plan(loaded.catalogue, "acme", Env::prod, "3f2a1bc");
    REQUIRE(rollback.ok());
    CHECK(rollback.value().params == std::map<std::string, std::string>{{"GIT_REF", "3f2a1bc"}});
    const auto exported = catalogue_yaml(loaded.catalogue, ".");
    const auto reread = parse_catalogue(exported, "exported.yaml");
    INFO(exported);
    REQUIRE(reread.ok());
    CHECK(reread.catalogue.projects[0].release == ReleaseMode::promote);
    CHECK(reread.catalogue.projects[0].web_url == acme.web_url);
    CHECK(reread.catalogue.projects[0].environment(Env::prod)->ref_param == "GIT_REF");
}

TEST_CASE("config: a YAML syntax error gives its line", "[config]") {
    const auto p = only(problems_of("projects:\n  - slug: acme\n    name: [unclosed\n"));
    CHECK(p.where.line >= 3);
    CHECK_THAT(p.message, Catch::StartsWith("YAML syntax error: "));
}

TEST_CASE("config: a missing file says how to point at one", "[config]") {
    const auto loaded = load_catalogue_file("/nonexistent/opsbot.yaml");
    const auto p = only(loaded.problems);
    CHECK(p.message == "cannot read the catalogue /nonexistent/opsbot.yaml");
    CHECK(p.fix == "set OPSBOT_CONFIG to the catalogue path or copy config/opsbot.yaml");
}

TEST_CASE("config: every problem is reported, formatted with file and line", "[config]") {
    test::TempDir dir;
    const auto path =
        dir.write("broken.yaml", "projects:\n" + project("Bad!") + project("ok-one") +
                                     "members:\n  - user: U01ALICE01\n    roles: [ghost]\n");
    const auto loaded = load_catalogue_file(path);
    REQUIRE(loaded.problems.size() == 2);
    const auto text = format_problems(loaded.problems);
    CHECK_THAT(text, Catch::Contains(path + ":2:11: error: bad slug 'Bad!'\n    fix: "));
    CHECK_THAT(text, Catch::Contains(path + ":20:12: error: unknown role 'ghost'\n    fix: no "
                                            "roles are defined yet: add 'ghost' under roles:\n"));
    CHECK_THAT(text, Catch::EndsWith("2 problem(s) in " + path + "\n"));
}
