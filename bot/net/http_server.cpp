// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "bot/net/http_server.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

OutgoingResponse error_response(int status, const std::string& reason) {
    return {status, nlohmann::json{{"error", reason}}.dump(), "application/json", {}};
}

// The status a failed read deserves, or 0 when the peer just went away.
int status_for(const beast::error_code& ec) {
    if (ec == http::error::body_limit) return 413;
    if (ec == http::error::header_limit) return 431;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
        return 0;
    return 400;
}

}  // namespace

std::string IncomingRequest::header(std::string_view name) const {
    const std::string wanted = to_lower(name);
    for (const auto& [key, value] : headers)
        if (to_lower(key) == wanted) return value;
    return {};
}

Result<std::pair<std::string, std::uint16_t>> parse_listen_address(const std::string& text) {
    const Error bad{"bad_listen",
                    "OPSBOT_LISTEN '" + text + "' is not host:port, e.g. 127.0.0.1:8080", ""};
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return bad;
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1) return bad;
    } catch (const std::exception&) {
        return bad;
    }
    if (port < 0 || port > 65535) return bad;
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    if (ec) return bad;
    return std::make_pair(host, static_cast<std::uint16_t>(port));
}

struct HttpServer::Impl {
    struct Route {
        std::string method;
        std::string path;
        RequestHandler handler;
    };

    HttpServerOptions options;
    Metrics& metrics;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::vector<std::thread> threads;
    std::vector<Route> routes;
    std::atomic<std::size_t> open_connections{0};
    bool started = false;

    Impl(HttpServerOptions o, Metrics& m) : options(std::move(o)), metrics(m) {}

    OutgoingResponse dispatch(const IncomingRequest& request, std::string& route_name) const {
        std::vector<std::string> allowed;
        for (const auto& route : routes) {
            if (route.path != request.path) continue;
            if (route.method == request.method) {
                route_name = route.path;
                try {
                    return route.handler(request);
                } catch (const std::exception& e) {
                    spdlog::error("http: {} {} failed: {}", request.method, request.path, e.what());
                    return error_response(500, "internal error");
                } catch (...) {
                    // Escaping here would end the session silently (detached
                    // co_spawn drops it) and leak its connection slot.
                    spdlog::error("http: {} {} failed with a non-standard exception",
                                  request.method, request.path);
                    return error_response(500, "internal error");
                }
            }
            allowed.push_back(route.method);
        }
        if (allowed.empty())
            return error_response(404, "no route for " + request.method + " " + request.path);
        route_name = request.path;
        auto response =
            error_response(405, "use " + join(allowed, " or ") + " for " + request.path);
        response.headers.emplace_back("Allow", join(allowed, ", "));
        return response;
    }

    IncomingRequest to_incoming(const http::request<http::string_body>& req,
                                const tcp::socket& socket) const {
        IncomingRequest in;
        in.method = std::string(req.method_string());
        in.target = std::string(req.target());
        const auto question = in.target.find('?');
        in.path = in.target.substr(0, question);
        if (question != std::string::npos)
            in.query = parse_form(std::string_view(in.target).substr(question + 1));
        for (const auto& field : req)
            in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        in.body = req.body();
        beast::error_code ec;
        const auto remote = socket.remote_endpoint(ec);
        if (!ec) in.remote_address = remote.address().to_string();
        return in;
    }

    static asio::awaitable<void> write(beast::tcp_stream& stream, const OutgoingResponse& out,
                                       unsigned version, bool keep_alive) {
        http::response<http::string_body> res{static_cast<http::status>(out.status), version};
        res.set(http::field::server, "opsbot");
        res.set(http::field::content_type, out.content_type);
        for (const auto& [name, value] : out.headers) res.set(name, value);
        res.body() = out.body;
        res.keep_alive(keep_alive);
        res.prepare_payload();
        beast::error_code ec;
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    }

