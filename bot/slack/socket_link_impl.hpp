#pragma once
// Link over a Beast WebSocket, for socket_link_plain.cpp and
// socket_link_tls.cpp: each instantiates one stream type, so the two compile
// in parallel. Internal to opsbot_net: it pulls in Beast.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <deque>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/slack/socket_link.hpp"
#include "bot/slack/tls_input.hpp"
#include "bot/slack/write_batching_stream.hpp"

namespace opsbot::slack {

template <class Ws>
class LinkImpl final : public Link {
    static constexpr bool kTls =
        !std::is_same_v<typename Ws::next_layer_type::next_layer_type, boost::beast::tcp_stream>;

public:
    template <class... Args>
    explicit LinkImpl(Args&&... args) : ws_(std::forward<Args>(args)...) {}

    boost::asio::awaitable<void> connect(
        const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
        const SocketModeOptions& options) override {
        namespace asio = boost::asio;
        namespace beast = boost::beast;
        namespace websocket = beast::websocket;
        auto& lowest = beast::get_lowest_layer(ws_);
        lowest.expires_after(options.connect_timeout);
        step = "connect";
        co_await lowest.async_connect(endpoints, asio::use_awaitable);
        // An ack must leave at once: with Nagle's algorithm on, a small write
        // waits for the peer's ACK of the previous one (up to its delayed-ACK
        // timer, ~40 ms).
        lowest.socket().set_option(asio::ip::tcp::no_delay(true));
        if constexpr (kTls) {
            auto& tls = ws_.next_layer().next_layer();
            // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
            if (!SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                          TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())))
                throw std::runtime_error("cannot set TLS server name");
            tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
            step = "TLS handshake";
            co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        }
        lowest.expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options.connect_timeout;
        // Silence is watched by LinkSupervisor::watch, not by Beast: Beast's
        // idle timer is re-armed on every frame, a timerfd_settime system
        // call per envelope on the ack path.
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        ws_.control_callback(
            [this](websocket::frame_type, beast::string_view) { last_frame = LinkClock::now(); });
        ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "opsbot");
        }));
        step = "handshake";
        co_await ws_.async_handshake(url.host, url.target, asio::use_awaitable);
    }

    boost::asio::awaitable<std::string> read() override {
        buffer_.clear();
        co_await ws_.async_read(buffer_, boost::asio::use_awaitable);
        co_return boost::beast::buffers_to_string(buffer_.data());
    }

    void send(std::vector<std::string> texts) override {
        if (closing_) return;
        for (auto& text : texts) outbox_.push_back(std::move(text));
        // Frames queued together leave in one write once the outbox is
        // empty, instead of a system call, a segment (and a wake-up of the
        // peer) per frame.
        if (outbox_.size() > 1) ws_.next_layer().hold();
        if (!writing_) write_next();
    }

    void close() override {
        closing_ = true;
        if (!writing_ && !pinging_) close_now();
    }

    // Beast allows one ping at a time and no close while it is out.
    void ping() override {
        if (closing_ || pinging_) return;
        pinging_ = true;
        ws_.async_ping({}, [self = shared_from_this(), this](boost::beast::error_code) {
            pinging_ = false;
            if (closing_ && !writing_) close_now();
        });
    }

    bool closing() const override { return closing_; }

    bool more_to_read() override {
        if constexpr (kTls) {
            if (tls_holds_input(ws_.next_layer().next_layer().native_handle())) return true;
        }
        boost::beast::error_code ec;
        return boost::beast::get_lowest_layer(ws_).socket().available(ec) > 0 && !ec;
    }

    void abort() override {
        boost::beast::error_code ignored;
        boost::beast::get_lowest_layer(ws_).socket().close(ignored);
    }

private:
    void write_next() {
        writing_ = true;
        ws_.async_write(
            boost::asio::buffer(outbox_.front()),
            [self = shared_from_this(), this](boost::beast::error_code ec, std::size_t) {
                outbox_.pop_front();
                writing_ = false;
                if (ec) outbox_.clear();
                if (!outbox_.empty()) return write_next();
                ws_.next_layer().release();
                if (ec) return;
                if (closing_ && !pinging_) close_now();
            });
    }

    void close_now() {
        ws_.async_close(boost::beast::websocket::close_code::normal,
                        [self = shared_from_this(), this](boost::beast::error_code) { abort(); });
    }

    Ws ws_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closing_ = false;
    bool pinging_ = false;
};

}  // namespace opsbot::slack
