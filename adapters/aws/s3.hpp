#pragma once
// S3 over its REST API with AWS Signature Version 4, written on OpenSSL's
// HMAC/SHA-256 (core/digest.hpp): ListObjectsV2 with continuation, and
// presigned GET URLs. Knows nothing of Slack or of opsbot's commands.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot::aws {

struct Credentials {
    std::string access_key_id;      // AWS_ACCESS_KEY_ID
    std::string secret_access_key;  // AWS_SECRET_ACCESS_KEY
    std::string session_token;      // AWS_SESSION_TOKEN, optional
};

// SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XY (upper
// case); '/' kept when encode_slash is false (object keys in paths).
std::string uri_encode(std::string_view text, bool encode_slash);

// Signs in place with the Authorization header: adds x-amz-date,
// x-amz-content-sha256 (the body's SHA-256) and, with a session token,
// x-amz-security-token. Signs host and every x-amz-* header present.
void sign_request(HttpRequest& request, const Credentials& credentials, const std::string& region,
                  const std::string& service, TimePoint now);

// A presigned URL (query-string auth, UNSIGNED-PAYLOAD, host signed) for
// method on url, valid for expires (at most 7 days).
std::string presign_url(const std::string& method, const std::string& url,
                        const Credentials& credentials, const std::string& region,
                        const std::string& service, TimePoint now, std::chrono::seconds expires);

// The pieces, exposed for the tests against AWS's worked examples.
std::string canonical_request(const HttpRequest& request, const std::vector<std::string>& signed_headers,
                              const std::string& payload_hash);
std::string string_to_sign(const std::string& canonical_request, TimePoint now,
                           const std::string& region, const std::string& service);
std::string signature(const std::string& secret_access_key, TimePoint now,
                      const std::string& region, const std::string& service,
                      const std::string& string_to_sign);

struct S3Config {
    std::string bucket;             // BACKUP_BUCKET
    std::string region = "us-east-1";  // AWS_REGION
    // S3_ENDPOINT for S3-compatible stores ("http://127.0.0.1:9000"): path-style
    // addressing (endpoint/bucket/key). Empty: https://<bucket>.s3.<region>.amazonaws.com.
    std::string endpoint;
    Credentials credentials;
    std::chrono::milliseconds timeout{10'000};
};

struct S3Object {
    std::string key;
    std::int64_t size = 0;
    TimePoint last_modified;
};

// GET ?list-type=2&prefix=…[&continuation-token=…], signed; for --dry-run too.
// max_keys 0 leaves max-keys out (S3's 1,000 per page).
HttpRequest list_objects_request(const S3Config& config, const std::string& prefix,
                                 const std::string& continuation_token, TimePoint now,
                                 int max_keys = 0);
// The URL of an object (path-style with an endpoint, else virtual-hosted).
std::string object_url(const S3Config& config, const std::string& key);

class S3Client {
public:
    S3Client(HttpClient& http, S3Config config, const Clock& clock);

    // Every object under prefix, following continuation tokens. Errors carry a
    // user-facing message and hint: s3_auth (403: names the AWS_* variables,
    // never their values; SignatureDoesNotMatch says the secret is wrong),
    // s3_no_bucket (404 NoSuchBucket names BACKUP_BUCKET), s3_unavailable (5xx
    // or no answer), s3_config (bucket or credentials unset), bad_response.
    Result<std::vector<S3Object>> list(const std::string& prefix);
    // A presigned GET URL for the key, valid for expires (capped at 7 days).
    std::string presign_get(const std::string& key, std::chrono::seconds expires) const;
    // One ListObjectsV2 call with max-keys=1 under prefix, for opsbot doctor:
    // the same errors as list.
    Status check_access(const std::string& prefix);

    const S3Config& config() const { return config_; }

private:
    HttpClient& http_;
    S3Config config_;
    const Clock& clock_;
};

}  // namespace opsbot::aws
