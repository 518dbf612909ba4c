// Singleton work under leases with real replicas: two opsbot processes on
// one PostgreSQL database; the replica doing a singleton's work is killed
// (SIGKILL) and the other takes it over: the deploy it followed is reported
// once, in its thread, and its lock freed; a runbook's automated step is
// retried once, and the thread says so; alerts keep flowing, each posted once.
// Each test prints the takeover time it measured (kill → work resumed).

#include <catch2/catch.hpp>

#include <atomic>
#include <iostream>

#include "tests/fakes/fake_sentry.hpp"
#include "tests/support/deploy_bot.hpp"
#include "tests/support/replica_set.hpp"
#include "tests/support/sentry_samples.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeHttpServer;

namespace {

// OPSBOT_TEST_LEASE_TTL overrides it: run with 6s to measure the default's takeover.
std::string lease_ttl() {
    const char* ttl = std::getenv("OPSBOT_TEST_LEASE_TTL");
    return ttl && *ttl ? ttl : "3s";
}

// Two replicas (test::ReplicaSet) with a bot's settings (Jenkins, Sentry…),
// its fake Slack and its store, which must be PostgreSQL.
class Replicas {
public:
    Replicas(test::SlackBot& bot, const std::string& catalogue_yaml)
        : bot_(bot), set_(bot.slack, bot.store, 2, catalogue_yaml) {
        for (const auto& [key, value] : bot.env)
            if (key != "SLACK_API_URL" && key != "OPSBOT_CONFIG" && key != "OPSBOT_LOG_LEVEL")
                set_.set_env(key, value);
        set_.set_env("OPSBOT_LEASE_TTL", lease_ttl());
        set_.start_all();
    }

    // The replica that holds "work:<work>", from the lease table.
    std::size_t holder(const std::string& work) {
        std::string replica;
        FakeHttpServer::wait_until(
            [&] {
                auto select = database().prepare("SELECT holder FROM leases WHERE name = ?");
                select.bind(1, "work:" + work);
                if (!select.step()) return false;
                const auto parsed = LeaseHolder::parse(select.column_text(0));
                if (parsed) replica = parsed->replica;
                return parsed.has_value();
            },
            20s);
        return index_of(replica);
    }

    std::size_t index_of(const std::string& replica) const {
        for (std::size_t i = 0; i < set_.size(); ++i)
            if (test::ReplicaSet::id(i) == replica) return i;
        FAIL("no replica " << replica);
        return 0;
    }

    // kill -9; the moment it was sent.
    std::chrono::steady_clock::time_point kill(std::size_t index) {
        const auto at = std::chrono::steady_clock::now();
        set_.kill(index);
        return at;
    }

    const std::string& intake_url(std::size_t index) const { return set_.intake_url(index); }

    // The replicas' database, as one more process sees it.
    db::Database& database() {
        if (!db_) db_ = bot_.store.connect();
        return *db_;
    }

private:
    test::SlackBot& bot_;
    test::ReplicaSet set_;
    std::unique_ptr<db::Database> db_;
};

double seconds_since(std::chrono::steady_clock::time_point at) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - at).count();
}

std::int64_t count_rows(Replicas& replicas, const std::string& sql) {
    auto select = replicas.database().prepare(sql);
    REQUIRE(select.step());
    return select.column_int(0);
}

std::vector<nlohmann::json> posts_with(test::SlackBot& bot, const std::string& part) {
    std::vector<nlohmann::json> out;
    for (const auto& body : bot.slack.api_calls("chat.postMessage"))
        if (body.value("text", "").find(part) != std::string::npos) out.push_back(body);
    return out;
}

void report_takeover(const std::string& what, double seconds) {
    std::cout << "takeover of " << what << " after kill -9 (OPSBOT_LEASE_TTL " << lease_ttl()
              << "): " << seconds << " s\n";
}

}  // namespace

