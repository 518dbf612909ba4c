#pragma once
// A fake S3 on 127.0.0.1, over real HTTP and path-style addressing (as with
// S3_ENDPOINT): one bucket, ListObjectsV2 with continuation tokens shaped
// like S3's (with '/', '+' and '='), object downloads, and S3's XML errors.
// Every request must carry a valid Signature Version 4, in the Authorization
// header or in a presigned URL's query: the fake rebuilds the canonical
// request from the raw target and headers it received and signs it again
// with kSecret, so a signer that only agrees with itself fails here.
//
//   FakeS3 s3;
//   s3.put_object("backups/acme/2026-11-24.tar.lrz", bytes, when);
//   s3.set_page_size(3);
//   ... S3Config{FakeS3::kBucket, FakeS3::kRegion, s3.base_url(), {kAccessKey, kSecret}}

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

class FakeS3 {
public:
    static constexpr const char* kAccessKey = "AKIAFAKEFAKEFAKE0001";
    static constexpr const char* kSecret = "fakeSecretKeyForTests/0001+abcdefghijk";
    static constexpr const char* kBucket = "opsbot-backups";
    static constexpr const char* kRegion = "eu-central-1";

    FakeS3();
    FakeS3(const FakeS3&) = delete;
    FakeS3& operator=(const FakeS3&) = delete;

    // "http://127.0.0.1:<port>": what S3_ENDPOINT would hold.
    std::string base_url() const { return server_.base_url(); }
    FakeHttpServer& server() { return server_; }
    // Every request received, in order, refused ones included.
    std::vector<RecordedRequest> requests() const { return server_.requests(); }

    // Objects, listed in key order (UTF-8 bytes, as S3 does).
    void put_object(const std::string& key, std::string bytes,
                    std::chrono::system_clock::time_point last_modified);
    // Keys per ListObjectsV2 page at most (S3's own is 1000); max-keys lowers it.
    void set_page_size(std::size_t keys);
    // The next `count` requests answer `status` with S3's XML for it (503
    // SlowDown, 500 InternalError), before any other check.
    void fail_next(int count, int status = 503);
    // The fake's time is the system clock moved by offset: expiry and the
    // 15-minute clock skew S3 allows are judged against it.
    void set_clock_offset(std::chrono::seconds offset);

private:
    struct Object {
        std::string bytes;
        std::chrono::system_clock::time_point last_modified;
    };

    FakeResponse handle(const RecordedRequest& request);
    // An S3 error when the request's signature is missing, wrong or expired;
    // status 0 when it holds.
    FakeResponse authenticate(const RecordedRequest& request) const;
    FakeResponse header_auth(const RecordedRequest& request) const;
    FakeResponse query_auth(const RecordedRequest& request) const;
    FakeResponse list(const RecordedRequest& request);
    FakeResponse get(const std::string& key) const;
    std::chrono::system_clock::time_point now() const;

    mutable std::mutex mutex_;
    std::map<std::string, Object> objects_;
    std::map<std::string, std::string> tokens_;  // continuation token → last key listed
    std::size_t page_size_ = 1000;
    int failures_left_ = 0;
    int failure_status_ = 503;
    std::chrono::seconds clock_offset_{0};
    long request_counter_ = 0;
    // Last: destroyed first, so its thread stops before the state it reads goes.
    FakeHttpServer server_;
};

}  // namespace opsbot::test
