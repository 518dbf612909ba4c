// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "bot/slack/socket_link_connect.hpp"

namespace opsbot::slack {

template boost::asio::awaitable<void> LinkImpl<TlsWs>::connect(
    const WsUrl& url, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const SocketModeOptions& options);

bool certificate_refused(const std::exception& e) {
    namespace asio = boost::asio;
    const auto* error = dynamic_cast<const boost::system::system_error*>(&e);
    if (!error || error->code().category() != asio::error::get_ssl_category()) return false;
    // asio keeps ERR_get_error()'s value in an int.
    const auto code = static_cast<unsigned long>(static_cast<unsigned int>(error->code().value()));
    return ERR_GET_LIB(code) == ERR_LIB_SSL &&
           ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

}  // namespace opsbot::slack
