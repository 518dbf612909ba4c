#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/curl_http_client.hpp"
#include "adapters/jenkins/jenkins_client.hpp"
#include "tests/fakes/fake_jenkins.hpp"

using opsbot::CurlHttpClient;
using opsbot::describe_request;
using opsbot::jenkins::BuildNotification;
using opsbot::jenkins::JenkinsClient;
using opsbot::jenkins::JenkinsConfig;
using opsbot::jenkins::parse_notification;
using opsbot::jenkins::QueuedBuild;
using opsbot::jenkins::QueueState;
using opsbot::jenkins::tokens_equal;
using opsbot::jenkins::TriggerRequest;
using opsbot::test::FakeJenkins;
using opsbot::test::FakeResponse;
using opsbot::test::FakeScm;
using opsbot::test::RecordedRequest;
using namespace std::chrono_literals;

namespace {

// base64("opsbot:" + FakeJenkins::kToken), worked out outside this code base.
constexpr const char* kExpectedAuthorization =
    "Basic b3BzYm90OjExZDVlM2Y0YTliOGM3ZDZlNWY0YTNiMmMxZDBlOWY4YTc=";
constexpr const char* kStage = "acme-deploy-stage";
constexpr const char* kProd = "clients/acme/deploy-prod";

// A client over real HTTP to a fake Jenkins on 127.0.0.1.
struct Jenkins {
    FakeJenkins fake;
    CurlHttpClient http;
    JenkinsClient client{http, fake.client_config()};

    Jenkins() {
        fake.add_job(kStage);
        fake.add_job(kProd, 42);
    }

    std::size_t requests_to(const std::string& path) const {
        return fake.server().requests_to(path).size();
    }
};

std::string stage_path(const std::string& rest) {
    return std::string("/job/") + kStage + "/" + rest;
}

std::string prod_path(const std::string& rest) {
    return "/job/clients/job/acme/job/deploy-prod/" + rest;
}

QueuedBuild trigger_prod(Jenkins& j, std::map<std::string, std::string> params = {{"REF", "v1"}}) {
    auto queued = j.client.trigger({kProd, std::move(params)});
    REQUIRE(queued.ok());
    return queued.value();
}

std::string error_text(const opsbot::Error& error) {
    return error.message + " | " + error.hint;
}

long long epoch_ms(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

}  // namespace

TEST_CASE("jenkins: trigger with parameters posts a form to buildWithParameters", "[jenkins]") {
    Jenkins j;
    const auto queued =
        j.client.trigger({kStage, {{"BRANCH", "develop"}, {"REF", "feature/x y&z"}}});

    REQUIRE(queued.ok());
    CHECK(queued.value().queue_id == 1);
    CHECK(queued.value().queue_url == j.fake.base_url() + "queue/item/1/");
    CHECK_FALSE(queued.value().already_queued);
    const auto sent = j.fake.triggers();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].method == "POST");
    CHECK(sent[0].target == stage_path("buildWithParameters"));
    CHECK(sent[0].body == "BRANCH=develop&REF=feature%2Fx%20y%26z");
    CHECK(sent[0].header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(sent[0].header("Authorization") == kExpectedAuthorization);
    const auto builds = j.fake.builds(kStage);
    REQUIRE(builds.size() == 1);
    CHECK(builds[0].params.at("REF") == "feature/x y&z");
}

TEST_CASE("jenkins: trigger without parameters posts an empty body to /build", "[jenkins]") {
    Jenkins j;
    const auto queued = j.client.trigger({kStage, {}});

    REQUIRE(queued.ok());
    const auto sent = j.fake.triggers();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].target == stage_path("build"));
    CHECK(sent[0].body.empty());
    CHECK(sent[0].header("Authorization") == kExpectedAuthorization);
}

