#include "core/http.hpp"

#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot {

std::string HttpResponse::header(std::string_view name) const {
    const std::string wanted = to_lower(name);
    for (const auto& [key, value] : headers)
        if (to_lower(key) == wanted) return value;
    return {};
}

std::string describe_request(const HttpRequest& request) {
    std::string text = request.method + " " + request.url + "\n";
    for (const auto& [key, value] : request.headers) text += key + ": " + value + "\n";
    if (!request.body.empty()) text += "\n" + request.body + "\n";
    return redact(text);
}

std::string status_text(int status) {
    switch (status) {
        case 500:
            return "500 Internal Server Error";
        case 502:
            return "502 Bad Gateway";
        case 503:
            return "503 Service Unavailable";
        case 504:
            return "504 Gateway Timeout";
        default:
            return std::to_string(status);
    }
}

}  // namespace opsbot
