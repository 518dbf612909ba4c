#pragma once
// Hashes and MACs on OpenSSL, as lowercase hex or raw bytes.

#include <string>
#include <string_view>

namespace opsbot {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view bytes);
// Same length and bytes, in time that does not depend on where they differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace opsbot
