// newproject's parts without the network: the request's checks, the Jenkins
// templates, the catalogue entry it adds, the YAML writer read back by the
// loader, and the SQLite registry and run store.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/catalogue_source.hpp"
#include "core/catalogue_writer.hpp"
#include "core/config_loader.hpp"
#include "core/project_setup.hpp"
#include "core/templates.hpp"
#include "persistence/database.hpp"
#include "persistence/project_registry.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;

namespace {

NewProjectRequest shop() {
    return {"acme-shop",    "acme-shop.com",
            "203.0.113.10", "",
            "ACME Shop",    "git@git.example.com:clients/acme-shop.git",
            "U09ADA0009",   "Ada"};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("newproject: requests are checked with a fix for each mistake", "[newproject]") {
    CHECK(validate(shop()).ok());
    auto bad = shop();
    bad.slug = "Acme_Shop";
    CHECK(validate(bad).error().code == "bad_slug");
    CHECK_THAT(validate(bad).error().hint, Catch::Contains("acmeshop"));
    bad = shop();
    bad.domain = "acme shop.com";
    CHECK(validate(bad).error().code == "bad_domain");
    bad = shop();
    bad.server_ip = "203.0.113.300";
    CHECK(validate(bad).error().code == "bad_ip");
    bad = shop();
    bad.server_host = "-web7";
    CHECK(validate(bad).error().code == "bad_host");
}

TEST_CASE("newproject: the digest binds every field that changes what is created", "[newproject]") {
    const auto base = shop();
    auto other = base;
    other.requester_id = "U0SOMEONE1";  // who asked does not change the plan
    CHECK(other.digest() == base.digest());
    CHECK(other.same_target(base));
    other = base;
    other.server_ip = "203.0.113.11";
    CHECK(other.digest() != base.digest());
    CHECK_FALSE(other.same_target(base));
}

TEST_CASE("newproject: templates are filled and escaped, unknown placeholders refused",
          "[newproject]") {
    const auto filled = fill_template("<url>{{REPO}}</url><b>{{BRANCH}}</b>",
                                      {{"REPO", "a&b<c>"}, {"BRANCH", "develop"}}, xml_escape);
    REQUIRE(filled.ok());
    CHECK(filled.value() == "<url>a&amp;b&lt;c&gt;</url><b>develop</b>");
    const auto unknown = fill_template("{{REPO}} {{SECRET}}", {{"REPO", "x"}});
    REQUIRE_FALSE(unknown.ok());
    CHECK_THAT(unknown.error().message, Catch::Contains("{{SECRET}}"));
    CHECK_THAT(unknown.error().hint, Catch::Contains("{{REPO}}"));
}

TEST_CASE("newproject: the shipped Jenkins templates use only the placeholders opsbot fills",
          "[newproject]") {
    const std::map<std::string, std::string> values{{"PROJECT", "p"},
                                                    {"NAME", "n"},
                                                    {"ENV", "stage"},
                                                    {"BRANCH", "develop"},
                                                    {"REPO", "r"},
                                                    {"DOMAIN", "d"},
                                                    {"JOB", "clients/p/deploy"},
                                                    {"NOTIFY_URL", "u"}};
    for (const char* file : {"deploy-stage.xml", "deploy-prod.xml", "folder.xml"}) {
        INFO(file);
        const auto text = read_file(std::string(OPSBOT_SOURCE_DIR) + "/config/jenkins/" + file);
        REQUIRE_FALSE(text.empty());
        const auto filled = fill_template(text, values, xml_escape);
        REQUIRE(filled.ok());
        CHECK(filled.value().find("{{") == std::string::npos);
    }
}

TEST_CASE("newproject: the project it adds loads back through the catalogue loader",
          "[newproject]") {
    const SetupFacts facts{{"channel_id", "C0SHOP0001"},
                           {"job.stage", "clients/acme-shop/deploy-stage"},
                           {"job.prod", "clients/acme-shop/deploy-prod"},
                           {"zone_id", "023e105f4ecef8ad9ca31a8372d0c353"},
                           {"sentry_project", "acme-shop"}};
    const auto project = project_from_setup(shop(), facts);
    const auto parsed = parse_project(project_yaml(project), "registry");
    INFO((parsed.ok() ? std::string() : parsed.error().message) << project_yaml(project));
    REQUIRE(parsed.ok());
    const auto& p = parsed.value();
    CHECK(p.slug == "acme-shop");
    CHECK(p.name == "ACME Shop");
    CHECK(p.channel == "C0SHOP0001");
    CHECK(p.environment(Env::stage)->jenkins_job == "clients/acme-shop/deploy-stage");
    CHECK(p.environment(Env::stage)->branch == "develop");
    CHECK(p.environment(Env::prod)->branch == "master");
    CHECK(p.environment(Env::prod)->domain == "acme-shop.com");
    CHECK(p.environment(Env::prod)->cloudflare_zone == "023e105f4ecef8ad9ca31a8372d0c353");
    CHECK(p.environment(Env::prod)->sentry_project == "acme-shop");
    CHECK(p.environment(Env::prod)->backup_prefix == "backups/acme-shop/");
}

TEST_CASE("newproject: a registry entry that no longer parses is reported, not loaded",
          "[newproject]") {
    const auto parsed = parse_project("slug: Bad Slug\nname: x\n", "registry entry x");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Catch::Contains("registry entry x"));
}

TEST_CASE("export: the whole catalogue round-trips through the writer", "[newproject]") {
    Catalogue catalogue = test::test_catalogue();
    catalogue.runbooks_dir = "/etc/opsbot/runbooks";
    catalogue.projects.push_back(
        project_from_setup(shop(), {{"job.stage", "clients/acme-shop/deploy-stage"},
                                    {"job.prod", "clients/acme-shop/deploy-prod"}}));
    const auto yaml = catalogue_yaml(catalogue, "/etc/opsbot");
    const auto loaded = parse_catalogue(yaml, "/etc/opsbot/exported.yaml");
    INFO(format_problems(loaded.problems) << yaml);
    REQUIRE(loaded.ok());
    const auto& again = loaded.catalogue;
    CHECK(again.project_slugs() == catalogue.project_slugs());
    CHECK(again.role_names() == catalogue.role_names());
    REQUIRE(again.members.size() == catalogue.members.size());
    for (std::size_t i = 0; i < again.members.size(); ++i) {
        CHECK(again.members[i].user == catalogue.members[i].user);
        CHECK(again.members[i].usergroup == catalogue.members[i].usergroup);
        CHECK(again.members[i].roles == catalogue.members[i].roles);
        CHECK(again.members[i].projects == catalogue.members[i].projects);
    }
    for (const auto& p : catalogue.projects) {
        const auto* q = again.find_project(p.slug);
        REQUIRE(q);
        CHECK(q->channel == p.channel);
        CHECK(q->prod_requires_second_person == p.prod_requires_second_person);
        for (Env env : kAllEnvs) {
            CHECK(q->environment(env)->jenkins_job == p.environment(env)->jenkins_job);
            CHECK(q->environment(env)->jenkins_params == p.environment(env)->jenkins_params);
            CHECK(q->environment(env)->domain == p.environment(env)->domain);
        }
    }
    CHECK(again.runbooks_dir == "/etc/opsbot/runbooks");
}

TEST_CASE("catalogue source: readers keep their snapshot, the next one sees the new project",
          "[newproject]") {
    CatalogueSource source(test::test_catalogue());
    const auto before = source.current();
    source.upsert_project(project_from_setup(shop(), {}));
    CHECK(before->find_project("acme-shop") == nullptr);
    CHECK(source.current()->find_project("acme-shop") != nullptr);
    CHECK(source.current()->projects.size() == before->projects.size() + 1);
    auto renamed = project_from_setup(shop(), {});
    renamed.name = "Renamed";
    source.upsert_project(renamed);
    CHECK(source.current()->projects.size() == before->projects.size() + 1);
    CHECK(source.current()->find_project("acme-shop")->name == "Renamed");
}

TEST_CASE("project registry and run store: saved, read back, updated in place",
          "[newproject][persistence]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    test::ManualClock clock;
    db::SqlProjectRegistry registry(*database, clock);
    CHECK(registry.all().empty());
    auto project = project_from_setup(shop(), {{"job.stage", "a/b"}, {"job.prod", "a/c"}});
    registry.put(project, "U09ADA0009");
    project.name = "Renamed";
    registry.put(project, "U09ADA0009");
    const auto all = registry.all();
    REQUIRE(all.size() == 1);
    CHECK(all[0].name == "Renamed");
    CHECK(all[0].environment(Env::prod)->jenkins_job == "a/c");

    db::SqlSetupStore store(*database);
    CHECK_FALSE(store.find("acme-shop"));
    SetupRecord record;
    record.request = shop();
    record.facts = {{"channel_id", "C1"}, {"sentry_dsn", "https://k@o1.ingest.sentry.io/1"}};
    record.steps[SetupStep::slack] = {SetupStep::slack, StepState::done, "created", "C1", "", ""};
    record.steps[SetupStep::jenkins] = {SetupStep::jenkins, StepState::failed, "not done", "", "",
                                        "Jenkins said 500"};
    record.state = SetupState::failed;
    record.created = record.updated = clock.now();
    store.save(record);
    record.state = SetupState::done;
    store.save(record);
    const auto back = store.find("acme-shop");
    REQUIRE(back);
    CHECK(back->request.same_target(shop()));
    CHECK(back->request.requester_id == "U09ADA0009");
    CHECK(back->state == SetupState::done);
    CHECK(back->facts == record.facts);
    REQUIRE(back->steps.size() == 2);
    CHECK(back->steps.at(SetupStep::slack).finished());
    CHECK(back->steps.at(SetupStep::jenkins).error == "Jenkins said 500");
    CHECK_FALSE(back->steps.at(SetupStep::jenkins).finished());
}