TEST_CASE(
    "replicas e2e: deploy survives its follower: the result is posted once, in its "
    "thread, by another replica, and the lock is freed",
    "[e2e][replicas]") {
    test::DeployBot d(test::catalogue_with_carol(), db::Backend::postgresql);
    d.jenkins.set_timing(0ms, 600s);
    Replicas replicas(d.bot, test::catalogue_with_carol());
    const std::size_t follower = replicas.holder("deploys");

    const auto plan = d.slash("/deploy", "acme prod", "U02BOB0002");
    const auto confirmed =
        d.press("U03CAROL03", "opsbot_confirm", test::confirmation_id(test::text_of(plan)));
    CHECK_THAT(test::text_of(confirmed), Catch::Contains("Deploying *acme prod*"));
    REQUIRE(d.wait_for_message("building <"));  // the follower saw the build start

    const auto killed = replicas.kill(follower);
    d.jenkins.finish_running_builds();
    REQUIRE(d.wait_for_message("Deploy #1 of acme prod succeeded", 30s));
    report_takeover("deploys", seconds_since(killed));

    const auto results = posts_with(d.bot, "Deploy #1 of acme prod succeeded");
    REQUIRE(results.size() == 1);
    auto thread = replicas.database().prepare("SELECT thread FROM deploys WHERE id = 1");
    REQUIRE(thread.step());
    CHECK(!thread.column_text(0).empty());
    CHECK(results[0].value("thread_ts", "") == thread.column_text(0));
    CHECK(count_rows(replicas, "SELECT COUNT(*) FROM locks") == 0);
    std::this_thread::sleep_for(2s);  // a second report would come within a poll
    CHECK(posts_with(d.bot, "Deploy #1 of acme prod succeeded").size() == 1);
    CHECK(count_rows(replicas,
                     "SELECT COUNT(*) FROM audit_log WHERE outcome = 'succeeded' AND "
                     "source = 'system' AND command LIKE 'deploy acme prod%'") == 1);
}

namespace {

const char* kCheckRunbook = R"(name: check-site
description: Waits for a site to answer, then a person closes the run
params:
  - {name: project, help: the project slug}
  - {name: check_url, help: what must answer 200}
steps:
  - title: Wait for the site
    instructions: opsbot asks {check_url} until it answers 200.
    action:
      type: wait_for_http
      url: "{check_url}"
      status: "200"
      attempts: "120"
      interval: "250ms"
  - title: Tell the team
    instructions: Say that the site is back.
    confirm: true
)";

}  // namespace

TEST_CASE(
    "replicas e2e: runbook survives: the step of a replica that died is retried once on "
    "another, and the thread shows it",
    "[e2e][replicas][runbooks]") {
    test::TempDir folder;
    folder.write("check-site.yaml", kCheckRunbook);
    FakeHttpServer site;
    std::atomic<int> site_status{502};
    site.route("GET", "/health", [&](const test::RecordedRequest&) {
        return test::FakeResponse{site_status.load(), "ok", "text/plain", {}};
    });
    const std::string catalogue =
        test::catalogue_with_deployer_permissions("deploy, purge, runbook") +
        "runbooks: " + folder.path().string() + "\n";
    test::SlackBot bot(catalogue, nullptr, db::Backend::postgresql);
    Replicas replicas(bot, catalogue);

    // The step runs in the handler of the start, on the replica that got it.
    bot.slack.send_slash({.text = "start check-site acme check_url=" + site.base_url() + "/health",
                          .command = "/runbook",
                          .user = "U02BOB0002"});
    std::string runner;
    REQUIRE(FakeHttpServer::wait_until(
        [&] {
            auto select = replicas.database().prepare(
                "SELECT replica FROM runbook_steps WHERE state = 'running' AND replica <> ''");
            if (select.step()) runner = select.column_text(0);
            return !runner.empty();
        },
        20s));
    REQUIRE(FakeHttpServer::wait_until([&] { return site.requests_to("/health").size() >= 2; }));
    const std::string survivor = test::ReplicaSet::id(1 - replicas.index_of(runner));

    const auto killed = replicas.kill(replicas.index_of(runner));
    const std::string note =
        "is being retried on replica " + survivor + " because replica " + runner + " stopped";
    REQUIRE(FakeHttpServer::wait_until([&] { return !posts_with(bot, note).empty(); }, 30s));
    report_takeover("runbooks", seconds_since(killed));
    site_status = 200;
    REQUIRE(
        FakeHttpServer::wait_until([&] { return !posts_with(bot, "answered 200").empty(); }, 30s));

    const auto notes = posts_with(bot, note);
    REQUIRE(notes.size() == 1);
    auto thread = replicas.database().prepare("SELECT thread FROM runbook_runs WHERE id = 1");
    REQUIRE(thread.step());
    CHECK(notes[0].value("thread_ts", "") == thread.column_text(0));
    CHECK(count_rows(replicas,
                     "SELECT COUNT(*) FROM runbook_steps WHERE step = 0 AND state = 'done' "
                     "AND retried = 1 AND replica = '" +
                         survivor + "'") == 1);
    CHECK(count_rows(replicas,
                     "SELECT COUNT(*) FROM audit_log WHERE command LIKE '%retried on "
                     "replica%'") == 1);
}