TEST_CASE("jenkins: job paths nest folders and percent-encode each segment", "[jenkins]") {
    CHECK(JenkinsClient::job_path(kProd) == "job/clients/job/acme/job/deploy-prod/");
    CHECK(JenkinsClient::job_path("acme-deploy-stage") == "job/acme-deploy-stage/");
    CHECK(JenkinsClient::job_path("Team A/déploy #1") == "job/Team%20A/job/d%C3%A9ploy%20%231/");
    CHECK(JenkinsClient::job_path("/clients//acme/") == "job/clients/job/acme/");

    Jenkins j;
    CHECK(j.client.job_url(kProd) == j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/");
    const auto queued = j.client.trigger({kProd, {{"REF", "master"}}});
    REQUIRE(queued.ok());
    const auto sent = j.fake.triggers();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].target == prod_path("buildWithParameters"));

    SECTION("a base URL without the trailing slash gives the same URLs") {
        auto config = j.fake.client_config();
        config.base_url.pop_back();
        JenkinsClient client(j.http, config);
        CHECK(client.job_url(kProd) == j.client.job_url(kProd));
    }
}

TEST_CASE("jenkins: an identical waiting build answers 303 and counts as already queued",
          "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(1h, 1h);
    const auto first = trigger_prod(j, {{"REF", "v1"}});
    const auto again = trigger_prod(j, {{"REF", "v1"}});
    const auto other = trigger_prod(j, {{"REF", "v2"}});

    CHECK_FALSE(first.already_queued);
    CHECK(again.already_queued);
    CHECK(again.queue_id == first.queue_id);
    CHECK(again.queue_url == first.queue_url);
    CHECK_FALSE(other.already_queued);
    CHECK(other.queue_id == first.queue_id + 1);
    CHECK(j.fake.waiting_items() == 2);
}

TEST_CASE("jenkins: a disabled job is jenkins_job_disabled", "[jenkins]") {
    Jenkins j;
    j.fake.disable_job(kProd);
    const auto queued = j.client.trigger({kProd, {{"REF", "v1"}}});

    REQUIRE_FALSE(queued.ok());
    CHECK(queued.error().code == "jenkins_job_disabled");
    CHECK(queued.error().message == "the Jenkins job clients/acme/deploy-prod is disabled");
    CHECK(j.fake.builds(kProd).empty());
}

TEST_CASE("jenkins: a missing job is jenkins_job_missing and names the job", "[jenkins]") {
    Jenkins j;
    const auto queued = j.client.trigger({"clients/acme/deploy-prdo", {{"REF", "v1"}}});

    REQUIRE_FALSE(queued.ok());
    CHECK(queued.error().code == "jenkins_job_missing");
    CHECK(queued.error().message == "Jenkins has no job clients/acme/deploy-prdo");
    CHECK(queued.error().hint.find("job/clients/job/acme/job/deploy-prdo/") != std::string::npos);
    CHECK(j.fake.triggers().size() == 1);  // a 404 is not retried

    const auto build = j.client.build("clients/acme/deploy-prdo", 1);
    REQUIRE_FALSE(build.ok());
    CHECK(build.error().code == "jenkins_job_missing");
}

TEST_CASE("jenkins: refused credentials name the variables and never the token", "[jenkins]") {
    Jenkins j;
    std::string token = FakeJenkins::kToken;

    SECTION("a wrong token") {
        auto config = j.fake.client_config();
        token = "11ffffffffffffffffffffffffffffffff";
        config.api_token = token;
        JenkinsClient client(j.http, config);
        const auto queued = client.trigger({kProd, {{"REF", "v1"}}});

        REQUIRE_FALSE(queued.ok());
        CHECK(queued.error().code == "jenkins_auth");
        CHECK(queued.error().message ==
              "Jenkins rejected JENKINS_USER/JENKINS_API_TOKEN (401 for user 'opsbot')");
        CHECK(error_text(queued.error()).find(token) == std::string::npos);
    }
    SECTION("a revoked token: every request answers 401") {
        j.fake.refuse_all(true);
        const auto queued = j.client.trigger({kProd, {{"REF", "v1"}}});

        REQUIRE_FALSE(queued.ok());
        CHECK(queued.error().code == "jenkins_auth");
        CHECK(queued.error().message.find("JENKINS_USER/JENKINS_API_TOKEN") != std::string::npos);
        CHECK(queued.error().hint.find("JENKINS_API_TOKEN") != std::string::npos);
        CHECK(error_text(queued.error()).find(token) == std::string::npos);

        const auto state = j.client.queue_item({j.fake.base_url() + "queue/item/1/", 1, false});
        REQUIRE_FALSE(state.ok());
        CHECK(state.error().code == "jenkins_auth");
    }
    CHECK(j.fake.triggers().size() == 1);  // a 401 is not retried
}

