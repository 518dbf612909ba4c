#pragma once
// One WebSocket connection of the Socket Mode client, behind an interface
// so that only the socket_link_*.cpp files instantiate Beast's WebSocket.
// Internal to opsbot_net: it pulls in Asio.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/ws_url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace opsbot::slack {

using LinkClock = std::chrono::steady_clock;

// All of it runs on the socket thread.
class Link : public std::enable_shared_from_this<Link> {
public:
    virtual ~Link() = default;
    virtual boost::asio::awaitable<void> connect(
        const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
        const SocketModeOptions& options) = 0;
    virtual boost::asio::awaitable<std::string> read() = 0;
    virtual void send(std::vector<std::string> texts) = 0;  // in order
    virtual void close() = 0;
    virtual void abort() = 0;
    virtual void ping() = 0;
    virtual bool closing() const = 0;
    virtual bool more_to_read() = 0;  // bytes the kernel (or TLS) holds for us

    int id = 0;
    const char* step = "";  // how far connect() got, for the log
    bool hello = false;
    bool ended = false;
    bool refresh_requested = false;
    bool dropped = false;  // by the watchdog
    LinkClock::time_point opened = LinkClock::now();
    LinkClock::time_point last_frame = LinkClock::now();  // any frame read, pongs included
};

using LinkPtr = std::shared_ptr<Link>;

// The links open now; shared by the supervisor, which opens and retires
// them, and the ack batcher, which sends on them.
struct LinkSet {
    std::vector<LinkPtr> all;
    LinkPtr live;  // the link acks go out on

    bool more_to_read() const;
};

LinkPtr make_plain_link(boost::asio::io_context& io);
LinkPtr make_tls_link(boost::asio::io_context& io, boost::asio::ssl::context& tls);

// Whether connect() failed because the server's certificate was refused.
bool certificate_refused(const std::exception& e);

}  // namespace opsbot::slack
