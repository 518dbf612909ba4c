#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "adapters/aws/s3.hpp"
#include "adapters/http/curl_http_client.hpp"
#include "tests/fakes/fake_s3.hpp"
#include "tests/support/manual_clock.hpp"

using opsbot::CurlHttpClient;
using opsbot::HttpRequest;
using opsbot::HttpResponse;
using opsbot::TimePoint;
using opsbot::aws::object_url;
using opsbot::aws::S3Client;
using opsbot::aws::S3Config;
using opsbot::aws::S3Object;
using opsbot::test::FakeHttpServer;
using opsbot::test::FakeResponse;
using opsbot::test::FakeS3;
using opsbot::test::ManualClock;
using opsbot::test::RecordedRequest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPrefix = "backups/acme/";

S3Config config_for(const std::string& endpoint) {
    S3Config config;
    config.bucket = FakeS3::kBucket;
    config.region = FakeS3::kRegion;
    config.endpoint = endpoint;
    config.credentials = {FakeS3::kAccessKey, FakeS3::kSecret, ""};
    config.timeout = 5s;
    return config;
}

TimePoint at(const char* iso) {
    return *opsbot::parse_iso8601(iso);
}

// A client over real HTTP to a fake S3 on 127.0.0.1, its clock on time.
struct S3 {
    FakeS3 fake;
    CurlHttpClient http;
    ManualClock clock;
    S3Config config = config_for(fake.base_url());

    S3() { clock.time = std::chrono::system_clock::now(); }

    S3Client client() { return S3Client(http, config, clock); }

    opsbot::Result<HttpResponse> fetch(const std::string& url) {
        HttpRequest request;
        request.url = url;
        request.timeout = 5s;
        return http.send(request);
    }
};

std::string error_text(const opsbot::Error& error) {
    return error.code + " | " + error.message + " | " + error.hint;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// One character of the signature changed, as a hand-edited link would be.
std::string with_altered_signature(std::string url) {
    char& last = url.back();
    last = last == '0' ? '1' : '0';
    return url;
}

std::string signature_sent(const RecordedRequest& request) {
    const std::string authorization = request.header("Authorization");
    const auto at = authorization.find("Signature=");
    return at == std::string::npos ? "" : authorization.substr(at + 10);
}

}  // namespace

TEST_CASE("s3: list follows continuation tokens page by page", "[s3]") {
    S3 s3;
    for (int day = 18; day <= 24; ++day)
        s3.fake.put_object(std::string(kPrefix) + "2026-11-" + std::to_string(day) + ".tar.lrz",
                           std::string(static_cast<std::size_t>(day) * 100, 'x'),
                           at(("2026-11-" + std::to_string(day) + "T03:12:45Z").c_str()));
    s3.fake.set_page_size(3);

    const auto listed = s3.client().list(kPrefix);
    REQUIRE(listed.ok());
    const auto& objects = listed.value();
    REQUIRE(objects.size() == 7);
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const int day = 18 + static_cast<int>(i);
        CHECK(objects[i].key ==
              std::string(kPrefix) + "2026-11-" + std::to_string(day) + ".tar.lrz");
        CHECK(objects[i].size == day * 100);
        CHECK(objects[i].last_modified ==
              at(("2026-11-" + std::to_string(day) + "T03:12:45Z").c_str()));
    }

    const auto requests = s3.fake.requests();
    REQUIRE(requests.size() == 3);
    for (const auto& request : requests) {
        CHECK(request.method == "GET");
        CHECK(request.path() == "/opsbot-backups");
        CHECK(contains(request.target, "list-type=2&prefix=backups%2Facme%2F"));
        CHECK_FALSE(contains(request.target, "max-keys"));
        CHECK(request.header("x-amz-content-sha256") ==
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(contains(request.header("Authorization"), "Credential=AKIAFAKEFAKEFAKE0001/"));
    }
    CHECK_FALSE(contains(requests[0].target, "continuation-token"));
    CHECK(contains(requests[1].target, "&continuation-token=1"));
    CHECK(contains(requests[2].target, "&continuation-token=1"));
    CHECK(requests[1].target != requests[2].target);
}

