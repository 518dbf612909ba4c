#pragma once
// A fake Cloudflare v4 API on 127.0.0.1, over real HTTP: the zone list with
// its name filter (GET /client/v4/zones?name=…) and cache purges (POST
// /client/v4/zones/<id>/purge_cache), DNS records per zone (GET and POST
// /client/v4/zones/<id>/dns_records, with 81053/81057 on duplicates; PATCH …/dns_records/<id>),
// bearer tokens, Cloudflare's envelope
// ({"success", "errors", "messages", "result"}) and its purge validation, and
// failure modes: 429 with Retry-After, a proxy's 5xx, an error of your choice.
//
//   FakeCloudflare cloudflare;
//   cloudflare.add_zone("023e105f4ecef8ad9ca31a8372d0c353", "example.com");
//   ... CloudflareConfig{cloudflare.api_url(), FakeCloudflare::kToken}

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/cloudflare/cloudflare.hpp"
#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

// One POST to …/purge_cache as the fake received it, whatever it answered.
struct FakeCloudflarePurge {
    RecordedRequest request;  // method, target, headers, raw body
    std::string zone_id;      // from the path, percent-decoded
    nlohmann::json body;      // parsed; discarded (is_discarded()) when not JSON
    int answered = 0;         // the status the fake sent back
};

// A DNS record the fake holds.
struct FakeCloudflareRecord {
    std::string id;  // 32 hex digits, generated
    std::string zone_id;
    std::string type;
    std::string name;
    std::string content;
    bool proxied = false;
    int ttl = 1;
};

class FakeCloudflare {
public:
    static constexpr const char* kToken = "cf-fake-token-0001";
    // URLs per purge call on Free, Pro and Business zones.
    static constexpr std::size_t kMaxFiles = 30;

    FakeCloudflare();
    FakeCloudflare(const FakeCloudflare&) = delete;
    FakeCloudflare& operator=(const FakeCloudflare&) = delete;

    std::string base_url() const;  // "http://127.0.0.1:<port>"
    std::string api_url() const;   // base_url() + "/client/v4/", like CLOUDFLARE_API_URL
    // How a CloudflareClient reaches this fake: its URL and token.
    cloudflare::CloudflareConfig client_config() const;
    FakeHttpServer& server() { return server_; }
    const FakeHttpServer& server() const { return server_; }
    // Every request received, in order (FakeHttpServer records them).
    std::vector<RecordedRequest> requests() const { return server_.requests(); }

    void add_zone(const std::string& id, const std::string& name,
                  const std::string& status = "active");
    // A record already in the zone (as if made in the dashboard); returns its id.
    std::string add_record(const std::string& zone_id, const std::string& type,
                           const std::string& name, const std::string& content,
                           bool proxied = false);
    // The zone's records, oldest first.
    std::vector<FakeCloudflareRecord> records(const std::string& zone_id) const;
    // Every purge_cache POST, in order, with its parsed body.
    std::vector<FakeCloudflarePurge> purges() const;

    // Failure modes, checked before anything else, in this order.
    // The next `count` requests answer 429 with Retry-After and Cloudflare's
    // rate-limit error (971) in the envelope.
    void rate_limit_next(int count, int retry_after_seconds = 1);
    // The next `count` requests answer `status`: a gateway's HTML page for
    // 5xx, Cloudflare's envelope with a generic error otherwise.
    void fail_next(int count, int status = 503);
    // A request with a good token answers {"success":false,"errors":[{code,
    // message}]} with `status` (Cloudflare uses 400 and, for some errors,
    // 200): the next one, or the one after `after` such requests went through.
    // Calls queue up.
    void fail_next_with_error(int code, std::string message, int status = 400, int after = 0);

private:
    struct Zone {
        std::string name;
        std::string status;
    };
    struct ErrorNext {
        int code = 0;
        std::string message;
        int status = 400;
        int after = 0;  // good requests to let through first
    };

    FakeResponse handle(const RecordedRequest& request);
    FakeResponse answer(const RecordedRequest& request);
    FakeResponse list_zones(const RecordedRequest& request) const;
    FakeResponse purge(const RecordedRequest& request, FakeCloudflarePurge& record);
    nlohmann::json zone_json(const std::string& id, const Zone& zone) const;
    FakeResponse dns(const RecordedRequest& request, const std::string& zone_id);
    FakeResponse list_records(const RecordedRequest& request, const std::string& zone_id) const;
    FakeResponse create_record(const RecordedRequest& request, const std::string& zone_id);
    FakeResponse update_record(const RecordedRequest& request, const std::string& zone_id,
                               const std::string& id);
    std::string next_record_id();

    mutable std::mutex mutex_;
    std::map<std::string, Zone> zones_;  // by id
    std::vector<FakeCloudflarePurge> purges_;
    std::vector<FakeCloudflareRecord> records_;  // every zone's, oldest first
    unsigned long long record_counter_ = 0;
    int rate_limits_left_ = 0;
    int retry_after_ = 1;
    int failures_left_ = 0;
    int failure_status_ = 503;
    std::vector<ErrorNext> errors_next_;
    // Last: destroyed first, so its thread stops before the state it reads goes.
    FakeHttpServer server_;
};

}  // namespace opsbot::test
