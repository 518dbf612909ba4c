// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "bot/slack/socket_link_connect.hpp"

namespace opsbot::slack {

template boost::asio::awaitable<void> LinkImpl<PlainWs>::connect(
    const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const SocketModeOptions& options);

}  // namespace opsbot::slack