TEST_CASE("s3: list returns only the keys under the prefix", "[s3]") {
    S3 s3;
    const auto when = at("2026-11-24T03:12:45Z");
    s3.fake.put_object("backups/acme/2026-11-24.tar.lrz", "a", when);
    s3.fake.put_object("backups/acme-stage/2026-11-24.tar.lrz", "bb", when);
    s3.fake.put_object("backups/beta/2026-11-24.tar.lrz", "ccc", when);
    s3.fake.put_object("notes.txt", "dddd", when);

    const auto acme = s3.client().list("backups/acme/");
    REQUIRE(acme.ok());
    REQUIRE(acme.value().size() == 1);
    CHECK(acme.value()[0].key == "backups/acme/2026-11-24.tar.lrz");

    const auto backups = s3.client().list("backups/");
    REQUIRE(backups.ok());
    CHECK(backups.value().size() == 3);

    const auto everything = s3.client().list("");
    REQUIRE(everything.ok());
    CHECK(everything.value().size() == 4);
    CHECK_FALSE(contains(s3.fake.requests().back().target, "prefix"));

    const auto nothing = s3.client().list("backups/gamma/");
    REQUIRE(nothing.ok());
    CHECK(nothing.value().empty());
}

TEST_CASE("s3: keys with spaces, '+', unicode and XML characters list and download", "[s3]") {
    S3 s3;
    const std::vector<std::string> keys{
        "backups/acme/caf\xC3\xA9 2026-11-24 (n\xC2\xB0"
        "1).tar.lrz",
        "backups/acme/a+b=c&d<e>\"f'g.tar.lrz",
        "backups/acme/\xE6\x97\xA5\xE6\x9C\xAC/~tilde%25.tar.lrz",
    };
    for (const auto& key : keys)
        s3.fake.put_object(key, "bytes of " + key, at("2026-11-24T03:12:45Z"));
    s3.fake.set_page_size(1);  // the continuation tokens travel too

    const auto listed = s3.client().list("backups/acme/");
    REQUIRE(listed.ok());
    std::vector<std::string> got;
    for (const auto& object : listed.value()) got.push_back(object.key);
    auto sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    CHECK(got == sorted);

    for (const auto& key : keys) {
        INFO(key);
        const auto response = s3.fetch(s3.client().presign_get(key, 1h));
        REQUIRE(response.ok());
        CHECK(response.value().status == 200);
        CHECK(response.value().body == "bytes of " + key);
    }
}

TEST_CASE("s3: a presigned URL downloads the object's bytes", "[s3]") {
    S3 s3;
    const std::string key = "backups/acme/2026-11-24.tar.lrz";
    const std::string bytes("LRZI\0\x01\xff binary\r\n", 17);
    s3.fake.put_object(key, bytes, at("2026-11-24T03:12:45Z"));

    const std::string url = s3.client().presign_get(key, 1h);
    CHECK(url.starts_with(s3.fake.base_url() + "/opsbot-backups/" + key +
                          "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAFAKEFAKEFAKE0001%"
                          "2F"));
    CHECK(contains(url, "%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Date="));
    CHECK(contains(url, "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="));

    const auto response = s3.fetch(url);
    REQUIRE(response.ok());
    CHECK(response.value().status == 200);
    CHECK(response.value().body == bytes);
    CHECK(s3.fake.requests().back().header("Authorization").empty());
}

TEST_CASE("s3: presign_get caps the expiry at 7 days", "[s3]") {
    S3 s3;
    s3.fake.put_object("k", "v", at("2026-11-24T03:12:45Z"));
    const std::string url = s3.client().presign_get("k", 30 * 24h);
    CHECK(contains(url, "&X-Amz-Expires=604800&"));
    const auto response = s3.fetch(url);
    REQUIRE(response.ok());
    CHECK(response.value().status == 200);
}

