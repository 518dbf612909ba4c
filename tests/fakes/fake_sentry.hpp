#pragma once
// A fake Sentry on 127.0.0.1, over real HTTP: the issue endpoint opsbot
// calls (PUT /api/0/organizations/<org>/issues/<id>/) with bearer auth,
// issues whose status follows the updates, Sentry's {"detail": ...} errors,
// and failure modes. Also the headers Sentry signs its webhooks with, for
// tests and benchmarks that send webhooks to opsbot.
//
//   FakeSentry sentry;
//   sentry.add_issue("4509", "backend");
//   ... SentryConfig{sentry.base_url(), FakeSentry::kToken, FakeSentry::kOrg}

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http.hpp"
#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

// One request as the fake received it, whatever it answered.
struct FakeSentryUpdate {
    RecordedRequest request;  // method, target, headers, raw body
    std::string org;          // from the path; empty when the path is not an issue's
    std::string issue_id;     // percent-decoded
    nlohmann::json body;      // parsed; discarded (is_discarded()) when not JSON
    int answered = 0;         // the status the fake sent back
};

class FakeSentry {
public:
    // The shape of an organization auth token.
    static constexpr const char* kToken = "sntrys_fake_token_0001";
    static constexpr const char* kOrg = "test-org";

    FakeSentry();
    FakeSentry(const FakeSentry&) = delete;
    FakeSentry& operator=(const FakeSentry&) = delete;

    // "http://127.0.0.1:<port>": no trailing slash, like SENTRY_URL.
    std::string base_url() const;
    FakeHttpServer& server() { return server_; }
    const FakeHttpServer& server() const { return server_; }

    // Issues start unresolved; ids are Sentry's numeric group ids as text.
    void add_issue(const std::string& id, const std::string& project_slug = "backend");
    // unresolved, resolved or ignored; "" for an unknown issue.
    std::string status(const std::string& id) const;
    // statusDetails.ignoreDuration of the last update that set one; 0 when the
    // issue is not muted for a time.
    long long ignore_minutes(const std::string& id) const;
    // Every request received, in order, with its parsed body.
    std::vector<FakeSentryUpdate> updates() const;

    // The next `count` requests answer `status` before any other check: a
    // load balancer's HTML page for 5xx, Sentry's JSON with Retry-After for 429.
    void fail_next(int count, int status = 503, int retry_after_seconds = 30);

    // The headers Sentry sends with an integration-platform webhook, signed
    // with the client secret: Content-Type, Request-ID, Sentry-Hook-Resource,
    // Sentry-Hook-Timestamp, Sentry-Hook-Signature.
    static HttpHeaders webhook_headers(const std::string& resource, const std::string& body,
                                       const std::string& secret, const std::string& request_id,
                                       long long timestamp_seconds);

private:
    struct Issue {
        std::string project;
        long short_number = 0;  // the N in BACKEND-N
        std::string status = "unresolved";
        long long ignore_minutes = 0;
    };

    FakeResponse handle(const RecordedRequest& request);
    FakeResponse answer(const RecordedRequest& request, FakeSentryUpdate& update);
    FakeResponse update_issue(const std::string& id, Issue& issue, const nlohmann::json& body);
    nlohmann::json issue_json(const std::string& id, const Issue& issue) const;

    mutable std::mutex mutex_;
    std::map<std::string, Issue> issues_;
    std::map<std::string, long> short_counters_;  // per project
    std::vector<FakeSentryUpdate> updates_;
    int failures_left_ = 0;
    int failure_status_ = 503;
    int retry_after_ = 30;
    // Last: destroyed first, so its thread stops before the state it reads goes.
    FakeHttpServer server_;
};

}  // namespace opsbot::test
