// Releases, rollbacks and live commits as the deploy service follows them: a
// real JenkinsDeployService over the fake Jenkins and the fake Slack (real
// HTTP on 127.0.0.1), a real database (SQLite, or PostgreSQL with
// OPSBOT_TEST_STORE=postgresql), and the real Jenkins webhook handler. What
// goes through Slack commands runs the real opsbot binary.

#include <catch2/catch.hpp>

#include <memory>
#include <thread>

#include "adapters/http/curl_http_client.hpp"
#include "bot/deploy/deploy_messages.hpp"
#include "bot/deploy/deploy_service.hpp"
#include "bot/hooks/jenkins_hook.hpp"
#include "bot/slack/slack_notifier.hpp"
#include "bot/slack/web_api.hpp"
#include "core/catalogue_source.hpp"
#include "core/metrics.hpp"
#include "persistence/migrations.hpp"
#include "persistence/ops_stores.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace opsbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// What the release pushes, what was live before it, and an unrelated push.
constexpr const char* kPushed = "4f2a9c81d0b3e5f7a6c8d9e0f1a2b3c4d5e6f708";
constexpr const char* kLive = "9b1e7d3c5a2f4e6d8c0b1a3e5d7f9c2b4a6e8d01";
constexpr const char* kElse = "0c3d5e7f9a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d";
constexpr const char* kHookToken = "release-hook-secret-0007";

DeployServiceOptions quick_options() {
    DeployServiceOptions options;
    options.poll_interval = 50ms;
    options.build_timeout = 30s;
    options.queue_grace = 10s;
    options.push_grace = 10s;
    return options;
}

struct Rig {
    FakeJenkins jenkins;
    FakeSlack slack;
    // Migrated once; each store then has a connection of its own, as the app's do.
    TestDatabase database{e2e_backend()};
    std::unique_ptr<db::Database> audit_db = database.connect(), locks_db = database.connect(),
                                  deploys_db = database.connect();
    SystemClock clock;
    db::AuditLog audit{*audit_db, clock};
    db::SqlLockStore locks{*locks_db};
    db::SqlDeployStore store{*deploys_db};
    CurlHttpClient http;
    Metrics metrics;
    slack::WebApi api{
        http, {.api_url = slack.api_url(), .bot_token = FakeSlack::kBotToken}, metrics};
    slack::SlackNotifier notifier{api};
    CatalogueSource catalogue{test_catalogue()};
    jenkins::JenkinsClient client{http, jenkins.client_config()};
    std::unique_ptr<JenkinsDeployService> service;

    explicit Rig(DeployServiceOptions options = quick_options()) {
        jenkins.add_job(kStageJob);
        jenkins.add_job(kProdJob);
        jenkins.set_timing(0ms, 200ms);
        start_service(options);
    }

    void start_service(DeployServiceOptions options = quick_options()) {
        service =
            std::make_unique<JenkinsDeployService>(&client, jenkins.client_config(), locks, store,
                                                   audit, notifier, catalogue, clock, options);
    }

    static DeployRequest request(DeployKind kind, Env env, const std::string& ref) {
        auto plan = make_deploy_plan(test_catalogue(), "acme", env, ref);
        REQUIRE(plan.ok());
        return {.kind = kind,
                .plan = plan.value(),
                .requester = {.user_id = "U02BOB0002", .name = "Bob"},
                .approved_by = "U03CAROL03",
                .channel = "#acme",
                .correlation_id = "corr-release"};
    }

    DeployRecord begin(const std::string& replaced = kLive) {
        auto req = request(DeployKind::release, Env::prod, "master");
        req.replaced_commit = replaced;
        auto begun = service->begin_release(req);
        REQUIRE(begun.ok());
        return begun.value();
    }

    // A release pushed, and Jenkins building the push.
    DeployRecord released(const std::string& replaced = kLive) {
        auto release = begin(replaced);
        service->pushed(release, kPushed);
        jenkins.start_scm_build(kProdJob, kPushed);
        return release;
    }

    DeployRecord rollback() {
        auto req = request(DeployKind::rollback, Env::prod, kLive);
        req.commit = kLive;
        req.replaced_commit = kPushed;
        auto started = service->start(req);
        REQUIRE(started.ok());
        return started.value();
    }