TEST_CASE("s3: an expired presigned URL is refused", "[s3]") {
    S3 s3;
    const std::string key = "backups/acme/2026-11-24.tar.lrz";
    s3.fake.put_object(key, "old", at("2026-11-24T03:12:45Z"));

    SECTION("signed an hour ago for a minute") {
        s3.clock.time -= 1h;
        const auto response = s3.fetch(s3.client().presign_get(key, 60s));
        REQUIRE(response.ok());
        CHECK(response.value().status == 403);
        CHECK(contains(response.value().body, "<Code>AccessDenied</Code>"));
        CHECK(contains(response.value().body, "<Message>Request has expired</Message>"));
    }
    SECTION("valid for a second, used later") {
        const std::string url = s3.client().presign_get(key, 1s);
        s3.fake.set_clock_offset(5s);
        const auto response = s3.fetch(url);
        REQUIRE(response.ok());
        CHECK(response.value().status == 403);
        CHECK(contains(response.value().body, "<Message>Request has expired</Message>"));
    }
}

TEST_CASE("s3: an altered presigned URL is refused", "[s3]") {
    S3 s3;
    s3.fake.put_object("backups/acme/2026-11-24.tar.lrz", "newest", at("2026-11-24T03:12:45Z"));
    s3.fake.put_object("backups/acme/2026-11-23.tar.lrz", "older", at("2026-11-23T03:12:45Z"));
    const std::string url = s3.client().presign_get("backups/acme/2026-11-24.tar.lrz", 1h);

    std::string other_key = url;
    other_key.replace(other_key.find("2026-11-24.tar.lrz"), 18, "2026-11-23.tar.lrz");
    std::string longer = url;
    longer.replace(longer.find("X-Amz-Expires=3600"), 18, "X-Amz-Expires=7200");

    for (const auto& altered : {with_altered_signature(url), other_key, longer}) {
        INFO(altered);
        const auto response = s3.fetch(altered);
        REQUIRE(response.ok());
        CHECK(response.value().status == 403);
        CHECK(contains(response.value().body, "<Code>SignatureDoesNotMatch</Code>"));
    }
    // The untouched URL still works: only the edits were refused.
    const auto response = s3.fetch(url);
    REQUIRE(response.ok());
    CHECK(response.value().body == "newest");
}

TEST_CASE("s3: a wrong secret is s3_auth, and the message holds no secret", "[s3]") {
    S3 s3;
    const std::string wrong = "wrongSecretKeyForTests/0001+zyxwvutsrqp";
    s3.config.credentials.secret_access_key = wrong;

    const auto listed = s3.client().list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    const std::string text = error_text(listed.error());
    CHECK(listed.error().code == "s3_auth");
    CHECK(listed.error().message ==
          "S3 refused opsbot's signature (403 SignatureDoesNotMatch): AWS_SECRET_ACCESS_KEY is "
          "wrong for AWS_ACCESS_KEY_ID (S3: \"The request signature we calculated does not match "
          "the signature you provided. Check your key and signing method.\")");
    CHECK(contains(listed.error().hint, "AWS_SECRET_ACCESS_KEY"));

    const auto requests = s3.fake.requests();
    REQUIRE(requests.size() == 1);  // a 403 is not retried
    const std::string sent = signature_sent(requests[0]);
    REQUIRE(sent.size() == 64);
    CHECK_FALSE(contains(text, wrong));
    CHECK_FALSE(contains(text, FakeS3::kSecret));
    CHECK_FALSE(contains(text, sent));
    CHECK_FALSE(contains(text, FakeS3::kAccessKey));
    CHECK_FALSE(contains(text, "AWS4-HMAC-SHA256"));
}

