#pragma once
// Internal to the Jenkins adapter: the request builder, retries and status
// mapping shared by the build calls (jenkins_client.cpp) and the job
// creation calls (jenkins_items.cpp).

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "adapters/jenkins/jenkins_client.hpp"
#include "core/http.hpp"
#include "core/result.hpp"

namespace opsbot::jenkins::detail {

std::string with_slash(std::string url);
// "POST https://ci.example.com/job/x/build", without the query.
std::string where(const HttpRequest& request);
// url with preemptive basic auth, Accept: application/json and the timeout.
HttpRequest make_request(const JenkinsConfig& config, std::string method, std::string url);
// 5xx and no answer retried with backoff, up to max_attempts.
Result<HttpResponse> send_with_retries(HttpClient& http, const JenkinsConfig& config,
                                       const HttpRequest& request);
// bad_response for a status the caller did not expect.
Error unexpected(const HttpResponse& response, const HttpRequest& request);
// 401/403 and any other non-2xx; 404 and the happy path are the caller's.
std::optional<Error> common_error(const HttpResponse& response, const HttpRequest& request,
                                  const JenkinsConfig& config, const std::string& what);
// The body as a JSON object; bad_response for HTML (a login page, a proxy)
// or JSON cut off.
Result<nlohmann::json> parse_json(const HttpResponse& response, const HttpRequest& request);
// 0 / false when the key is missing or of another type.
long number_of(const nlohmann::json& object, const char* key);
bool flag_of(const nlohmann::json& object, const char* key);

}  // namespace opsbot::jenkins::detail