    // A Notification plugin message through the real webhook handler.
    void notify(long number, const std::string& phase, const std::string& status = "") {
        const auto hook = hooks::jenkins_hook(kHookToken, *service, audit);
        net::IncomingRequest request;
        request.method = "POST";
        request.target = request.path = "/hooks/jenkins";
        request.headers = {{"X-Jenkins-Token", kHookToken}};
        request.body = jenkins.notification_json(kProdJob, number, phase, status);
        request.remote_address = "127.0.0.1";
        REQUIRE(hook(request).status == 200);
    }

    // The first chat.postMessage whose text has part; null when none has.
    nlohmann::json post_with(const std::string& part) const {
        for (const auto& post : slack.api_calls("chat.postMessage"))
            if (post.value("text", "").find(part) != std::string::npos) return post;
        return nullptr;
    }

    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const auto* method : {"chat.postMessage", "chat.update"})
            for (const auto& body : slack.api_calls(method)) out.push_back(body.value("text", ""));
        return out;
    }

    int count(const std::string& part) const {
        int n = 0;
        for (const auto& text : messages())
            if (text.find(part) != std::string::npos) ++n;
        return n;
    }

    bool wait_for(const std::string& part, std::chrono::milliseconds timeout = 10s) const {
        return FakeHttpServer::wait_until([&] { return count(part) > 0; }, timeout);
    }

    DeployRecord record(std::int64_t id) const {
        const auto found = store.find(id);
        REQUIRE(found.has_value());
        return *found;
    }

    std::vector<AuditRecord> audit_rows() { return audit.query({.limit = 0}); }
};

}  // namespace

TEST_CASE("release follow: the push's build is found by its commit through polling",
          "[release-follow]") {
    Rig r;
    auto release = r.begin();
    CHECK(release.kind == DeployKind::release);
    CHECK(release.state == DeployState::queued);
    CHECK(release.plan.job == kProdJob);
    CHECK(release.plan.ref == "master");
    REQUIRE(r.wait_for("release #1 by Bob: promoting develop to master"));
    const auto lock = r.locks.find("acme", Env::prod, r.clock.now());
    REQUIRE(lock.has_value());
    CHECK(lock->kind == LockKind::deploy);
    CHECK(lock->reason == "releasing develop to master");
    CHECK(r.jenkins.requests().empty());  // a release triggers nothing

    r.service->pushed(release, kPushed);
    REQUIRE(r.wait_for("pushed `4f2a9c8` to master; waiting for Jenkins to start the build"));
    r.jenkins.set_timing(0ms, 60s);
    r.jenkins.start_scm_build(kProdJob, kPushed);
    REQUIRE(r.wait_for("|build #1> (`4f2a9c8`)"));
    r.jenkins.finish_running_builds();  // the poller reads the build to its end
    REQUIRE(r.wait_for("Release #1 of acme prod succeeded (SUCCESS)"));

    const auto done = r.record(release.id);
    CHECK(done.state == DeployState::succeeded);
    CHECK(done.build_number == 1);
    CHECK(done.commit == kPushed);
    CHECK(r.count("building <" + r.jenkins.builds(kProdJob).at(0).url + "|build #1> (`4f2a9c8`)") ==
          1);
    CHECK(r.jenkins.triggers().empty());
    CHECK_FALSE(r.locks.find("acme", Env::prod, r.clock.now()).has_value());
    const auto rows = r.audit_rows();
    CHECK(has_row(rows, Outcome::started, "commit " + std::string(kPushed)));
    CHECK(has_row(rows, Outcome::succeeded, r.jenkins.builds(kProdJob).at(0).url));
    CHECK(rows.front().command == "release acme prod master");
}

TEST_CASE("release follow: a notification whose scm.commit is the push's marks the build",
          "[release-follow]") {
    auto options = quick_options();
    options.poll_interval = 30s;  // nothing polls by itself: the notifications drive it
    Rig r(options);
    r.jenkins.set_timing(0ms, 60s);
    auto release = r.begin();
    r.service->pushed(release, kPushed);
    r.jenkins.start_scm_build(kProdJob, kPushed);

    r.notify(1, "STARTED");
    REQUIRE(r.wait_for("|build #1> (`4f2a9c8`)"));
    // Found by the notification: the job's builds were never searched.
    CHECK(r.jenkins.server().requests_to("/job/clients/job/acme/job/deploy-prod/api/json").empty());
    r.jenkins.finish_running_builds();
    r.notify(1, "COMPLETED", "SUCCESS");
    REQUIRE(r.wait_for("Release #1 of acme prod succeeded (SUCCESS)"));
    CHECK(r.record(release.id).build_number == 1);
}

