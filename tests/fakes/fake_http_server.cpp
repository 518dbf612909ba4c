// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "tests/fakes/fake_http_server.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace opsbot::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The layer under the fake's WebSocket that can go silent: from then on no
// byte reaches Beast (a read in flight is held, no new one starts), so it
// neither reads messages nor answers pings, while the socket stays open.
template <class Next>
class Silenceable {
public:
    using executor_type = typename Next::executor_type;
    using next_layer_type = Next;

    explicit Silenceable(Next&& next) : next_(std::move(next)), never_(next_.get_executor()) {
        never_.expires_at(asio::steady_timer::time_point::max());
    }

    executor_type get_executor() noexcept { return next_.get_executor(); }
    Next& next_layer() noexcept { return next_; }
    const Next& next_layer() const noexcept { return next_; }
    void silence() { silent_ = true; }
    bool silent() const { return silent_; }

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return asio::async_compose<Token, void(beast::error_code, std::size_t)>(
            ReadOp<Buffers>{*this, buffers}, token, next_);
    }

    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return next_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    // Held reads wait on a timer that never fires; they end when the server
    // stops.
    template <class Buffers>
    struct ReadOp {
        Silenceable& stream;
        Buffers buffers;
        bool read = false;

        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}, std::size_t bytes = 0) {
            if (ec == asio::error::operation_aborted && stream.silent_) return self.complete(ec, 0);
            if (stream.silent_) return stream.never_.async_wait(std::move(self));
            if (read) return self.complete(ec, bytes);
            read = true;
            stream.next_.async_read_some(buffers, std::move(self));
        }
    };

    Next next_;
    asio::steady_timer never_;
    std::atomic<bool> silent_{false};
};

template <class Next>
void teardown(beast::role_type role, Silenceable<Next>& stream, beast::error_code& ec) {
    using beast::websocket::teardown;
    teardown(role, stream.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(beast::role_type role, Silenceable<Next>& stream, Handler&& handler) {
    using beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

template <class Stream>
class Peer final : public WebSocketPeer, public std::enable_shared_from_this<Peer<Stream>> {
    using std::enable_shared_from_this<Peer<Stream>>::shared_from_this;

public:
    Peer(Stream stream, std::string target) : ws_(std::move(stream)), target_(std::move(target)) {}

    // The handler sees the peer only once the handshake is done, so that
    // nothing is written before the stream knows it is the server side.
    // References, not values: GCC 12 mishandles by-value coroutine arguments.
    asio::awaitable<void> run(const http::request<http::string_body>& request,
                              const WebSocketHandler& handler) {
        auto self = shared_from_this();
        beast::get_lowest_layer(ws_).expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        beast::error_code ec;
        co_await ws_.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        open_ = true;
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::ping) ++pings_;
        });
        handler(self);
        beast::flat_buffer buffer;
        while (open_) {
            co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            std::string text = beast::buffers_to_string(buffer.data());
            {
                std::lock_guard lock(mutex_);
                inbox_.emplace_back(text, std::chrono::steady_clock::now());
            }
            buffer.consume(buffer.size());
            if (message_listener_) message_listener_(text);
            if (frozen_) co_return;  // keep the socket, stop answering pings
        }
        open_ = false;
        if (close_listener_) close_listener_();
    }

    void send(std::string text) override {
        if (ws_.next_layer().silent()) return;
        asio::post(ws_.get_executor(),
                   [self = shared_from_this(), text = std::move(text)]() mutable {
                       self->outbox_.push_back(std::move(text));
                       if (!self->writing_) self->write_next();
                   });
    }

    void close() override {
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            self->ws_.async_close(websocket::close_code::normal,
                                  [self](beast::error_code) { self->open_ = false; });
        });
    }

    void reset() override {
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            auto& socket = beast::get_lowest_layer(self->ws_).socket();
            beast::error_code ignored;
            socket.set_option(asio::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
            self->open_ = false;
        });
    }

    void freeze() override { frozen_ = true; }
    void go_silent() override { ws_.next_layer().silence(); }
    std::size_t pings_answered() const override { return pings_; }

    std::vector<std::string> received() const override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [text, time] : inbox_) out.push_back(text);
        return out;
    }
    TimedMessages received_timed() const override {
        std::lock_guard lock(mutex_);
        return inbox_;
    }
    TimedMessages sent_timed() const override {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    std::size_t received_count() const override {
        std::lock_guard lock(mutex_);
        return inbox_.size();
    }
    bool open() const override { return open_; }
    std::string target() const override { return target_; }
    void on_message(std::function<void(const std::string&)> listener) override {
        message_listener_ = std::move(listener);
    }
    void on_close(std::function<void()> listener) override {
        close_listener_ = std::move(listener);
    }

private:
    void write_next() {
        writing_ = true;
        {
            std::lock_guard lock(mutex_);
            sent_.emplace_back(outbox_.front(), std::chrono::steady_clock::now());
        }
        ws_.async_write(asio::buffer(outbox_.front()),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->outbox_.pop_front();
                            if (ec) {
                                self->writing_ = false;
                                self->outbox_.clear();
                                return;
                            }
                            if (self->outbox_.empty())
                                self->writing_ = false;
                            else
                                self->write_next();
                        });
    }

    websocket::stream<Silenceable<Stream>> ws_;
    std::string target_;
    std::deque<std::string> outbox_;  // touched on the io thread only
    bool writing_ = false;
    std::atomic<bool> open_{false};
    std::atomic<bool> frozen_{false};
    std::atomic<std::size_t> pings_{0};
    mutable std::mutex mutex_;
    TimedMessages inbox_;
    TimedMessages sent_;
    // Set before the first read, then read on the io thread only.
    std::function<void(const std::string&)> message_listener_;
    std::function<void()> close_listener_;
};

}  // namespace

