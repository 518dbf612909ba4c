#pragma once
// The wss:// (or ws://) URL apps.connections.open hands out, in parts.

#include <optional>
#include <string>

namespace opsbot::slack {

struct WsUrl {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
};

// Nothing for another scheme or an empty host.
std::optional<WsUrl> parse_ws_url(const std::string& url);

}  // namespace opsbot::slack
