#pragma once
// The real opsbot binary in Slack mode against the fake Slack on loopback,
// with its HTTP intake reachable. Shared by the Slack and deploy end-to-end
// tests. Its store is SQLite, or PostgreSQL with OPSBOT_TEST_STORE=postgresql.

#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/curl_http_client.hpp"
#include "persistence/audit_log.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/slack_mode.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

namespace opsbot::test {

struct SlackBot {
    FakeSlack slack;
    TempDir dir;
    TestDatabase store;
    Environment env;
    std::unique_ptr<BackgroundProcess> process;
    std::string intake_url;

    // With link_tls, the fake's Socket Mode links are wss:// (see FakeSlack).
    // backend: replicas need PostgreSQL whatever OPSBOT_TEST_STORE says.
    explicit SlackBot(const std::string& catalogue_yaml = kCatalogueYaml,
                      const TlsIdentity* link_tls = nullptr, db::Backend backend = e2e_backend())
        : slack(1, link_tls),
          store(backend, dir.file("opsbot.db")),
          env(slack_mode_env(slack.api_url(), dir.write("opsbot.yaml", catalogue_yaml),
                             store.env())) {}

    // Its log is drained as it comes: a test that reads it rarely must not
    // leave opsbot blocked on a full stderr pipe (a store outage logs a lot).
    void start(bool wait_connected = true) {
        process = launch_opsbot(env, /*drain_log=*/true);
        if (!wait_connected) return;
        intake_url = wait_for_intake(*process);
        REQUIRE(slack.wait_for_links(1));
        process->wait_for_log("slack: connected");
    }

    // SIGTERM and wait; the database stays for a restart.
    void stop() {
        if (!process) return;
        process->signal(SIGTERM);
        process->wait();
    }

    HttpResponse get(const std::string& path) { return send({"GET", intake_url + path}); }
    // Nullopt when no answer came within timeout (a probe of a store that
    // just went away may take that long); for waits that poll.
    std::optional<HttpResponse> try_get(const std::string& path,
                                        std::chrono::seconds timeout = std::chrono::seconds(15)) {
        CurlHttpClient client;
        HttpRequest request{"GET", intake_url + path};
        request.timeout = timeout;
        auto response = client.send(request);
        if (!response.ok()) return std::nullopt;
        return response.value();
    }

    HttpResponse post(const std::string& path, const std::string& body,
                      HttpHeaders headers = {{"Content-Type", "application/json"}}) {
        HttpRequest request{"POST", intake_url + path, std::move(headers), body};
        return send(request);
    }

    // Every audit row opsbot wrote, newest first, read from its store.
    std::vector<AuditRecord> audit_rows(std::optional<Outcome> outcome = std::nullopt) const {
        return test::audit_rows(store, outcome);
    }

    ~SlackBot() { stop(); }

private:
    static HttpResponse send(HttpRequest request) {
        CurlHttpClient client;
        request.timeout = std::chrono::seconds(5);
        auto response = client.send(request);
        REQUIRE(response.ok());
        return response.value();
    }
};

}  // namespace opsbot::test
