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

}  // namespace opsbot