TEST_CASE("jenkins: no valid crumb fetches one, retries once, and keeps it", "[jenkins]") {
    Jenkins j;
    j.fake.require_crumb(true);

    const auto first = j.client.trigger({kProd, {{"REF", "v1"}}});
    REQUIRE(first.ok());
    CHECK(first.value().queue_id == 1);
    auto sent = j.fake.triggers();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].header("Jenkins-Crumb").empty());
    CHECK_FALSE(sent[1].header("Jenkins-Crumb").empty());
    CHECK(sent[1].header("Cookie").rfind("JSESSIONID.", 0) == 0);
    CHECK(j.requests_to("/crumbIssuer/api/json") == 1);
    CHECK(j.fake.server().requests_to("/crumbIssuer/api/json")[0].header("Authorization") ==
          kExpectedAuthorization);

    const auto second = j.client.trigger({kStage, {}});
    REQUIRE(second.ok());
    sent = j.fake.triggers();
    REQUIRE(sent.size() == 3);  // straight through with the cached crumb
    CHECK(sent[2].header("Jenkins-Crumb") == sent[1].header("Jenkins-Crumb"));
    CHECK(sent[2].header("Cookie") == sent[1].header("Cookie"));
    CHECK(j.requests_to("/crumbIssuer/api/json") == 1);
    CHECK(j.fake.crumbs_issued() == 1);
}

TEST_CASE("jenkins: one client triggers from several threads at once", "[jenkins]") {
    Jenkins j;
    j.fake.require_crumb(true);
    j.fake.set_timing(1h, 1h);
    std::vector<opsbot::Result<QueuedBuild>> results(6, opsbot::Error{"not_run", "", ""});
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i)
        threads.emplace_back([&j, &results, i] {
            results[i] = j.client.trigger({kProd, {{"REF", "v" + std::to_string(i)}}});
        });
    for (auto& thread : threads) thread.join();

    std::set<long> ids;
    for (const auto& result : results) {
        REQUIRE(result.ok());
        ids.insert(result.value().queue_id);
    }
    CHECK(ids.size() == results.size());
    CHECK(j.fake.waiting_items() == results.size());
}

TEST_CASE("jenkins: a crumb refused again is jenkins_auth after a single retry", "[jenkins]") {
    Jenkins j;
    j.fake.server().route("POST", stage_path("build"), [](const RecordedRequest&) {
        return FakeResponse{
            403, "<html><body>No valid crumb was included in the request</body>", "text/html", {}};
    });
    const auto queued = j.client.trigger({kStage, {}});

    REQUIRE_FALSE(queued.ok());
    CHECK(queued.error().code == "jenkins_auth");
    CHECK(queued.error().message == "Jenkins refused a fresh CSRF crumb for acme-deploy-stage");
    CHECK(j.requests_to(stage_path("build")) == 2);
    CHECK(j.requests_to("/crumbIssuer/api/json") == 1);
}

TEST_CASE("jenkins: 5xx is retried with backoff until Jenkins answers", "[jenkins]") {
    Jenkins j;
    j.fake.fail_next(2, 503);
    const auto queued = j.client.trigger({kProd, {{"REF", "v1"}}});

    REQUIRE(queued.ok());
    CHECK(queued.value().queue_id == 1);
    CHECK(j.fake.triggers().size() == 3);
    CHECK(j.fake.builds(kProd).size() == 1);

    j.fake.fail_next(1, 502);
    const auto build = j.client.build(kProd, 42);
    REQUIRE(build.ok());
    CHECK(build.value().number == 42);
}

TEST_CASE("jenkins: 5xx on every attempt is jenkins_unavailable", "[jenkins]") {
    Jenkins j;
    j.fake.fail_next(100, 502);
    const auto queued = j.client.trigger({kProd, {{"REF", "v1"}}});

    REQUIRE_FALSE(queued.ok());
    CHECK(queued.error().code == "jenkins_unavailable");
    CHECK(queued.error().message ==
          "Jenkins is unavailable: it answered 502 Bad Gateway to 3 attempts (POST " +
              j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/buildWithParameters)");
    CHECK(queued.error().hint.find(j.fake.base_url()) != std::string::npos);
    CHECK(j.fake.triggers().size() == 3);
    CHECK(j.fake.builds(kProd).empty());
}

