#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "adapters/http/curl_http_client.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "tests/fakes/fake_jenkins.hpp"

using opsbot::CurlHttpClient;
using opsbot::describe_request;
using opsbot::jenkins::create_job_request;
using opsbot::jenkins::JenkinsClient;
using opsbot::jenkins::JenkinsConfig;
using opsbot::test::FakeJenkins;
using namespace std::chrono_literals;

namespace {

constexpr const char* kConfig =
    "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job\">\n"
    "  <description>Deploy newco to prod</description>\n</flow-definition>\n";

struct Jenkins {
    FakeJenkins fake;
    CurlHttpClient http;
    JenkinsClient client{http, fake.client_config()};

    Jenkins() { fake.add_job("clients/acme/deploy-prod", 42); }
};

std::string header_of(const opsbot::HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers)
        if (key == name) return value;
    return {};
}

}  // namespace

TEST_CASE("jenkins items: the createItem request posts the config.xml to the folder",
          "[jenkins][items]") {
    JenkinsConfig config;
    config.base_url = "https://ci.example.com";
    config.user = "opsbot";
    config.api_token = "secret-api-token";

    const auto nested = create_job_request(config, "clients/new co/deploy-prod", kConfig);
    CHECK(nested.method == "POST");
    CHECK(nested.url ==
          "https://ci.example.com/job/clients/job/new%20co/createItem?name=deploy-prod");
    CHECK(header_of(nested, "Content-Type") == "application/xml");
    CHECK(nested.body == kConfig);
    CHECK(describe_request(nested).find("secret-api-token") == std::string::npos);

    const auto top = create_job_request(config, "/newco-deploy-stage/", kConfig);
    CHECK(top.url == "https://ci.example.com/createItem?name=newco-deploy-stage");
}

TEST_CASE("jenkins items: create_job creates the job in its folder", "[jenkins][items]") {
    Jenkins j;
    REQUIRE_FALSE(j.client.job_exists("clients/acme/deploy-stage").value());

    const auto created = j.client.create_job("clients/acme/deploy-stage", kConfig);
    REQUIRE(created.ok());
    CHECK(j.fake.has_job("clients/acme/deploy-stage"));
    CHECK(j.fake.config_xml("clients/acme/deploy-stage") == kConfig);

    const auto exists = j.client.job_exists("clients/acme/deploy-stage");
    REQUIRE(exists.ok());
    CHECK(exists.value());

    const auto requests = j.fake.server().requests_to("/job/clients/job/acme/createItem");
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].target == "/job/clients/job/acme/createItem?name=deploy-stage");
    CHECK(requests[0].header("Content-Type") == "application/xml");

    // At the root too.
    REQUIRE(j.client.create_job("newco-deploy-stage", kConfig).ok());
    CHECK(j.fake.has_job("newco-deploy-stage"));
}

TEST_CASE("jenkins items: an existing job is jenkins_job_exists and left alone",
          "[jenkins][items]") {
    Jenkins j;
    const auto again = j.client.create_job("clients/acme/deploy-prod", kConfig);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "jenkins_job_exists");
    CHECK(again.error().message.find("clients/acme/deploy-prod") != std::string::npos);
    CHECK(j.fake.config_xml("clients/acme/deploy-prod").empty());
    CHECK(j.client.job_exists("clients/acme/deploy-prod").value());
}

TEST_CASE("jenkins items: crumbs are fetched for createItem as for triggers", "[jenkins][items]") {
    Jenkins j;
    j.fake.require_crumb(true);
    REQUIRE(j.client.create_job("clients/acme/deploy-stage", kConfig).ok());
    CHECK(j.fake.crumbs_issued() == 1);
    // The cached crumb serves the next POST.
    REQUIRE(j.client.create_job("clients/acme/deploy-dev", kConfig).ok());
    CHECK(j.fake.crumbs_issued() == 1);
}

TEST_CASE("jenkins items: errors", "[jenkins][items]") {
    Jenkins j;

    SECTION("a folder that does not exist") {
        const auto created = j.client.create_job("clients/newco/deploy-prod", kConfig);
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == "jenkins_folder_missing");
        CHECK(created.error().message.find("clients/newco") != std::string::npos);
    }
    SECTION("an empty folder made beforehand") {
        j.fake.add_folder("clients/newco");
        CHECK(j.client.create_job("clients/newco/deploy-prod", kConfig).ok());
    }
    SECTION("a config Jenkins refuses") {
        const auto created = j.client.create_job("clients/acme/deploy-stage", "not xml");
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == "jenkins_bad_config");
        CHECK(created.error().message.find("No config.xml") != std::string::npos);
    }
    SECTION("bad credentials") {
        j.fake.refuse_all(true);
        const auto created = j.client.create_job("clients/acme/deploy-stage", kConfig);
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == "jenkins_auth");
        const auto exists = j.client.job_exists("clients/acme/deploy-prod");
        REQUIRE_FALSE(exists.ok());
        CHECK(exists.error().code == "jenkins_auth");
    }
    SECTION("a blank name is never sent") {
        CHECK(j.client.create_job(" / ", kConfig).error().code == "jenkins_bad_job_name");
        CHECK(j.client.job_exists("").error().code == "jenkins_bad_job_name");
        CHECK(j.fake.requests().empty());
    }
    SECTION("Jenkins restarting") {
        j.fake.fail_next(5, 503);
        const auto exists = j.client.job_exists("clients/acme/deploy-prod");
        REQUIRE_FALSE(exists.ok());
        CHECK(exists.error().code == "jenkins_unavailable");
    }
}