std::string RecordedRequest::header(const std::string& name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers)
        if (lower(key) == wanted) return value;
    return {};
}

std::string RecordedRequest::path() const {
    return target.substr(0, target.find('?'));
}

struct FakeHttpServer::Impl {
    struct Route {
        std::string method;
        std::string prefix;
        RouteHandler handler;
    };
    struct WsRoute {
        std::string prefix;
        WebSocketHandler handler;
    };

    Impl(int thread_count, const TlsIdentity* identity) : io(thread_count) {
        if (!identity) return;
        tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        tls->use_certificate_chain(asio::buffer(identity->certificate_pem));
        tls->use_private_key(asio::buffer(identity->private_key_pem), asio::ssl::context::pem);
    }

    asio::io_context io;
    std::unique_ptr<asio::ssl::context> tls;
    tcp::acceptor acceptor{io};
    std::vector<std::thread> threads;
    mutable std::mutex mutex;
    std::vector<Route> routes;
    std::vector<WsRoute> ws_routes;
    std::vector<RecordedRequest> requests;
    std::atomic<std::size_t> connections{0};

    FakeResponse answer(const RecordedRequest& request) {
        RouteHandler handler;
        {
            std::lock_guard lock(mutex);
            std::size_t best = 0;
            for (const auto& r : routes) {
                const bool method_ok = r.method == "*" || r.method == request.method;
                if (method_ok && request.target.rfind(r.prefix, 0) == 0 &&
                    r.prefix.size() >= best) {
                    best = r.prefix.size();
                    handler = r.handler;
                }
            }
        }
        if (!handler) return FakeResponse{404, R"({"ok":false,"error":"unknown_method"})"};
        return handler(request);
    }

    WebSocketHandler ws_handler(const std::string& target) {
        std::lock_guard lock(mutex);
        for (const auto& r : ws_routes)
            if (target.rfind(r.prefix, 0) == 0) return r.handler;
        return {};
    }

    RecordedRequest record(const http::request<http::string_body>& req) {
        RecordedRequest recorded;
        recorded.method = std::string(req.method_string());
        recorded.target = std::string(req.target());
        for (const auto& field : req)
            recorded.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
        recorded.body = req.body();
        recorded.received = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex);
        requests.push_back(recorded);
        return recorded;
    }

    template <class Stream>
    asio::awaitable<void> upgrade(Stream& stream, const http::request<http::string_body>& req) {
        const std::string target(req.target());
        auto handler = ws_handler(target);
        if (!handler) co_return;
        auto peer = std::make_shared<Peer<Stream>>(std::move(stream), target);
        co_await peer->run(req, handler);
    }

    asio::awaitable<void> session(tcp::socket socket) {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream);
            co_return;
        }
        TlsStream stream(std::move(socket), *tls);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        beast::error_code ec;
        co_await stream.async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;  // a client that did not trust us: it says why
        co_await serve(stream);
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        beast::error_code ec;
        for (;;) {
            http::request<http::string_body> req;
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
            co_await http::async_read(stream, buffer, req,
                                      asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            if (websocket::is_upgrade(req)) {
                record(req);
                co_await upgrade(stream, req);
                co_return;
            }
            const FakeResponse response = answer(record(req));
            http::response<http::string_body> res{static_cast<http::status>(response.status),
                                                  req.version()};
            res.set(http::field::content_type, response.content_type);
            for (const auto& [key, value] : response.headers) res.set(key, value);
            res.body() = response.body;
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !req.keep_alive()) co_return;
        }
    }

    asio::awaitable<void> listen() {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor.async_accept(
                asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            ++connections;
            // As a real server's: no small write waits for the peer's
            // delayed ACK (a TLS session ticket then the next record would).
            socket.set_option(tcp::no_delay(true), ec);
            auto strand = socket.get_executor();
            asio::co_spawn(strand, session(std::move(socket)), asio::detached);
        }
    }
};

FakeHttpServer::FakeHttpServer(int threads, const TlsIdentity* tls)
    : impl_(std::make_unique<Impl>(threads, tls)) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(impl_->io, impl_->listen(), asio::detached);
    for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

FakeHttpServer::~FakeHttpServer() {
    stop();
}

void FakeHttpServer::stop() {
    impl_->io.stop();
    for (auto& thread : impl_->threads)
        if (thread.joinable()) thread.join();
}

std::uint16_t FakeHttpServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

std::string FakeHttpServer::base_url() const {
    return (impl_->tls ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port());
}

void FakeHttpServer::route(std::string method, std::string path_prefix, RouteHandler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->routes.push_back({std::move(method), std::move(path_prefix), std::move(handler)});
}

void FakeHttpServer::websocket(std::string path_prefix, WebSocketHandler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->ws_routes.push_back({std::move(path_prefix), std::move(handler)});
}

std::vector<RecordedRequest> FakeHttpServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::vector<RecordedRequest> FakeHttpServer::requests_to(const std::string& path) const {
    std::vector<RecordedRequest> out;
    for (auto& r : requests())
        if (r.path() == path) out.push_back(std::move(r));
    return out;
}

std::size_t FakeHttpServer::request_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests.size();
}

std::size_t FakeHttpServer::connections_accepted() const {
    return impl_->connections;
}

bool FakeHttpServer::wait_until(const std::function<bool()>& predicate,
                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

}  // namespace opsbot::test
