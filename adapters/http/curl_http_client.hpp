#pragma once
// HttpClient over libcurl: a small pool of easy handles that keep their
// connections alive, so a burst of calls reuses at most max_connections TCP
// (and TLS) connections instead of opening one per call. Thread-safe: a call
// waits for a free handle when all are busy.

#include <cstddef>
#include <memory>

#include "core/http.hpp"

namespace opsbot {

struct CurlOptions {
    std::size_t max_connections = 8;
    std::chrono::milliseconds connect_timeout{5'000};
    bool verify_tls = true;  // never off in production
};

class CurlHttpClient final : public HttpClient {
public:
    explicit CurlHttpClient(CurlOptions options = {});
    ~CurlHttpClient() override;

    Result<HttpResponse> send(const HttpRequest& request) override;

    // New TCP connections opened so far (CURLINFO_NUM_CONNECTS summed).
    std::size_t connections_opened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace opsbot
