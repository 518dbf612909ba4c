// The HTTP intake on a real loopback socket: curl for well-formed requests,
// raw POSIX sockets for malformed, oversized, stalled and pipelined ones.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/http/curl_http_client.hpp"
#include "bot/net/http_server.hpp"
#include "core/metrics.hpp"
#include "core/text.hpp"

using namespace std::string_literals;
using opsbot::CurlHttpClient;
using opsbot::HttpRequest;
using opsbot::HttpResponse;
using opsbot::Metrics;
using opsbot::net::HttpServer;
using opsbot::net::HttpServerOptions;
using opsbot::net::IncomingRequest;
using opsbot::net::OutgoingResponse;
using opsbot::net::parse_listen_address;

namespace {

// Only a safety net so a broken server fails the test instead of hanging it;
// no test asserts on how long anything took.
constexpr std::chrono::milliseconds kGuard{10'000};

HttpServerOptions loopback_options() {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    return options;
}

OutgoingResponse ok_text(std::string body) {
    return {200, std::move(body), "text/plain", {}};
}

// Keeps the requests a handler saw; handlers run on the server thread.
class Recorder {
public:
    OutgoingResponse operator()(const IncomingRequest& request) {
        std::lock_guard lock(mutex_);
        seen_.push_back(request);
        return ok_text("recorded");
    }
    std::vector<IncomingRequest> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<IncomingRequest> seen_;
};

struct RawResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::string header(const std::string& name) const {
        for (const auto& [key, value] : headers)
            if (opsbot::to_lower(key) == opsbot::to_lower(name)) return value;
        return {};
    }
};

// A plain TCP connection to the server, for requests curl would not send.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket() failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("connect() failed: errno " + std::to_string(errno));
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool send_all(const std::string& data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }

    // One response (headers and Content-Length body); nullopt if the
    // connection closed or the guard ran out first.
    std::optional<RawResponse> read_response() {
        const auto deadline = std::chrono::steady_clock::now() + kGuard;
        std::size_t header_end = std::string::npos;
        while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill(deadline)) return std::nullopt;
        RawResponse response;
        const auto head = buffer_.substr(0, header_end);
        std::size_t line_end = head.find("\r\n");
        const auto status_line = head.substr(0, line_end);
        if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
        response.status = std::stoi(status_line.substr(9, 3));
        while (line_end != std::string::npos) {
            const auto start = line_end + 2;
            line_end = head.find("\r\n", start);
            const auto line = head.substr(
                start, line_end == std::string::npos ? std::string::npos : line_end - start);
            const auto colon = line.find(':');
            if (colon != std::string::npos)
                response.headers.emplace_back(opsbot::trim(line.substr(0, colon)),
                                              opsbot::trim(line.substr(colon + 1)));
        }
        const auto length_text = response.header("Content-Length");
        const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
        while (buffer_.size() < header_end + 4 + length)
            if (!fill(deadline)) return std::nullopt;
        response.body = buffer_.substr(header_end + 4, length);
        buffer_.erase(0, header_end + 4 + length);
        return response;
    }

    // True when the server closed (or reset) the connection; whatever it
    // sent before that is appended to received().
    bool wait_for_close() {
        const auto deadline = std::chrono::steady_clock::now() + kGuard;
        while (fill(deadline)) {
        }
        return closed_;
    }

    const std::string& received() const { return buffer_; }

private:
    // Reads what is available; false on close, reset or the deadline.
    bool fill(std::chrono::steady_clock::time_point deadline) {
        if (closed_) return false;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char chunk[4096];
        const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        closed_ = n == 0 || errno == ECONNRESET;
        return false;
    }

    int fd_;
    std::string buffer_;
    bool closed_ = false;
};

std::string url(const HttpServer& server, const std::string& target) {
    return "http://127.0.0.1:" + std::to_string(server.port()) + target;
}

HttpResponse send(CurlHttpClient& client, std::string method, std::string address,
                  std::string body = "", opsbot::HttpHeaders headers = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(address);
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.timeout = kGuard;
    auto response = client.send(request);
    if (!response) FAIL("no HTTP answer: " << response.error().message);
    return std::move(response).value();
}