TEST_CASE("release follow: a build of another commit is not taken for the release",
          "[release-follow]") {
    Rig r;
    r.jenkins.set_timing(0ms, 0ms);
    r.jenkins.start_scm_build(kProdJob, kElse);  // someone else's push, built already
    auto release = r.begin();
    r.service->pushed(release, kPushed);
    // The poller passes over build #1 until the push's own build appears.
    REQUIRE(FakeHttpServer::wait_until([&] {
        return !r.jenkins.server()
                    .requests_to("/job/clients/job/acme/job/deploy-prod/api/json")
                    .empty();
    }));
    r.jenkins.start_scm_build(kProdJob, kPushed);
    REQUIRE(r.wait_for("Release #1 of acme prod succeeded"));
    const auto done = r.record(release.id);
    CHECK(done.build_number == 2);
    CHECK(done.commit == kPushed);
    CHECK(r.count("|build #1>") == 0);
}

TEST_CASE(
    "release follow: no build for the push ends it lost after the grace, saying what to check",
    "[release-follow]") {
    auto options = quick_options();
    options.push_grace = 300ms;
    Rig r(options);
    auto release = r.begin();
    r.service->pushed(release, kPushed);
    REQUIRE(r.wait_for("Release #1 of acme prod lost"));
    CHECK(r.count("Jenkins started no build of `4f2a9c8` within 300 ms. master has it, but nothing "
                  "deployed it: check that <" +
                  r.jenkins.base_url() + "job/clients/job/acme/job/deploy-prod/|" + kProdJob +
                  "> builds pushes to master (its SCM polling or push webhook)") >= 1);
    CHECK(r.record(release.id).state == DeployState::lost);
    CHECK_FALSE(r.locks.find("acme", Env::prod, r.clock.now()).has_value());
    CHECK(has_row(r.audit_rows(), Outcome::failed, r.jenkins.base_url()));
}

TEST_CASE(
    "release follow: a release is refused while the environment is locked, and abandon "
    "frees the lock with the reason",
    "[release-follow]") {
    Rig r;
    auto release = r.begin();
    const auto second = r.service->begin_release(Rig::request(DeployKind::release, Env::prod, ""));
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == "locked");
    CHECK_THAT(second.error().message,
               Contains("Cannot release acme prod: locked by <@U02BOB0002> (deploy)"));
    CHECK_THAT(second.error().message, Contains("releasing develop to master (release #1)"));

    r.service->abandon(release, "merge conflict in config/app.yml");
    REQUIRE(
        r.wait_for("stopped before the push; nothing went out\nmerge conflict in "
                   "config/app.yml"));
    CHECK(r.record(release.id).state == DeployState::failed);
    CHECK(r.record(release.id).error == "merge conflict in config/app.yml");
    CHECK_FALSE(r.locks.find("acme", Env::prod, r.clock.now()).has_value());
    CHECK(r.slack.api_calls("chat.postMessage").size() == 1);  // the status message alone
    const auto rows = r.audit_rows();
    CHECK(rows.front().outcome == Outcome::failed);
    CHECK(rows.front().error == "merge conflict in config/app.yml");
    CHECK(r.jenkins.requests().empty());
    CHECK(r.service->begin_release(Rig::request(DeployKind::release, Env::prod, "")).ok());
}

TEST_CASE("release follow: a job deploy records the commit its build reports", "[release-follow]") {
    Rig r;
    FakeScm scm;
    scm.commit = kElse;
    scm.branch = "refs/remotes/origin/develop";
    r.jenkins.set_scm(scm);

    SECTION("read from the build while polling") {
        const auto started = r.service->start(Rig::request(DeployKind::job, Env::stage, ""));
        REQUIRE(started.ok());
        REQUIRE(r.wait_for("Deploy #1 of acme stage succeeded"));
    }
    SECTION("from the notification's scm.commit") {
        auto options = quick_options();
        options.poll_interval = 30s;
        r.start_service(options);
        r.jenkins.set_timing(0ms, 0ms);
        const auto started = r.service->start(Rig::request(DeployKind::job, Env::stage, ""));
        REQUIRE(started.ok());
        REQUIRE(r.jenkins.wait_for_result(kStageJob, 1));
        const auto hook = hooks::jenkins_hook(kHookToken, *r.service, r.audit);
        net::IncomingRequest request;
        request.path = "/hooks/jenkins";
        request.headers = {{"X-Jenkins-Token", kHookToken}};
        request.body = r.jenkins.notification_json(kStageJob, 1, "COMPLETED", "SUCCESS");
        REQUIRE(hook(request).status == 200);
        REQUIRE(r.wait_for("Deploy #1 of acme stage succeeded"));
        // Known from the notification: the build was never read.
        CHECK(r.jenkins.server()
                  .requests_to("/job/clients/job/acme/job/deploy-stage/1/api/json")
                  .empty());
    }
    CHECK(r.record(1).commit == kElse);
    const auto live = r.store.live_history("acme", Env::stage, 5);
    REQUIRE(live.size() == 1);
    CHECK(live[0].id == 1);
    CHECK(live[0].commit == kElse);
    CHECK(r.store.live_history("acme", Env::prod, 5).empty());
}

