#pragma once
// HTTP as plain data. Adapters and the Slack Web API build HttpRequests and
// read HttpResponses; the transport behind HttpClient is libcurl in
// production, a recorder in dry runs. Nothing here knows about curl.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace opsbot {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    std::string body;
    std::chrono::milliseconds timeout{10'000};
};

struct HttpResponse {
    int status = 0;
    HttpHeaders headers;  // names as received
    std::string body;

    // Case-insensitive; "" when absent.
    std::string header(std::string_view name) const;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // An Error only when no HTTP answer came back (connection refused, DNS,
    // TLS, timeout): code "network". Any status, 5xx included, is a response.
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// "503 Service Unavailable" for the statuses proxies answer, else "418".
std::string status_text(int status);

// The request as it would go on the wire, for --dry-run and logs: method,
// URL, headers and body, with secrets redacted.
std::string describe_request(const HttpRequest& request);

}  // namespace opsbot