TEST_CASE("s3: an unknown access key is s3_auth naming AWS_ACCESS_KEY_ID, not its value", "[s3]") {
    S3 s3;
    s3.config.credentials.access_key_id = "AKIAUNKNOWNUNKNOWN99";
    const auto listed = s3.client().list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == "s3_auth");
    CHECK(listed.error().message ==
          "S3 does not know AWS_ACCESS_KEY_ID (403 InvalidAccessKeyId) (S3: \"The AWS Access Key "
          "Id you provided does not exist in our records.\")");
    CHECK_FALSE(contains(error_text(listed.error()), "AKIAUNKNOWNUNKNOWN99"));
}

TEST_CASE("s3: a clock far off is s3_auth about the clock", "[s3]") {
    S3 s3;
    s3.clock.time -= 1h;
    const auto listed = s3.client().list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == "s3_auth");
    CHECK(contains(listed.error().message, "clock is too far off (403 RequestTimeTooSkewed)"));
    CHECK(contains(listed.error().hint, "NTP"));
}

TEST_CASE("s3: a missing bucket is s3_no_bucket naming BACKUP_BUCKET", "[s3]") {
    S3 s3;
    s3.config.bucket = "opsbot-backups-typo";
    const auto listed = s3.client().list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == "s3_no_bucket");
    CHECK(listed.error().message ==
          "S3 has no bucket 'opsbot-backups-typo' (BACKUP_BUCKET) (404 NoSuchBucket) (S3: \"The "
          "specified bucket does not exist\")");
    CHECK(listed.error().hint == "check BACKUP_BUCKET and S3_ENDPOINT");
}

TEST_CASE("s3: a region other than the bucket's is bad_response pointing at AWS_REGION", "[s3]") {
    S3 s3;
    s3.config.region = "us-east-1";
    const auto listed = s3.client().list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == "bad_response");
    CHECK(contains(listed.error().message, "is not in region us-east-1"));
    CHECK(contains(listed.error().hint, "AWS_REGION"));
}

TEST_CASE("s3: 5xx is retried once, then s3_unavailable", "[s3]") {
    S3 s3;
    s3.fake.put_object("backups/acme/2026-11-24.tar.lrz", "x", at("2026-11-24T03:12:45Z"));

    SECTION("one 503 is waited out") {
        s3.fake.fail_next(1, 503);
        const auto listed = s3.client().list(kPrefix);
        REQUIRE(listed.ok());
        CHECK(listed.value().size() == 1);
        CHECK(s3.fake.requests().size() == 2);
    }
    SECTION("two 503s are s3_unavailable") {
        s3.fake.fail_next(2, 503);
        const auto listed = s3.client().list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "s3_unavailable");
        CHECK(listed.error().message ==
              "S3 is unavailable: it answered 503 Service Unavailable SlowDown to listing "
              "s3://opsbot-backups/backups/acme/ (2 attempts) (S3: \"Please reduce your request "
              "rate.\")");
        CHECK(contains(listed.error().hint, s3.fake.base_url() + " (S3_ENDPOINT)"));
        CHECK(s3.fake.requests().size() == 2);
    }
    SECTION("500s are s3_unavailable as well") {
        s3.fake.fail_next(2, 500);
        const auto listed = s3.client().list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "s3_unavailable");
        CHECK(contains(listed.error().message, "500 Internal Server Error InternalError"));
    }
}

TEST_CASE("s3: no answer at all is s3_unavailable", "[s3]") {
    CurlHttpClient http;
    ManualClock clock;
    // Port 1 on 127.0.0.1: nothing listens there without root, so connect is refused.
    S3Client client(http, config_for("http://127.0.0.1:1"), clock);
    const auto listed = client.list(kPrefix);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.error().code == "s3_unavailable");
    CHECK(listed.error().message.starts_with(
        "S3 did not answer listing s3://opsbot-backups/backups/acme/ (2 attempts): "));
}

TEST_CASE("s3: unset bucket or credentials are s3_config, and nothing is sent", "[s3]") {
    S3 s3;
    SECTION("bucket") {
        s3.config.bucket.clear();
        const auto listed = s3.client().list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "s3_config");
        CHECK(listed.error().message == "S3 is not configured: BACKUP_BUCKET is not set");
    }
    SECTION("credentials") {
        s3.config.credentials = {};
        const auto listed = s3.client().list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "s3_config");
        CHECK(listed.error().message ==
              "S3 is not configured: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    CHECK(s3.fake.requests().empty());
}

