#pragma once
// LinkImpl::connect: TCP, TLS and the WebSocket handshake. Included only by
// the translation units that instantiate it (socket_link_*_connect.cpp).

#include "bot/slack/socket_link_impl.hpp"

namespace opsbot::slack {

template <class Ws>
boost::asio::awaitable<void> LinkImpl<Ws>::connect(
    const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const SocketModeOptions& options) {
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
        if (!SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                      const_cast<char*>(url.host.c_str())))
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
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "opsbot"); }));
    step = "handshake";
    co_await ws_.async_handshake(url.host, url.target, asio::use_awaitable);
}

}  // namespace opsbot::slack
