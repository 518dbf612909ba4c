#pragma once
// URL and form encodings and base64, shared by the HTTP intake, the Slack
// Web API, the Jenkins client and the test fakes.

#include <map>
#include <string>
#include <string_view>

namespace opsbot {

// RFC 3986: everything but unreserved characters as %XX (uppercase).
std::string percent_encode(std::string_view text);
// %XX decoded; malformed escapes are kept as they are. In a form (and a
// query string) '+' is a space; in a path it is itself.
std::string percent_decode(std::string_view text, bool plus_is_space);
// "a=1&b=x%20y" → {a: 1, b: "x y"}; a name without '=' maps to "".
std::map<std::string, std::string> parse_form(std::string_view text);
std::string form_encode(const std::map<std::string, std::string>& fields);
std::string base64_encode(std::string_view bytes);

}  // namespace opsbot
