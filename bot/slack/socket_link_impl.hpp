#pragma once
// Link over a Beast WebSocket, for socket_link_{plain,tls}{,_connect}.cpp:
// each instantiates one stream type, and connect() apart from the rest, so
// that the four compile in parallel. Internal to opsbot_net: it pulls in
// Beast.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <deque>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/slack/socket_link.hpp"
#include "bot/slack/tls_input.hpp"
#include "bot/slack/write_batching_stream.hpp"

namespace opsbot::slack {

template <class Ws>
class LinkImpl final : public Link {
public:
    static constexpr bool kTls =
        !std::is_same_v<typename Ws::next_layer_type::next_layer_type, boost::beast::tcp_stream>;

public:
    template <class... Args>
    explicit LinkImpl(Args&&... args) : ws_(std::forward<Args>(args)...) {}

    // Defined in socket_link_connect.hpp and instantiated in a translation
    // unit of its own: the handshakes and the frames compile in parallel.
    boost::asio::awaitable<void> connect(
        const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
        const SocketModeOptions& options) override;

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

using PlainWs = boost::beast::websocket::stream<WriteBatchingStream<boost::beast::tcp_stream>>;
using TlsWs = boost::beast::websocket::stream<
    WriteBatchingStream<boost::beast::ssl_stream<boost::beast::tcp_stream>>>;

}  // namespace opsbot::slack
