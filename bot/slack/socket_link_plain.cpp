// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "bot/slack/socket_link_impl.hpp"

#include <algorithm>

namespace opsbot::slack {

// In socket_link_plain_connect.cpp.
extern template boost::asio::awaitable<void> LinkImpl<PlainWs>::connect(
    const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const SocketModeOptions& options);

LinkPtr make_plain_link(boost::asio::io_context& io) {
    return std::make_shared<LinkImpl<PlainWs>>(io);
}

bool LinkSet::more_to_read() const {
    return std::any_of(all.begin(), all.end(),
                       [](const auto& link) { return !link->ended && link->more_to_read(); });
}

}  // namespace opsbot::slack