double requests_counted(const Metrics& metrics, const std::string& route, int status) {
    return metrics.value(opsbot::metric::kWebhookRequests,
                         {{"route", route}, {"status", std::to_string(status)}});
}

}  // namespace

TEST_CASE("intake: a route answers with its status, body, content type and headers", "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    CHECK(server.port() == 0);  // not bound yet
    server.route("GET", "/status", [](const IncomingRequest&) {
        return OutgoingResponse{202,
                                "all good ✓",
                                "text/plain; charset=utf-8",
                                {{"X-Opsbot-Trace", "t-42"}, {"Cache-Control", "no-store"}}};
    });
    REQUIRE(server.start().ok());
    REQUIRE(server.port() != 0);

    CurlHttpClient client;
    const auto response = send(client, "GET", url(server, "/status"));
    CHECK(response.status == 202);
    CHECK(response.body == "all good ✓");
    CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(response.header("x-opsbot-trace") == "t-42");
    CHECK(response.header("Cache-Control") == "no-store");
    CHECK(response.header("Content-Length") == std::to_string(response.body.size()));
    CHECK(response.header("Server") == "opsbot");
}

TEST_CASE("intake: unknown path is 404, known path with another method is 405 with Allow",
          "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    std::atomic<int> handled{0};
    server.route("GET", "/healthz", [&](const IncomingRequest&) {
        ++handled;
        return ok_text("ok");
    });
    server.route("PUT", "/healthz", [&](const IncomingRequest&) {
        ++handled;
        return ok_text("put");
    });
    server.hook("sentry", [&](const IncomingRequest&) {
        ++handled;
        return ok_text("hook");
    });
    REQUIRE(server.start().ok());
    CurlHttpClient client;

    const auto missing = send(client, "GET", url(server, "/nope"));
    CHECK(missing.status == 404);
    CHECK(missing.header("Content-Type") == "application/json");
    CHECK(missing.body == R"({"error":"no route for GET /nope"})");
    // Routes match the exact path, not a prefix.
    CHECK(send(client, "GET", url(server, "/healthz/extra")).status == 404);
    CHECK(send(client, "POST", url(server, "/hooks/jenkins"), "{}").status == 404);

    const auto wrong = send(client, "POST", url(server, "/healthz"), "x");
    CHECK(wrong.status == 405);
    CHECK(wrong.header("Allow") == "GET, PUT");
    CHECK(wrong.body == R"({"error":"use GET or PUT for /healthz"})");

    const auto get_hook = send(client, "GET", url(server, "/hooks/sentry"));
    CHECK(get_hook.status == 405);
    CHECK(get_hook.header("Allow") == "POST");

    CHECK(handled == 0);
    const auto put = send(client, "PUT", url(server, "/healthz"), "x");
    CHECK(put.status == 200);
    CHECK(put.body == "put");
    CHECK(handled == 1);
}

TEST_CASE("intake: a hook gets the raw body bytes, decoded query and case-insensitive headers",
          "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    Recorder recorder;
    server.hook("sentry", std::ref(recorder));
    REQUIRE(server.start().ok());
    CurlHttpClient client;

    // CR LF, a bare LF, a tab, UTF-8, NUL and a byte that is not UTF-8, and not JSON.
    const std::string body = "{\"broken\": json,,\r\nline two\n\tünïcødé ✓ ☃\x00\x01\xfe end"s;
    REQUIRE(body.size() > 40);
    const auto response = send(client, "POST",
                               url(server,
                                   "/hooks/sentry?project=acme&msg=hello%20world&plus=a+b"
                                   "&utf=%C3%A9t%C3%A9&amp=%26%3D&empty=&flag"),
                               body,
                               {{"Content-Type", "application/json"},
                                {"Sentry-Hook-Signature", "sig-123"},
                                {"X-MiXeD-CaSe", "Value With Spaces"}});
    CHECK(response.status == 200);
    CHECK(response.body == "recorded");

    const auto seen = recorder.seen();
    REQUIRE(seen.size() == 1);
    const auto& in = seen[0];
    CHECK(in.method == "POST");
    CHECK(in.path == "/hooks/sentry");
    CHECK(in.target.rfind("/hooks/sentry?project=acme&msg=hello%20world", 0) == 0);
    CHECK(in.body == body);
    CHECK(in.body.size() == body.size());
    CHECK(in.query == std::map<std::string, std::string>{{"project", "acme"},
                                                         {"msg", "hello world"},
                                                         {"plus", "a b"},
                                                         {"utf", "été"},
                                                         {"amp", "&="},
                                                         {"empty", ""},
                                                         {"flag", ""}});
    CHECK(in.header("sentry-hook-signature") == "sig-123");
    CHECK(in.header("SENTRY-HOOK-SIGNATURE") == "sig-123");
    CHECK(in.header("x-mixed-case") == "Value With Spaces");
    CHECK(in.header("content-type") == "application/json");
    CHECK(in.header("Content-Length") == std::to_string(body.size()));
    CHECK(in.header("X-Not-Sent").empty());
    CHECK(in.remote_address == "127.0.0.1");
}

