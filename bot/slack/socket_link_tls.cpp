// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "bot/slack/socket_link_impl.hpp"

namespace opsbot::slack {

// In socket_link_tls_connect.cpp.
extern template boost::asio::awaitable<void> LinkImpl<TlsWs>::connect(
    const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const SocketModeOptions& options);

LinkPtr make_tls_link(boost::asio::io_context& io, boost::asio::ssl::context& tls) {
    return std::make_shared<LinkImpl<TlsWs>>(io, tls);
}

}  // namespace opsbot::slack