TEST_CASE("release follow: a rollback ends holding a rollback lock that refuses the next deploy",
          "[release-follow]") {
    Rig r;
    const auto rollback = r.rollback();
    CHECK(rollback.kind == DeployKind::rollback);
    REQUIRE(r.jenkins.triggers().size() == 1);
    CHECK(r.jenkins.triggers()[0].body == "BRANCH=" + std::string(kLive));
    REQUIRE(r.wait_for("Rollback #1 of acme prod succeeded (SUCCESS)"));
    CHECK(r.count("`9b1e7d3` is live again; `4f2a9c8` was taken out.\n🔒 acme prod stays locked, "
                  "so that the next release does not undo this unnoticed. `unlock acme prod` "
                  "allows releases and deploys again.") == 1);
    CHECK(r.count("*acme prod* (`9b1e7d3`) — rollback #1 by Bob") >= 1);

    const auto done = r.record(rollback.id);
    CHECK(done.commit == kLive);
    CHECK(done.replaced_commit == kPushed);
    const auto lock = r.locks.find("acme", Env::prod, r.clock.now());
    REQUIRE(lock.has_value());
    CHECK(lock->kind == LockKind::rollback);
    CHECK(lock->owner_id == "U02BOB0002");
    CHECK(lock->reason == "rolled back from 4f2a9c8 to 9b1e7d3");
    CHECK_FALSE(lock->expires.has_value());

    const auto deploy = r.service->start(Rig::request(DeployKind::job, Env::prod, ""));
    REQUIRE_FALSE(deploy.ok());
    CHECK_THAT(deploy.error().message,
               Contains("Cannot deploy acme prod: locked by <@U02BOB0002> (rollback)"));
    CHECK_THAT(deploy.error().message, Contains("rolled back from 4f2a9c8 to 9b1e7d3"));
    const auto release = r.service->begin_release(Rig::request(DeployKind::release, Env::prod, ""));
    REQUIRE_FALSE(release.ok());
    CHECK_THAT(release.error().message, Contains("Cannot release acme prod"));
    CHECK(r.jenkins.triggers().size() == 1);
}

TEST_CASE("release follow: a failed rollback frees the lock and says what may be live",
          "[release-follow]") {
    Rig r;
    r.jenkins.set_next_result("FAILURE");
    r.rollback();
    REQUIRE(r.wait_for("Rollback #1 of acme prod failed (FAILURE)"));
    CHECK(r.count("What is live is uncertain: acme prod may still run `4f2a9c8`, or be half "
                  "rolled back.") == 1);
    CHECK_FALSE(r.locks.find("acme", Env::prod, r.clock.now()).has_value());
}