TEST_CASE("intake: a body over max_body_bytes is refused with 413", "[intake]") {
    Metrics metrics;
    auto options = loopback_options();
    options.max_body_bytes = 16;
    HttpServer server(options, metrics);
    Recorder recorder;
    server.hook("big", std::ref(recorder));
    REQUIRE(server.start().ok());

    SECTION("exactly the limit is accepted") {
        CurlHttpClient client;
        const auto response = send(client, "POST", url(server, "/hooks/big"), "0123456789abcdef");
        CHECK(response.status == 200);
        REQUIRE(recorder.seen().size() == 1);
        CHECK(recorder.seen()[0].body == "0123456789abcdef");
    }
    SECTION("one byte more, by Content-Length") {
        RawConnection raw(server.port());
        REQUIRE(
            raw.send_all("POST /hooks/big HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n"
                         "0123456789abcdefg"));
        const auto response = raw.read_response();
        REQUIRE(response);
        CHECK(response->status == 413);
        CHECK(response->body == R"({"error":"body larger than the limit"})");
        CHECK(raw.wait_for_close());
        CHECK(recorder.seen().empty());
        CHECK(requests_counted(metrics, "unmatched", 413) == 1);
    }
    SECTION("one byte more, chunked") {
        RawConnection raw(server.port());
        REQUIRE(
            raw.send_all("POST /hooks/big HTTP/1.1\r\nHost: t\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "8\r\n01234567\r\n9\r\n89abcdefg\r\n0\r\n\r\n"));
        const auto response = raw.read_response();
        REQUIRE(response);
        CHECK(response->status == 413);
        CHECK(raw.wait_for_close());
        CHECK(recorder.seen().empty());
    }
}

TEST_CASE("intake: headers over max_header_bytes are refused with 431", "[intake]") {
    Metrics metrics;
    auto options = loopback_options();
    options.max_header_bytes = 1024;
    HttpServer server(options, metrics);
    Recorder recorder;
    server.route("GET", "/ping", std::ref(recorder));
    REQUIRE(server.start().ok());

    SECTION("headers under the limit pass") {
        CurlHttpClient client;
        const auto response =
            send(client, "GET", url(server, "/ping"), "", {{"X-Padding", std::string(512, 'a')}});
        CHECK(response.status == 200);
        CHECK(recorder.seen().size() == 1);
    }
    SECTION("headers over the limit") {
        RawConnection raw(server.port());
        REQUIRE(raw.send_all(
            "GET /ping HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(2048, 'a') + "\r\n\r\n"));
        const auto response = raw.read_response();
        REQUIRE(response);
        CHECK(response->status == 431);
        CHECK(response->body == R"({"error":"request headers too large"})");
        CHECK(raw.wait_for_close());
        CHECK(recorder.seen().empty());
        CHECK(requests_counted(metrics, "unmatched", 431) == 1);
    }
}

TEST_CASE("intake: a malformed request is answered 400 and closed", "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    Recorder recorder;
    server.route("GET", "/ping", std::ref(recorder));
    REQUIRE(server.start().ok());

    const auto garbage = GENERATE(as<std::string>{}, "this is not http\r\n\r\n",
                                  "GET /ping HTTP/9.x\r\nHost: t\r\n\r\n",
                                  "GET /ping HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
                                  "GET /ping HTTP/1.1\r\nno colon in this header\r\n\r\n");
    INFO(garbage);
    RawConnection raw(server.port());
    REQUIRE(raw.send_all(garbage));
    const auto response = raw.read_response();
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK(response->body == R"({"error":"malformed HTTP request"})");
    CHECK(response->header("Connection") == "close");
    CHECK(raw.wait_for_close());
    CHECK(recorder.seen().empty());
    CHECK(requests_counted(metrics, "unmatched", 400) == 1);

    // The server is still serving.
    CurlHttpClient client;
    CHECK(send(client, "GET", url(server, "/ping")).status == 200);
}

TEST_CASE("intake: a client that stalls mid-request is cut off after read_timeout", "[intake]") {
    Metrics metrics;
    auto options = loopback_options();
    options.read_timeout = std::chrono::milliseconds(200);
    HttpServer server(options, metrics);
    Recorder recorder;
    server.hook("slow", std::ref(recorder));
    REQUIRE(server.start().ok());

    const auto partial = GENERATE(as<std::string>{},
                                  // in the middle of the headers
                                  "POST /hooks/slow HTTP/1.1\r\nHost: t\r\nContent-Le",
                                  // headers done, 10 of 100 body bytes sent
                                  "POST /hooks/slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n"
                                  "\r\n0123456789",
                                  // connected, nothing sent
                                  "");
    INFO(partial);
    RawConnection raw(server.port());
    REQUIRE(raw.send_all(partial));
    // The server closes the connection without an answer, and the handler never ran.
    CHECK(raw.wait_for_close());
    CHECK(raw.received().empty());
    CHECK(recorder.seen().empty());

    CurlHttpClient client;
    CHECK(send(client, "POST", url(server, "/hooks/slow"), "fast").status == 200);
}

TEST_CASE("intake: keep-alive serves several requests on one connection", "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    Recorder recorder;
    server.hook("echo", [&recorder](const IncomingRequest& request) {
        recorder(request);
        return ok_text("got " + request.body);
    });
    REQUIRE(server.start().ok());

    SECTION("curl reuses its connection") {
        CurlHttpClient client({.max_connections = 1});
        CHECK(send(client, "POST", url(server, "/hooks/echo"), "one").body == "got one");
        CHECK(send(client, "POST", url(server, "/hooks/echo"), "two").body == "got two");
        CHECK(send(client, "POST", url(server, "/hooks/echo"), "three").body == "got three");
        CHECK(client.connections_opened() == 1);
    }
    SECTION("raw: two requests, then Connection: close") {
        RawConnection raw(server.port());
        REQUIRE(
            raw.send_all("POST /hooks/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n"
                         "first"));
        const auto first = raw.read_response();
        REQUIRE(first);
        CHECK(first->status == 200);
        CHECK(first->body == "got first");
        CHECK(first->header("Connection") != "close");

        REQUIRE(
            raw.send_all("POST /hooks/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n"
                         "Connection: close\r\n\r\nsecond"));
        const auto second = raw.read_response();
        REQUIRE(second);
        CHECK(second->status == 200);
        CHECK(second->body == "got second");
        CHECK(second->header("Connection") == "close");
        CHECK(raw.wait_for_close());
    }
    SECTION("raw: two pipelined requests sent at once") {
        RawConnection raw(server.port());
        REQUIRE(
            raw.send_all("POST /hooks/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\na"
                         "POST /hooks/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nb"));
        const auto first = raw.read_response();
        const auto second = raw.read_response();
        REQUIRE(first);
        REQUIRE(second);
        CHECK(first->body == "got a");
        CHECK(second->body == "got b");
    }
    const auto seen = recorder.seen();
    REQUIRE(seen.size() >= 2);
    CHECK(requests_counted(metrics, "/hooks/echo", 200) == static_cast<double>(seen.size()));
}

TEST_CASE("intake: connections over max_connections get 503, the first ones keep working",
          "[intake]") {
    Metrics metrics;
    auto options = loopback_options();
    options.max_connections = 2;
    HttpServer server(options, metrics);
    server.route("GET", "/ping", [](const IncomingRequest&) { return ok_text("pong"); });
    REQUIRE(server.start().ok());

    const std::string ping = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";
    auto first = std::make_unique<RawConnection>(server.port());
    auto second = std::make_unique<RawConnection>(server.port());
    // Served, so both are certainly accepted and counted before the third connects.
    REQUIRE(first->send_all(ping));
    REQUIRE(first->read_response());
    REQUIRE(second->send_all(ping));
    REQUIRE(second->read_response());

    RawConnection third(server.port());
    const auto refused = third.read_response();
    REQUIRE(refused);
    CHECK(refused->status == 503);
    CHECK(refused->body == R"({"error":"too many connections"})");
    CHECK(third.wait_for_close());

    // The two admitted connections are still served.
    REQUIRE(first->send_all(ping));
    const auto again = first->read_response();
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(again->body == "pong");
    REQUIRE(second->send_all(ping));
    const auto again2 = second->read_response();
    REQUIRE(again2);
    CHECK(again2->status == 200);

    // Once they go away their slots come back (the server notices the close
    // asynchronously, so ask until it has).
    first.reset();
    second.reset();
    CurlHttpClient client;
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        HttpRequest request;
        request.url = url(server, "/ping");
        request.timeout = kGuard;
        const auto response = client.send(request);
        status = response ? response.value().status : 0;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(status == 200);
}

TEST_CASE("intake: a handler that throws gives 500 and the server keeps serving", "[intake]") {
    Metrics metrics;
    HttpServer server(loopback_options(), metrics);
    server.route("GET", "/boom", [](const IncomingRequest&) -> OutgoingResponse {
        throw std::runtime_error("secret detail from the handler");
    });
    server.route("GET", "/boom-int", [](const IncomingRequest&) -> OutgoingResponse {
        throw 42;  // not a std::exception
    });
    server.route("GET", "/ping", [](const IncomingRequest&) { return ok_text("pong"); });
    REQUIRE(server.start().ok());
    CurlHttpClient client({.max_connections = 1});

    for (const char* path : {"/boom", "/boom-int", "/boom"}) {
        INFO(path);
        const auto failed = send(client, "GET", url(server, path));
        CHECK(failed.status == 500);
        CHECK(failed.body == R"({"error":"internal error"})");
        const auto ok = send(client, "GET", url(server, "/ping"));
        CHECK(ok.status == 200);
        CHECK(ok.body == "pong");
    }
    // The connection survived the failures too.
    CHECK(client.connections_opened() == 1);
    CHECK(requests_counted(metrics, "/boom", 500) == 2);
    CHECK(requests_counted(metrics, "/boom-int", 500) == 1);
}

TEST_CASE("intake: failing handlers do not use up connection slots", "[intake]") {
    Metrics metrics;
    auto options = loopback_options();
    options.max_connections = 2;
    HttpServer server(options, metrics);
    server.route("GET", "/boom", [](const IncomingRequest&) -> OutgoingResponse {
        throw std::runtime_error("fails");
    });
    server.route("GET", "/boom-int", [](const IncomingRequest&) -> OutgoingResponse { throw 42; });
    server.route("GET", "/ping", [](const IncomingRequest&) { return ok_text("pong"); });
    REQUIRE(server.start().ok());

    // Each failure on its own connection, closed by the client afterwards:
    // five times the limit, so a leaked slot per failure would lock clients out.
    for (int i = 0; i < 10; ++i) {
        RawConnection raw(server.port());
        REQUIRE(raw.send_all(std::string("GET ") + (i % 2 ? "/boom" : "/boom-int") +
                             " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
        const auto response = raw.read_response();
        REQUIRE(response);
        CHECK(response->status == 500);
        CHECK(raw.wait_for_close());
    }
    RawConnection raw(server.port());
    REQUIRE(raw.send_all("GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
    const auto response = raw.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
}

TEST_CASE("intake: requests are counted per route and status", "[intake]") {
    Metrics metrics;
    opsbot::describe_standard_metrics(metrics);
    HttpServer server(loopback_options(), metrics);
    server.hook("sentry", [](const IncomingRequest&) { return ok_text("ok"); });
    server.hook("jenkins", [](const IncomingRequest& request) {
        return OutgoingResponse{request.body.empty() ? 422 : 202, "", "text/plain", {}};
    });
    REQUIRE(server.start().ok());
    CurlHttpClient client;

    CHECK(send(client, "POST", url(server, "/hooks/sentry"), "a").status == 200);
    CHECK(send(client, "POST", url(server, "/hooks/sentry?x=1"), "b").status == 200);
    CHECK(send(client, "POST", url(server, "/hooks/jenkins"), "c").status == 202);
    CHECK(send(client, "POST", url(server, "/hooks/jenkins"), "").status == 422);
    CHECK(send(client, "GET", url(server, "/hooks/sentry")).status == 405);
    CHECK(send(client, "GET", url(server, "/random/path/1")).status == 404);
    CHECK(send(client, "GET", url(server, "/random/path/2")).status == 404);
    {
        RawConnection raw(server.port());
        REQUIRE(raw.send_all("nonsense\r\n\r\n"));
        REQUIRE(raw.read_response());
    }

    CHECK(requests_counted(metrics, "/hooks/sentry", 200) == 2);
    CHECK(requests_counted(metrics, "/hooks/jenkins", 202) == 1);
    CHECK(requests_counted(metrics, "/hooks/jenkins", 422) == 1);
    CHECK(requests_counted(metrics, "/hooks/sentry", 405) == 1);
    // Unknown paths share one label value, so a scanner cannot blow up the series count.
    CHECK(requests_counted(metrics, "unmatched", 404) == 2);
    CHECK(requests_counted(metrics, "/random/path/1", 404) == 0);
    CHECK(requests_counted(metrics, "unmatched", 400) == 1);
    CHECK(requests_counted(metrics, "/hooks/sentry", 404) == 0);

    const auto text = metrics.render_prometheus();
    CHECK_THAT(text, Catch::Contains("# TYPE opsbot_webhook_requests_total counter\n"));
    CHECK_THAT(text,
               Catch::Contains(
                   "opsbot_webhook_requests_total{route=\"/hooks/sentry\",status=\"200\"} 2\n"));
    CHECK_THAT(text, Catch::Contains(
                         "opsbot_webhook_requests_total{route=\"unmatched\",status=\"404\"} 2\n"));
}

TEST_CASE("intake: listening on a port already in use names the address", "[intake]") {
    Metrics metrics;
    HttpServer first(loopback_options(), metrics);
    REQUIRE(first.start().ok());
    const std::string taken = "127.0.0.1:" + std::to_string(first.port());

    auto options = loopback_options();
    options.listen = taken;
    HttpServer second(options, metrics);
    const auto started = second.start();
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().code == "listen_failed");
    CHECK_THAT(started.error().message, Catch::Contains(taken));
    CHECK_THAT(started.error().message, Catch::Contains("address in use"));
    CHECK(second.port() == 0);
    second.stop();  // harmless on a server that never started

    // The first server is unaffected.
    CurlHttpClient client;
    CHECK(send(client, "GET", url(first, "/nothing")).status == 404);
}

TEST_CASE("intake: an invalid OPSBOT_LISTEN is a clear error", "[intake]") {
    const auto text = GENERATE(as<std::string>{}, "nonsense", "127.0.0.1:99999",
                               "127.0.0.1:", ":8080", "127.0.0.1", "127.0.0.1:80x", "127.0.0.1:-1",
                               "localhost:8080", "999.0.0.1:8080", "");
    INFO("listen = '" << text << "'");
    const auto parsed = parse_listen_address(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == "bad_listen");
    CHECK_THAT(parsed.error().message, Catch::Contains("OPSBOT_LISTEN '" + text + "'"));
    CHECK_THAT(parsed.error().message, Catch::Contains("host:port"));

    Metrics metrics;
    auto options = loopback_options();
    options.listen = text;
    HttpServer server(options, metrics);
    const auto started = server.start();
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().code == "bad_listen");
    CHECK(started.error().message == parsed.error().message);
    CHECK(server.port() == 0);
}

TEST_CASE("intake: valid listen addresses parse into host and port", "[intake]") {
    using Parsed = std::pair<std::string, std::uint16_t>;
    CHECK(parse_listen_address("127.0.0.1:8080").value() == Parsed{"127.0.0.1", 8080});
    CHECK(parse_listen_address("127.0.0.1:0").value() == Parsed{"127.0.0.1", 0});
    CHECK(parse_listen_address("127.0.0.1:65535").value() == Parsed{"127.0.0.1", 65535});
    CHECK(parse_listen_address("[::1]:9090").value() == Parsed{"::1", 9090});
}