TEST_CASE("jenkins: no answer at all is a network error after the retries", "[jenkins]") {
    CurlHttpClient http;
    JenkinsConfig config;
    config.base_url = "http://127.0.0.1:1/";  // nothing listens there
    config.user = FakeJenkins::kUser;
    config.api_token = FakeJenkins::kToken;
    config.max_attempts = 2;
    config.backoff_initial = 1ms;
    JenkinsClient client(http, config);
    const auto queued = client.trigger({kProd, {}});

    REQUIRE_FALSE(queued.ok());
    CHECK(queued.error().code == "network");
    CHECK(queued.error().message.rfind("Jenkins did not answer after 2 attempts: ", 0) == 0);
    CHECK_FALSE(queued.error().hint.empty());
    CHECK(error_text(queued.error()).find(FakeJenkins::kToken) == std::string::npos);
}

TEST_CASE("jenkins: a queue item waits, then names the build it started", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(1h, 1h);
    const auto queued = trigger_prod(j);

    const auto waiting = j.client.queue_item(queued);
    REQUIRE(waiting.ok());
    CHECK(waiting.value().phase == QueueState::Phase::waiting);
    CHECK(waiting.value().why == "Waiting for next available executor");
    CHECK(waiting.value().build_number == 0);

    j.fake.start_waiting_builds();
    const auto started = j.client.queue_item(queued);
    REQUIRE(started.ok());
    CHECK(started.value().phase == QueueState::Phase::started);
    CHECK(started.value().build_number == 42);
    CHECK(started.value().build_url ==
          j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/42/");
    CHECK(j.requests_to("/queue/item/1/api/json") == 2);
}

TEST_CASE("jenkins: a queue item started by the clock alone is seen as started", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(20ms, 1h);
    const auto queued = trigger_prod(j);

    QueueState state;
    REQUIRE(opsbot::test::FakeHttpServer::wait_until([&] {
        const auto polled = j.client.queue_item(queued);
        if (polled.ok()) state = polled.value();
        return polled.ok() && state.phase != QueueState::Phase::waiting;
    }));
    CHECK(state.phase == QueueState::Phase::started);
    CHECK(state.build_number == 42);
}

TEST_CASE("jenkins: a cancelled queue item is reported cancelled", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(1h, 1h);
    const auto queued = trigger_prod(j);
    REQUIRE(j.fake.cancel_queue_item(queued.queue_id));

    const auto state = j.client.queue_item(queued);
    REQUIRE(state.ok());
    CHECK(state.value().phase == QueueState::Phase::cancelled);
    CHECK(state.value().build_number == 0);
    CHECK(j.fake.builds(kProd).empty());
}

TEST_CASE("jenkins: a forgotten queue item is gone, its build is found by queue id", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(1h, 1h);
    trigger_prod(j, {{"REF", "v0"}});  // another build, so the search has to pick
    const auto queued = trigger_prod(j, {{"REF", "v1"}});
    j.fake.start_waiting_builds();
    j.fake.forget_queue_items(true);

    const auto state = j.client.queue_item(queued);
    REQUIRE(state.ok());
    CHECK(state.value().phase == QueueState::Phase::gone);

    const auto found = j.client.find_build_by_queue_id(kProd, queued.queue_id);
    REQUIRE(found.ok());
    REQUIRE(found.value().has_value());
    CHECK(found.value()->number == 43);
    CHECK(found.value()->queue_id == queued.queue_id);
    CHECK(found.value()->building);
    CHECK(found.value()->url == j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/43/");

    const auto none = j.client.find_build_by_queue_id(kProd, 999);
    REQUIRE(none.ok());
    CHECK_FALSE(none.value().has_value());

    const auto missing = j.client.find_build_by_queue_id("clients/acme/nope", 1);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "jenkins_job_missing");
}

TEST_CASE("jenkins: the build Jenkins started for a push is found by its commit",
          "[jenkins][release-follow]") {
    Jenkins j;
    j.fake.set_timing(0ms, 1h);
    const std::string pushed = "4f2a9c81d0b3e5f7a6c8d9e0f1a2b3c4d5e6f708";
    j.fake.start_scm_build(kProd, "0c3d5e7f9a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d");  // #42
    j.fake.start_scm_build(kProd, pushed);                                      // #43
    trigger_prod(j);  // #44, of the default commit

    const auto found = j.client.find_build_by_commit(kProd, pushed);
    REQUIRE(found.ok());
    REQUIRE(found.value().has_value());
    CHECK(found.value()->number == 43);
    CHECK(found.value()->commit == pushed);
    CHECK(found.value()->branch == "origin/master");
    CHECK(found.value()->building);
    CHECK(found.value()->url == j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/43/");
    const auto age = std::chrono::system_clock::now() - found.value()->timestamp;
    CHECK(age >= 0s);
    CHECK(age < 1min);
    const auto requests = j.fake.server().requests_to(prod_path("api/json"));
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].target ==
          prod_path("api/json?tree=builds%5Bnumber%2Curl%2CqueueId%2Cbuilding%2Cresult%2Cduration"
                    "%2Ctimestamp%2Cactions%5BlastBuiltRevision%5BSHA1%2Cbranch%5Bname%5D%5D%5D%5D"
                    "%7B0%2C50%7D"));

    std::string upper = pushed;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto by_upper = j.client.find_build_by_commit(kProd, upper);
    REQUIRE(by_upper.ok());
    REQUIRE(by_upper.value().has_value());
    CHECK(by_upper.value()->number == 43);

    const auto none = j.client.find_build_by_commit(kProd, std::string(40, 'e'));
    REQUIRE(none.ok());
    CHECK_FALSE(none.value().has_value());

    const auto abbreviated = j.client.find_build_by_commit(kProd, "4f2a9c8");
    REQUIRE_FALSE(abbreviated.ok());
    CHECK(abbreviated.error().code == "bad_commit");
    CHECK(j.fake.server().requests_to(prod_path("api/json")).size() == 3);  // nothing sent

    const auto missing = j.client.find_build_by_commit("clients/acme/nope", pushed);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "jenkins_job_missing");

    // find_build_by_queue_id asks for its own fields, as before.
    REQUIRE(j.client.find_build_by_queue_id(kProd, 1).ok());
    CHECK(j.fake.server().requests_to(prod_path("api/json")).back().target ==
          prod_path("api/json?tree=builds%5Bnumber%2Curl%2CqueueId%2Cbuilding%2Cresult%2Cduration"
                    "%5D%7B0%2C50%7D"));
}