TEST_CASE("release follow: the finished prod release carries the Roll back button",
          "[release-follow]") {
    Rig r;
    r.jenkins.set_timing(0ms, 0ms);
    SECTION("naming what was live before") {
        r.released();
        REQUIRE(r.wait_for("Release #1 of acme prod succeeded"));
        const auto result = r.post_with("Release #1 of acme prod succeeded");
        REQUIRE(result.is_object());
        CHECK(result.value("thread_ts", "") != "");  // in the status message's thread
        CHECK_THAT(
            result.value("text", ""),
            Contains("`4f2a9c8` is live. If it misbehaves, *Roll back* puts `9b1e7d3` back."));
        const auto& blocks = result.at("blocks");
        REQUIRE(blocks.size() == 2);
        CHECK(blocks[0]["type"] == "section");
        CHECK(blocks[0]["text"]["text"] == result.value("text", ""));
        const auto& button = blocks[1]["elements"][0];
        CHECK(button["action_id"] == deploy::kRollbackAction);
        CHECK(button["action_id"] == "opsbot_rollback");
        CHECK(button["value"] == "rollback acme prod " + std::string(kLive));
        CHECK(button["style"] == "danger");
        CHECK(button["text"]["text"] == "Roll back");
    }
    SECTION("without a commit when what was live is unknown") {
        r.released("");
        REQUIRE(r.wait_for("Release #1 of acme prod succeeded"));
        const auto result = r.post_with("Release #1 of acme prod succeeded");
        REQUIRE(result.is_object());
        CHECK(result.at("blocks")[1]["elements"][0]["value"] == "rollback acme prod");
    }
    SECTION("but not a failed release") {
        r.jenkins.set_next_result("FAILURE");
        r.released();
        REQUIRE(r.wait_for("Release #1 of acme prod failed (FAILURE)"));
        const auto result = r.post_with("Release #1 of acme prod failed");
        REQUIRE(result.is_object());
        CHECK_FALSE(result.contains("blocks"));
        CHECK_THAT(result.value("text", ""),
                   Contains("master has `4f2a9c8`, but acme prod may still run `9b1e7d3`, or be "
                            "half-deployed"));
    }
}

TEST_CASE("release follow: the end is reported once when the webhook and the poller race",
          "[release-follow]") {
    auto options = quick_options();
    options.poll_interval = 5ms;
    Rig r(options);
    r.jenkins.set_timing(0ms, 0ms);
    r.released();
    REQUIRE(r.jenkins.wait_for_result(kProdJob, 1));
    for (const auto* phase : {"STARTED", "COMPLETED", "FINALIZED"})
        r.notify(1, phase, std::string(phase) == "STARTED" ? "" : "SUCCESS");
    REQUIRE(r.wait_for("Release #1 of acme prod succeeded"));
    // A foreign build's end, queued behind the others: once it is relayed,
    // every notification before it was handled, and polls have run since.
    r.jenkins.start_scm_build(kProdJob, kElse);
    REQUIRE(r.jenkins.wait_for_result(kProdJob, 2));
    r.notify(2, "COMPLETED", "SUCCESS");
    REQUIRE(r.wait_for("Jenkins build of acme prod"));
    CHECK(r.count("Release #1 of acme prod succeeded") == 1);
    const auto rows = r.audit_rows();
    CHECK(std::count_if(rows.begin(), rows.end(), [](const AuditRecord& row) {
              return row.outcome == Outcome::succeeded;
          }) == 1);
}

TEST_CASE("release follow: a release pushed before a restart is followed after it",
          "[release-follow]") {
    Rig r;
    auto release = r.begin();
    r.service->pushed(release, kPushed);
    r.service.reset();  // opsbot stops; the lock and the record stay
    r.start_service();
    r.service->resume();
    r.jenkins.start_scm_build(kProdJob, kPushed);
    REQUIRE(r.wait_for("Release #1 of acme prod succeeded"));
    CHECK(r.record(release.id).build_number == 1);
    CHECK_FALSE(r.locks.find("acme", Env::prod, r.clock.now()).has_value());
}

// Through Slack and the real binary: unlock after a rollback, and the button.

namespace {

DeployRecord finished_record(DeployKind kind, const std::string& ref, const std::string& commit,
                             const std::string& replaced) {
    DeployRecord d;
    d.kind = kind;
    d.plan = {"acme", Env::prod, kProdJob, ref, {{"BRANCH", ref}}};
    d.commit = commit;
    d.replaced_commit = replaced;
    d.requested_by = "U03CAROL03";
    d.requested_by_name = "Carol";
    d.state = DeployState::succeeded;
    d.result = "SUCCESS";
    d.created = std::chrono::system_clock::now();
    d.finished = d.created;
    return d;
}

// What a release and then a rollback of it leave behind, written before opsbot starts.
void after_a_rollback(DeployBot& d) {
    const auto database = d.bot.store.connect();
    db::migrate(*database);
    db::SqlDeployStore deploys(*database);
    for (auto record : {finished_record(DeployKind::release, "master", kPushed, kLive),
                        finished_record(DeployKind::rollback, kLive, kLive, kPushed)}) {
        record.id = deploys.create(record);
        REQUIRE(deploys.finish(record));
    }
    db::SqlLockStore locks(*database);
    const auto now = std::chrono::system_clock::now();
    REQUIRE_FALSE(locks
                      .acquire({.project = "acme",
                                .env = Env::prod,
                                .kind = LockKind::rollback,
                                .owner_id = "U03CAROL03",
                                .owner_name = "Carol",
                                .reason = "rolled back from 4f2a9c8 to 9b1e7d3",
                                .acquired = now,
                                .expires = std::nullopt,
                                .ref = "rollback #2"},
                               now)
                      .has_value());
}

}  // namespace

