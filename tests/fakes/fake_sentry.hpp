#pragma once
// A fake Sentry on 127.0.0.1, over real HTTP: the issue endpoint opsbot
// calls (PUT /api/0/organizations/<org>/issues/<id>/) with bearer auth,
// issues whose status follows the updates, Sentry's {"detail": ...} errors,
// and failure modes; projects per organization, created under a team
// (POST /api/0/teams/<org>/<team>/projects/, 409 on a taken slug), looked up
// (GET /api/0/projects/<org>/<slug>/) and their client keys
// (GET …/<slug>/keys/, each with a DSN "http://<public>@127.0.0.1:<port>/<id>").
// Also the headers Sentry signs its webhooks with, for tests and benchmarks
// that send webhooks to opsbot.
//
//   FakeSentry sentry;
//   sentry.add_issue("4509", "backend");
//   ... SentryConfig{sentry.base_url(), FakeSentry::kToken, FakeSentry::kOrg}

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/sentry/sentry.hpp"
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
    // How a SentryClient reaches this fake: its URL, token and organization.
    sentry::SentryConfig client_config() const;
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

    // Teams and projects; kOrg unless `org` says otherwise. A request about an
    // organization with neither answers 404, as for a token without access.
    void add_team(const std::string& team, const std::string& org = kOrg);
    // An existing project with one active key; `name` defaults to the slug.
    // Returns its id.
    std::string add_project(const std::string& slug, const std::string& team,
                            const std::string& name = "", const std::string& org = kOrg);
    // Another key for the project (listed after its others), which is created
    // with no key when unknown; returns the key's public DSN.
    std::string add_key(const std::string& slug, bool active = true, const std::string& org = kOrg);
    bool has_project(const std::string& slug, const std::string& org = kOrg) const;
    // The issue alert rules posted for the project (GET/POST …/rules/).
    std::vector<nlohmann::json> project_rules(const std::string& slug,
                                              const std::string& org = kOrg) const;
    // The project's name, team and platform; "" for an unknown project.
    std::string project_name(const std::string& slug, const std::string& org = kOrg) const;
    std::string project_team(const std::string& slug, const std::string& org = kOrg) const;
    std::string project_platform(const std::string& slug, const std::string& org = kOrg) const;
    // The public DSN of the project's first key; "" when it has none.
    std::string dsn(const std::string& slug, const std::string& org = kOrg) const;

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

    struct Key {
        std::string public_key, secret_key;
        bool active = true;
    };
    struct Project {
        std::string id, name, team, platform = "other";
        std::vector<Key> keys;
        std::vector<nlohmann::json> rules;  // issue alert rules, as posted, with an id
    };
    struct Org {
        std::set<std::string> teams;  // slugs
        std::map<std::string, Project> projects;
    };

    FakeResponse handle(const RecordedRequest& request);
    // False when the path is not one of the project endpoints; otherwise the
    // answer is in `response`.
    bool project_route(const RecordedRequest& request, const std::vector<std::string>& parts,
                       FakeResponse& response);
    FakeResponse create_project(const std::string& org, const std::string& team,
                                const RecordedRequest& request, const nlohmann::json& body);
    Project& new_project(Org& org, const std::string& slug, const std::string& team,
                         const std::string& name);
    Key new_key();
    std::string dsn_of(const Project& project, const Key& key, bool with_secret) const;
    nlohmann::json project_json(const std::string& org, const std::string& slug,
                                const Project& project) const;
    nlohmann::json key_json(const Project& project, const Key& key) const;
    FakeResponse answer(const RecordedRequest& request, FakeSentryUpdate& update);
    FakeResponse update_issue(const std::string& id, Issue& issue, const nlohmann::json& body);
    nlohmann::json issue_json(const std::string& id, const Issue& issue) const;

    mutable std::mutex mutex_;
    std::map<std::string, Issue> issues_;
    std::map<std::string, long> short_counters_;  // per project
    std::vector<FakeSentryUpdate> updates_;
    std::map<std::string, Org> orgs_;
    long long next_project_id_ = 4505321021243392;
    long next_key_ = 0;
    int failures_left_ = 0;
    int failure_status_ = 503;
    int retry_after_ = 30;
    // Last: destroyed first, so its thread stops before the state it reads goes.
    FakeHttpServer server_;
};

}  // namespace opsbot::test