TEST_CASE("s3: an answer that is not a listing is bad_response", "[s3]") {
    FakeHttpServer server;
    std::string body;
    server.route("GET", "/", [&body](const RecordedRequest&) {
        return FakeResponse{200, body, "text/html", {}};
    });
    CurlHttpClient http;
    ManualClock clock;
    S3Client client(http, config_for(server.base_url()), clock);

    SECTION("a captive portal's HTML") {
        body = "<html><body>Please log in</body></html>";
        const auto listed = client.list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "bad_response");
        CHECK(contains(listed.error().message, "without a ListBucketResult"));
    }
    SECTION("a size that is not a number") {
        body =
            "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key>"
            "<LastModified>2026-11-24T03:12:45.000Z</LastModified><Size>big</Size></Contents>"
            "</ListBucketResult>";
        const auto listed = client.list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "bad_response");
    }
    SECTION("truncated without a continuation token") {
        body = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        const auto listed = client.list(kPrefix);
        REQUIRE_FALSE(listed.ok());
        CHECK(listed.error().code == "bad_response");
        CHECK(contains(listed.error().message, "no new continuation token"));
    }
    SECTION("entities, numeric references and a self-closing prefix") {
        body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix/>"
            "<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            "<Contents>\n  <Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x20AC;"
            "&#x0D;&bogus;</Key>\n  <LastModified>2026-11-24T03:12:45.000Z</LastModified>\n"
            "  <ETag>&quot;abc&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass>"
            "</Contents></ListBucketResult>";
        const auto listed = client.list(kPrefix);
        REQUIRE(listed.ok());
        REQUIRE(listed.value().size() == 1);
        CHECK(listed.value()[0].key == "a&b <c> \"d\" 'e' \xC3\xA9\xE2\x82\xAC\r&bogus;");
        CHECK(listed.value()[0].size == 42);
    }
}

TEST_CASE("s3: object URLs are path-style with an endpoint, else virtual-hosted", "[s3]") {
    S3Config config;
    config.bucket = "opsbot-backups";
    config.region = "eu-central-1";
    CHECK(object_url(config, "backups/acme/2026-11-24.tar.lrz") ==
          "https://opsbot-backups.s3.eu-central-1.amazonaws.com/backups/acme/2026-11-24.tar.lrz");
    CHECK(
        object_url(config, "backups/a b/caf\xC3\xA9+1.tar.lrz") ==
        "https://opsbot-backups.s3.eu-central-1.amazonaws.com/backups/a%20b/caf%C3%A9%2B1.tar.lrz");
    config.endpoint = "http://127.0.0.1:9000/";
    CHECK(object_url(config, "backups/acme/2026-11-24.tar.lrz") ==
          "http://127.0.0.1:9000/opsbot-backups/backups/acme/2026-11-24.tar.lrz");
}

TEST_CASE("s3: the listing request is signed in the Authorization header", "[s3]") {
    S3Config config = config_for("");
    const auto request = opsbot::aws::list_objects_request(config, "backups/acme/",
                                                           "1a/b+c=", at("2026-11-24T03:12:45Z"));
    CHECK(request.url ==
          "https://opsbot-backups.s3.eu-central-1.amazonaws.com/"
          "?list-type=2&prefix=backups%2Facme%2F&continuation-token=1a%2Fb%2Bc%3D");
    std::string authorization;
    for (const auto& [name, value] : request.headers)
        if (name == "Authorization") authorization = value;
    REQUIRE(authorization.starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0001/20261124/eu-central-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
    CHECK(authorization.size() == authorization.find("Signature=") + 10 + 64);
    CHECK_FALSE(contains(opsbot::describe_request(request), FakeS3::kSecret));
}