namespace {

constexpr const char* kSentrySecret = "sentry-client-secret-replicas";

bool send_alert(const std::string& intake_url, int i) {
    const std::string body = test::sentry_issue_created(
        std::to_string(810000 + i), "Replica alert " + std::to_string(i) + " end");
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    HttpRequest request{"POST", intake_url + "/hooks/sentry",
                        test::FakeSentry::webhook_headers("issue", body, kSentrySecret,
                                                          "req-replicas-" + std::to_string(i), now),
                        body};
    request.timeout = 5s;
    CurlHttpClient client;
    const auto response = client.send(request);
    return response.ok() && response.value().status == 202;
}

std::size_t mentions(test::SlackBot& bot, int i) {
    const std::string title = "Replica alert " + std::to_string(i) + " end";
    std::size_t n = 0;
    for (const auto& body : bot.slack.api_calls("chat.postMessage"))
        if (body.dump().find(title) != std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_CASE("replicas e2e: alerts keep flowing after the relay's replica dies, each posted once",
          "[e2e][replicas][alerts]") {
    test::SlackBot bot(test::kCatalogueYaml, nullptr, db::Backend::postgresql);
    bot.env["SENTRY_CLIENT_SECRET"] = kSentrySecret;
    bot.env["OPSBOT_ALERT_DIGEST_INTERVAL"] = "1s";
    Replicas replicas(bot, test::kCatalogueYaml);
    const std::size_t relay = replicas.holder("alerts");
    const std::size_t survivor = 1 - relay;

    // Taken by the replica that does not relay: the relay finds it in the inbox.
    REQUIRE(send_alert(replicas.intake_url(survivor), 1));
    REQUIRE(FakeHttpServer::wait_until([&] { return mentions(bot, 1) > 0; }, 15s));
    // Marked posted: a post whose mark the kill cuts off is posted again, as
    // after a single opsbot's kill -9 (the issue's one allowed exception).
    REQUIRE(FakeHttpServer::wait_until([&] {
        return count_rows(replicas, "SELECT COUNT(*) FROM alert_messages WHERE ts <> ''") > 0;
    }));

    const auto killed = replicas.kill(relay);
    REQUIRE(send_alert(replicas.intake_url(survivor), 2));
    REQUIRE(FakeHttpServer::wait_until([&] { return mentions(bot, 2) > 0; }, 30s));
    report_takeover("alerts", seconds_since(killed));
    std::this_thread::sleep_for(2s);  // a second post would come within a pass
    CHECK(mentions(bot, 1) == 1);
    CHECK(mentions(bot, 2) == 1);
}
