#include "bot/slack/ws_url.hpp"

namespace opsbot::slack {

std::optional<WsUrl> parse_ws_url(const std::string& url) {
    WsUrl out;
    std::string rest;
    if (url.rfind("wss://", 0) == 0) {
        out.tls = true;
        rest = url.substr(6);
    } else if (url.rfind("ws://", 0) == 0) {
        rest = url.substr(5);
    } else {
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    out.target = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? (out.tls ? "443" : "80") : authority.substr(colon + 1);
    if (out.host.empty()) return std::nullopt;
    return out;
}

}  // namespace opsbot::slack
