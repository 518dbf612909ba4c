#pragma once
// The HTTP intake (Boost.Beast server): /healthz, /metrics and the webhook
// routes the Sentry and Jenkins integrations register. Beast stays in the
// .cpp: routes see plain structs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/http.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace opsbot::net {

struct IncomingRequest {
    std::string method;
    std::string target;                        // path and query as received
    std::string path;                          // without the query
    std::map<std::string, std::string> query;  // decoded
    HttpHeaders headers;
    std::string body;  // raw bytes, as received: signatures are checked over these
    std::string remote_address;

    std::string header(std::string_view name) const;  // case-insensitive, "" when absent
};

struct OutgoingResponse {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    HttpHeaders headers;
};

// Runs on a server thread: keep it short (parse, verify, record, answer).
using RequestHandler = std::function<OutgoingResponse(const IncomingRequest&)>;

struct HttpServerOptions {
    std::string listen = "127.0.0.1:8080";  // OPSBOT_LISTEN; port 0 picks a free one
    std::size_t max_body_bytes = 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds read_timeout{10'000};  // headers and body of one request
    std::chrono::milliseconds idle_timeout{60'000};  // keep-alive between requests
    std::size_t max_connections = 256;
    int threads = 1;
};

class HttpServer {
public:
    HttpServer(HttpServerOptions options, Metrics& metrics);
    ~HttpServer();  // stop()
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Exact path match; register before start().
    void route(std::string method, std::string path, RequestHandler handler);
    // POST /hooks/<name>: the registration point for webhook integrations.
    void hook(const std::string& name, RequestHandler handler);

    // Binds and starts serving; an Error says why (bad address, port in use).
    Status start();
    std::uint16_t port() const;  // the bound port, after start()
    // Closes the listener: no new connection is taken, while requests under
    // way (and their webhook commits) finish. stop() ends the rest.
    void stop_accepting();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8080" → host and port; Error for anything else.
Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text);

}  // namespace opsbot::net
