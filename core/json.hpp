#pragma once
// Reading untrusted JSON at the edges (Slack, Jenkins, Sentry, Cloudflare):
// small accessors that never throw, whatever shape the document has.

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace opsbot {

// object[key] when object is an object holding a string there; "" otherwise
// (no such key, another type, or object not an object at all).
std::string string_field(const nlohmann::json& object, const char* key);

}  // namespace opsbot