TEST_CASE("jenkins: a pipeline's shared library checkout does not hide the job's own commit",
          "[jenkins][release-follow]") {
    Jenkins j;
    const std::string pushed = "4f2a9c81d0b3e5f7a6c8d9e0f1a2b3c4d5e6f708";
    // A pipeline run's tree= answer: the library's BuildData first, then the job's.
    const auto revision = [](const std::string& sha, const std::string& branch) {
        return nlohmann::json{{"_class", "hudson.plugins.git.util.BuildData"},
                              {"lastBuiltRevision",
                               {{"SHA1", sha}, {"branch", {{{"SHA1", sha}, {"name", branch}}}}}}};
    };
    const nlohmann::json run{
        {"_class", "org.jenkinsci.plugins.workflow.job.WorkflowRun"},
        {"actions",
         {{{"_class", "hudson.model.CauseAction"}},
          revision("aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00", "refs/remotes/origin/main"),
          revision(pushed, "refs/remotes/origin/master"),
          nlohmann::json::object()}},
        {"building", false},
        {"duration", 64120},
        {"number", 7},
        {"queueId", 311},
        {"result", "SUCCESS"},
        {"timestamp", 1764000000000LL},
        {"url", j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/7/"}};
    const nlohmann::json body{{"_class", "org.jenkinsci.plugins.workflow.job.WorkflowJob"},
                              {"builds", {run}}};
    j.fake.server().route("GET", prod_path("api/json"), [body](const RecordedRequest&) {
        return FakeResponse{200, body.dump(), "application/json;charset=utf-8", {}};
    });
    const auto found = j.client.find_build_by_commit(kProd, pushed);
    REQUIRE(found.ok());
    REQUIRE(found.value().has_value());
    CHECK(found.value()->number == 7);
    CHECK(found.value()->commit == pushed);
    CHECK(found.value()->branch == "origin/master");
    CHECK(found.value()->result == "SUCCESS");
}

TEST_CASE("jenkins: build() reads result, duration, commit, branch and author", "[jenkins]") {
    Jenkins j;
    FakeScm scm;
    scm.commit = "9fceb02d0ae598e95dc970b74767f19372d61af8";
    scm.branch = "refs/remotes/origin/release-2";
    scm.author_email = "bob@example.com";
    j.fake.set_scm(scm);
    j.fake.set_timing(0ms, 30ms);
    j.fake.set_next_result("FAILURE");
    trigger_prod(j);
    REQUIRE(j.fake.wait_for_result(kProd, 42));

    const auto build = j.client.build(kProd, 42);
    REQUIRE(build.ok());
    CHECK(build.value().number == 42);
    CHECK(build.value().queue_id == 1);
    CHECK_FALSE(build.value().building);
    CHECK(build.value().result == "FAILURE");
    CHECK(build.value().duration == 30ms);
    CHECK(build.value().commit == "9fceb02d0ae598e95dc970b74767f19372d61af8");
    CHECK(build.value().branch == "origin/release-2");
    CHECK(build.value().author_email == "bob@example.com");
    CHECK(build.value().url == j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/42/");

    SECTION("the next build goes back to SUCCESS") {
        trigger_prod(j, {{"REF", "v2"}});
        REQUIRE(j.fake.wait_for_result(kProd, 43));
        const auto next = j.client.build(kProd, 43);
        REQUIRE(next.ok());
        CHECK(next.value().result == "SUCCESS");
    }
    SECTION("a build that does not exist names its number") {
        const auto missing = j.client.build(kProd, 99);
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().code == "jenkins_job_missing");
        CHECK(missing.error().message == "Jenkins has no build #99 of clients/acme/deploy-prod");
    }
}

TEST_CASE("jenkins: a running build has no result until it ends", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(0ms, 1h);
    trigger_prod(j);

    const auto running = j.client.build(kProd, 42);
    REQUIRE(running.ok());
    CHECK(running.value().building);
    CHECK(running.value().result.empty());

    j.fake.finish_running_builds();
    const auto done = j.client.build(kProd, 42);
    REQUIRE(done.ok());
    CHECK_FALSE(done.value().building);
    CHECK(done.value().result == "SUCCESS");
}

TEST_CASE("jenkins: HTML or cut-off JSON where JSON was expected is bad_response", "[jenkins]") {
    Jenkins j;
    SECTION("a login page") {
        j.fake.server().route("GET", prod_path("42/"), [](const RecordedRequest&) {
            return FakeResponse{200,
                                "\n<html><head><title>Sign in [Jenkins]</title></head></html>",
                                "text/html",
                                {}};
        });
        const auto build = j.client.build(kProd, 42);
        REQUIRE_FALSE(build.ok());
        CHECK(build.error().code == "bad_response");
        CHECK(build.error().message.rfind("Jenkins sent HTML where JSON was expected", 0) == 0);
    }
    SECTION("truncated JSON") {
        j.fake.server().route("GET", prod_path("42/"), [](const RecordedRequest&) {
            return FakeResponse{200, R"({"number":42,"result":"SUCC)", "application/json", {}};
        });
        const auto build = j.client.build(kProd, 42);
        REQUIRE_FALSE(build.ok());
        CHECK(build.error().code == "bad_response");
        CHECK(build.error().message.rfind("Jenkins sent JSON that could not be read", 0) == 0);
    }
    SECTION("a 201 without a queue Location") {
        j.fake.server().route("POST", stage_path("build"), [](const RecordedRequest&) {
            return FakeResponse{201, "", "text/plain", {}};
        });
        const auto queued = j.client.trigger({kStage, {}});
        REQUIRE_FALSE(queued.ok());
        CHECK(queued.error().code == "bad_response");
    }
}

TEST_CASE("jenkins: trigger_request is the request as sent, credentials hidden when shown",
          "[jenkins]") {
    Jenkins j;
    const auto request = j.client.trigger_request({kProd, {{"REF", "v1.2"}}});

    CHECK(request.method == "POST");
    CHECK(request.url ==
          j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/buildWithParameters");
    CHECK(request.body == "REF=v1.2");
    const auto shown = describe_request(request);
    CHECK(shown.find("buildWithParameters") != std::string::npos);
    CHECK(shown.find("REF=v1.2") != std::string::npos);
    CHECK(shown.find("b3BzYm90Oj") == std::string::npos);
    CHECK(shown.find(FakeJenkins::kToken) == std::string::npos);
    CHECK(j.fake.triggers().empty());  // nothing was sent
}

// ---- Notification plugin -------------------------------------------------

TEST_CASE("jenkins notification: COMPLETED with status and scm", "[jenkins]") {
    // The plugin's documented example, with the fields newer versions add.
    const auto parsed = parse_notification(R"({
        "name": "asgard",
        "url": "job/asgard/",
        "build": {
            "full_url": "http://localhost:8080/job/asgard/18/",
            "number": 18,
            "queue_id": 7,
            "phase": "COMPLETED",
            "status": "SUCCESS",
            "url": "job/asgard/18/",
            "scm": {
                "url": "https://github.com/evgeny-goldin/asgard.git",
                "branch": "origin/master",
                "commit": "c6d86dc654b12425e706bcf951adfe5a8627a517",
                "changes": ["src/main.groovy"],
                "culprits": ["egoldin", "alice"]
            },
            "artifacts": {
                "asgard-standalone.jar": {
                    "archive": "http://localhost:8080/job/asgard/18/artifact/asgard-standalone.jar"
                }
            }
        }
    })");
    REQUIRE(parsed.ok());
    const BuildNotification& n = parsed.value();
    CHECK(n.job == "asgard");
    CHECK(n.job_url == "job/asgard/");
    CHECK(n.phase == "COMPLETED");
    CHECK(n.status == "SUCCESS");
    CHECK(n.number == 18);
    CHECK(n.queue_id == 7);
    CHECK(n.full_url == "http://localhost:8080/job/asgard/18/");
    CHECK(n.branch == "origin/master");
    CHECK(n.commit == "c6d86dc654b12425e706bcf951adfe5a8627a517");
    CHECK(n.culprits == std::vector<std::string>{"egoldin", "alice"});
    CHECK_FALSE(n.timestamp.has_value());
}

TEST_CASE("jenkins notification: STARTED has no status, folders come from the url", "[jenkins]") {
    const auto parsed = parse_notification(R"({
        "name": "deploy-prod",
        "display_name": "deploy-prod",
        "url": "job/clients/job/acme/job/deploy-prod/",
        "build": {
            "full_url": "https://ci.example.com/job/clients/job/acme/job/deploy-prod/42/",
            "number": 42,
            "queue_id": 1337,
            "timestamp": 1714557600000,
            "duration": 0,
            "phase": "STARTED",
            "url": "job/clients/job/acme/job/deploy-prod/42/",
            "scm": {"changes": [], "culprits": []},
            "parameters": {"REF": "v1"},
            "log": "",
            "notes": "",
            "artifacts": {}
        }
    })");
    REQUIRE(parsed.ok());
    CHECK(parsed.value().job == "clients/acme/deploy-prod");
    CHECK(parsed.value().phase == "STARTED");
    CHECK(parsed.value().status.empty());
    CHECK(parsed.value().number == 42);
    CHECK(parsed.value().queue_id == 1337);
    CHECK(parsed.value().branch.empty());
    CHECK(parsed.value().culprits.empty());
    REQUIRE(parsed.value().timestamp.has_value());
    CHECK(epoch_ms(*parsed.value().timestamp) == 1714557600000);
}

TEST_CASE("jenkins notification: FINALIZED, ISO timestamps, no root URL", "[jenkins]") {
    const auto with_time = [](const std::string& timestamp) {
        return R"({"name":"acme-deploy-stage","url":"job/acme-deploy-stage/","build":{)"
               R"("number":7,"phase":"FINALIZED","status":"FAILURE",)"
               R"("url":"job/acme-deploy-stage/7/","timestamp":)" +
               timestamp + "}}";
    };

    SECTION("the plugin's own format: unpadded milliseconds and +00:00") {
        const auto parsed = parse_notification(with_time(R"("2024-05-01T10:00:00.42+00:00")"));
        REQUIRE(parsed.ok());
        CHECK(parsed.value().phase == "FINALIZED");
        CHECK(parsed.value().status == "FAILURE");
        CHECK(parsed.value().full_url.empty());  // Jenkins has no root URL configured
        CHECK(parsed.value().queue_id == 0);
        REQUIRE(parsed.value().timestamp.has_value());
        CHECK(epoch_ms(*parsed.value().timestamp) == 1714557600042);
    }
    SECTION("another offset") {
        const auto parsed = parse_notification(with_time(R"("2024-05-01T12:00:00.250+02:00")"));
        REQUIRE(parsed.ok());
        REQUIRE(parsed.value().timestamp.has_value());
        CHECK(epoch_ms(*parsed.value().timestamp) == 1714557600250);
    }
    SECTION("UTC with Z") {
        const auto parsed = parse_notification(with_time(R"("2024-05-01T10:00:00Z")"));
        REQUIRE(parsed.ok());
        REQUIRE(parsed.value().timestamp.has_value());
        CHECK(epoch_ms(*parsed.value().timestamp) == 1714557600000);
    }
    SECTION("epoch milliseconds as a string") {
        const auto parsed = parse_notification(with_time(R"("1714557600123")"));
        REQUIRE(parsed.ok());
        REQUIRE(parsed.value().timestamp.has_value());
        CHECK(epoch_ms(*parsed.value().timestamp) == 1714557600123);
    }
    SECTION("a timestamp that is not a time is left out") {
        const auto parsed = parse_notification(with_time(R"("yesterday")"));
        REQUIRE(parsed.ok());
        CHECK_FALSE(parsed.value().timestamp.has_value());
    }
}

TEST_CASE("jenkins notification: the fake's message reads back", "[jenkins]") {
    Jenkins j;
    j.fake.set_timing(0ms, 1h);
    trigger_prod(j);
    const auto parsed =
        parse_notification(j.fake.notification_json(kProd, 42, "COMPLETED", "SUCCESS"));

    REQUIRE(parsed.ok());
    CHECK(parsed.value().job == kProd);
    CHECK(parsed.value().number == 42);
    CHECK(parsed.value().queue_id == 1);
    CHECK(parsed.value().status == "SUCCESS");
    CHECK(parsed.value().branch == "origin/master");
    CHECK(parsed.value().commit == FakeScm{}.commit);
    CHECK(parsed.value().full_url ==
          j.fake.base_url() + "job/clients/job/acme/job/deploy-prod/42/");
    CHECK(parsed.value().timestamp.has_value());

    const auto started = parse_notification(j.fake.notification_json(kProd, 42, "STARTED"));
    REQUIRE(started.ok());
    CHECK(started.value().status.empty());
}

TEST_CASE("jenkins notification: what is not a notification is bad_notification", "[jenkins]") {
    const auto code_of = [](std::string_view body) {
        const auto parsed = parse_notification(body);
        return parsed.ok() ? std::string("ok") : parsed.error().code;
    };
    CHECK(code_of("") == "bad_notification");
    CHECK(code_of("<html>nope</html>") == "bad_notification");
    CHECK(code_of(R"({"name":"x","build":{"phase":"COMPL)") == "bad_notification");
    CHECK(code_of(R"([{"name":"x"}])") == "bad_notification");
    CHECK(code_of(R"({"name":"x"})") == "bad_notification");
    CHECK(code_of(R"({"name":"x","build":{"number":1}})") == "bad_notification");
    CHECK(code_of(R"({"build":{"number":1,"phase":"STARTED"}})") == "bad_notification");
    CHECK(code_of(R"({"name":"x","build":{"number":1,"phase":"STARTED"}})") == "ok");

    const auto no_phase = parse_notification(R"({"name":"x","build":{"number":1}})");
    REQUIRE_FALSE(no_phase.ok());
    CHECK(no_phase.error().message == "the Jenkins notification for x has no phase");
}

TEST_CASE("jenkins: tokens_equal compares whole tokens", "[jenkins]") {
    CHECK(tokens_equal("s3cr3t-hook-token", "s3cr3t-hook-token"));
    CHECK_FALSE(tokens_equal("s3cr3t-hook-token", "s3cr3t-hook-tokem"));
    CHECK_FALSE(tokens_equal("s3cr3t-hook-token", "s3cr3t-hook-token-and-more"));
    CHECK_FALSE(tokens_equal("s3cr3t-hook-token", "s3cr3t"));
    CHECK_FALSE(tokens_equal("s3cr3t-hook-token", ""));
    CHECK_FALSE(tokens_equal("", ""));           // an unset token lets nobody in
    CHECK_FALSE(tokens_equal("abc", "abcabc"));  // no wrap-around match
}
