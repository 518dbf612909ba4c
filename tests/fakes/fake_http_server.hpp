#pragma once
// A real HTTP/1.1 and WebSocket server on 127.0.0.1 with an ephemeral port,
// for tests and benchmarks: routes answer with canned or computed responses,
// every request is recorded, and WebSocket upgrades are handed to a handler.
// No Beast in this header, so tests that use it compile fast.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/tls_identity.hpp"

namespace opsbot::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
    std::string method;
    std::string target;  // path and query
    Headers headers;
    std::string body;
    std::chrono::steady_clock::time_point received;

    std::string header(const std::string& name) const;  // case-insensitive
    std::string path() const;                           // target without the query
};

struct FakeResponse {
    int status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
    Headers headers;
};

using RouteHandler = std::function<FakeResponse(const RecordedRequest&)>;

// One accepted WebSocket connection, driven from the test thread.
// Messages with the time each was sent or received, for latency figures.
using TimedMessages = std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>>;

class WebSocketPeer {
public:
    virtual ~WebSocketPeer() = default;
    virtual void send(std::string text) = 0;
    // Close frame with a normal close code, as a well-behaved peer.
    virtual void close() = 0;
    // TCP reset with no close frame, as when a network link drops.
    virtual void reset() = 0;
    // Stops reading after the next message arrives: pings go unanswered,
    // as on a half-dead connection.
    virtual void freeze() = 0;
    // Goes silent at once and for good, without closing: reads nothing more
    // (what the client sends stays in the kernel's buffers until they fill),
    // so pings go unanswered, and sends nothing.
    virtual void go_silent() = 0;
    // Pings read from the client, each answered with a pong.
    virtual std::size_t pings_answered() const = 0;
    virtual std::vector<std::string> received() const = 0;
    // Each message with the time it arrived, for latency figures.
    virtual TimedMessages received_timed() const = 0;
    virtual std::size_t received_count() const = 0;
    // Each message sent with the time its write to the socket began: when a
    // peer's clock starts, however long it sat in the outbox before.
    virtual TimedMessages sent_timed() const = 0;
    virtual bool open() const = 0;
    virtual std::string target() const = 0;
    // Listeners called on the server's thread: with each message as it
    // arrives (received() lists it already), and once when the connection
    // ends (closed, reset, or the client gone). Set them in the
    // WebSocketHandler, before the first read.
    virtual void on_message(std::function<void(const std::string&)> listener) = 0;
    virtual void on_close(std::function<void()> listener) = 0;
};

using WebSocketHandler = std::function<void(std::shared_ptr<WebSocketPeer>)>;

class FakeHttpServer {
public:
    // One thread suits tests (handlers run in order); the benchmarks give the
    // WebSocket link and the HTTP connections more, so that the fake is not
    // what they measure. Each connection runs on its own strand. With an
    // identity, it speaks only TLS (https://, wss://).
    explicit FakeHttpServer(int threads = 1, const TlsIdentity* tls = nullptr);
    ~FakeHttpServer();
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    // Stops serving: no handler runs after it returns (the destructor does it too).
    void stop();

    std::uint16_t port() const;
    std::string base_url() const;  // "http://127.0.0.1:<port>" (https with TLS)

    // The longest matching path prefix wins; method "*" matches any.
    void route(std::string method, std::string path_prefix, RouteHandler handler);
    // Upgrades on this path prefix are accepted and given to handler.
    void websocket(std::string path_prefix, WebSocketHandler handler);

    std::vector<RecordedRequest> requests() const;
    std::vector<RecordedRequest> requests_to(const std::string& path) const;
    std::size_t request_count() const;  // without copying them, for polling
    std::size_t connections_accepted() const;

    // Polls until predicate holds or timeout passes; returns the predicate.
    static bool wait_until(const std::function<bool()>& predicate,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace opsbot::test