    asio::awaitable<void> session(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        bool first = true;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(options.max_body_bytes);
            parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
            // Waiting for the next keep-alive request is idle time; once it
            // starts, the whole request must arrive within read_timeout.
            stream.expires_after(first ? options.read_timeout : options.idle_timeout);
            beast::error_code ec;
            co_await http::async_read_header(stream, buffer, parser,
                                             asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) {
                stream.expires_after(options.read_timeout);
                co_await http::async_read(stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
            }
            first = false;
            if (ec) {
                if (const int status = status_for(ec)) {
                    metrics.increment(metric::kWebhookRequests,
                                      {{"route", "unmatched"}, {"status", std::to_string(status)}});
                    const char* reason = status == 413   ? "body larger than the limit"
                                         : status == 431 ? "request headers too large"
                                                         : "malformed HTTP request";
                    // Named, not a temporary: GCC 12 mishandles temporaries in co_await.
                    const auto refusal = error_response(status, reason);
                    co_await write(stream, refusal, 11, false);
                    co_await drain_before_close(stream);
                }
                break;
            }
            auto req = parser.release();
            std::string route_name = "unmatched";
            const auto response = dispatch(to_incoming(req, stream.socket()), route_name);
            metrics.increment(metric::kWebhookRequests,
                              {{"route", route_name}, {"status", std::to_string(response.status)}});
            co_await write(stream, response, req.version(), req.keep_alive());
            if (!req.keep_alive()) break;
        }
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        --open_connections;
    }

    // A refused request may be partly unread (a body over the limit is
    // refused on its header). Closing a socket with unread bytes resets the
    // connection, and the reset can destroy the answer before the client
    // reads it: so the send side closes first, and what the client still
    // sends is read and dropped until it closes too (curl stops sending on an
    // error answer), for at most a second and kMaxDrainBytes.
    static constexpr std::size_t kMaxDrainBytes = 8 << 20;
    static asio::awaitable<void> drain_before_close(beast::tcp_stream& stream) {
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(std::chrono::seconds(1));
        std::vector<char> sink(16 * 1024);
        std::size_t drained = 0;
        while (!ec && drained < kMaxDrainBytes)
            drained += co_await stream.async_read_some(
                asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }

    asio::awaitable<void> listen() {
        for (;;) {
            beast::error_code ec;
            // Each connection on a strand of its own: with several threads,
            // a stream's reads and its timeout never run at once.
            tcp::socket socket = co_await acceptor.async_accept(
                asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) continue;
            // Over the cap: answer 503 at once and close, so a flood cannot
            // exhaust file descriptors and the client learns why.
            const auto executor = socket.get_executor();
            if (open_connections >= options.max_connections) {
                asio::co_spawn(executor, refuse(std::move(socket)), asio::detached);
                continue;
            }
            ++open_connections;
            asio::co_spawn(executor, session(std::move(socket)), asio::detached);
        }
    }

    static asio::awaitable<void> refuse(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        stream.expires_after(std::chrono::seconds(2));
        const auto refusal = error_response(503, "too many connections");
        co_await write(stream, refusal, 11, false);
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
};

HttpServer::HttpServer(HttpServerOptions options, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::route(std::string method, std::string path, RequestHandler handler) {
    impl_->routes.push_back({std::move(method), std::move(path), std::move(handler)});
}

void HttpServer::hook(const std::string& name, RequestHandler handler) {
    route("POST", "/hooks/" + name, std::move(handler));
}

Status HttpServer::start() {
    auto address = parse_listen_address(impl_->options.listen);
    if (!address) return address.error();
    const auto& [host, requested_port] = address.value();
    const tcp::endpoint endpoint(asio::ip::make_address(host), requested_port);
    beast::error_code ec;
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(endpoint, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        const std::string why = ec == asio::error::address_in_use ? "address in use" : ec.message();
        return Error{"listen_failed",
                     "cannot listen on " + impl_->options.listen + ": " + why +
                         " — set OPSBOT_LISTEN to a free address",
                     ""};
    }
    spdlog::info("http: listening on {}:{}", host, port());
    asio::co_spawn(impl_->io, impl_->listen(), asio::detached);
    for (int i = 0; i < std::max(1, impl_->options.threads); ++i)
        impl_->threads.emplace_back([this] { impl_->io.run(); });
    impl_->started = true;
    return success();
}

std::uint16_t HttpServer::port() const {
    beast::error_code ec;
    const auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void HttpServer::stop_accepting() {
    if (!impl_->started) return;
    asio::post(impl_->io, [impl = impl_.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
}

void HttpServer::stop() {
    if (!impl_->started) return;
    impl_->started = false;
    asio::post(impl_->io, [impl = impl_.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
    impl_->io.stop();
    for (auto& thread : impl_->threads) thread.join();
    impl_->threads.clear();
}

}  // namespace opsbot::net