TEST_CASE(
    "release follow e2e: deploys shows releases and rollbacks, unlocking a rollback lock "
    "says what it re-enables",
    "[release-follow][e2e]") {
    DeployBot d;
    after_a_rollback(d);
    d.bot.start();
    const auto history = text_of(d.slash("/ops", "deploys acme", "U02BOB0002"));
    CHECK_THAT(history, Contains("#1 acme prod release `master` (`4f2a9c8`) — succeeded (SUCCESS), "
                                 "by Carol"));
    CHECK_THAT(history,
               Contains("#2 acme prod rollback `9b1e7d3` — succeeded (SUCCESS), by Carol"));

    const auto refused = d.slash("/ops", "lock acme prod \"hotfix\"", "U02BOB0002");
    CHECK_THAT(text_of(refused),
               Contains("Cannot lock acme prod: locked by <@U03CAROL03> (rollback)"));
    CHECK_THAT(text_of(refused), Contains("rolled back from 4f2a9c8 to 9b1e7d3"));

    const auto unlocked = d.slash("/ops", "unlock acme prod", "U02BOB0002");
    CHECK(text_of(unlocked) ==
          "🔓 acme prod is unlocked (it was kept after <@U03CAROL03>'s rollback: rolled back from "
          "4f2a9c8 to 9b1e7d3).\nReleases and deploys of acme prod are allowed again, and the next "
          "release puts back what the rollback took out.");
    CHECK_THAT(text_of(d.slash("/ops", "locks", "U02BOB0002")),
               Contains("No environment is locked."));
}

TEST_CASE("release follow e2e: the Roll back button runs its value as the presser's command",
          "[release-follow][e2e]") {
    DeployBot d;
    d.bot.start();
    const std::string command = "rollback acme prod " + std::string(kLive);
    d.press("U02BOB0002", "opsbot_rollback", command);
    const auto rows = d.audit_rows();
    const auto pressed = std::find_if(
        rows.begin(), rows.end(), [&](const AuditRecord& row) { return row.command == command; });
    REQUIRE(pressed != rows.end());
    CHECK(pressed->actor_id == "U02BOB0002");
    // A value that is not a rollback runs nothing else.
    d.press("U02BOB0002", "opsbot_rollback", "lock acme prod \"mine\"");
    const auto after = d.audit_rows();
    CHECK(std::none_of(after.begin(), after.end(),
                       [](const AuditRecord& row) { return row.command.rfind("lock ", 0) == 0; }));
}

TEST_CASE("lock store: take_over turns a lock of the named kind into the wanted one, in one step",
          "[release-follow]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlLockStore locks(*database);
    const auto now = std::chrono::system_clock::now();
    const Lock deploy{.project = "acme",
                      .env = Env::prod,
                      .kind = LockKind::deploy,
                      .owner_id = "U02BOB0002",
                      .reason = "deploying",
                      .acquired = now};
    Lock hold = deploy;
    hold.kind = LockKind::rollback;
    hold.reason = "rolled back from 4f2a9c8 to 9b1e7d3";

    // Nothing held: it is simply taken.
    CHECK_FALSE(locks.take_over(hold, LockKind::deploy, now));
    REQUIRE(locks.release("acme", Env::prod, LockKind::rollback, ""));

    REQUIRE_FALSE(locks.acquire(deploy, now));
    CHECK_FALSE(locks.take_over(hold, LockKind::deploy, now));
    const auto held = locks.find("acme", Env::prod, now);
    REQUIRE(held);
    CHECK(held->kind == LockKind::rollback);
    CHECK(held->reason == hold.reason);

    // Another kind is in the way, and stays.
    Lock manual = deploy;
    manual.kind = LockKind::manual;
    manual.reason = "db migration";
    const auto refused = locks.take_over(manual, LockKind::deploy, now);
    REQUIRE(refused);
    CHECK(refused->kind == LockKind::rollback);
    CHECK(locks.find("acme", Env::prod, now)->reason == hold.reason);
}
