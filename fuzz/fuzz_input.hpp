#pragma once
// What every fuzz target shares: the input as text, and a way to cut it into
// fields (for targets whose input is several strings).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace opsbot::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits on a separator byte into at most `fields` parts; missing ones are empty.
inline std::vector<std::string> split_fields(std::string_view text, char separator,
                                             std::size_t fields) {
    std::vector<std::string> out;
    while (out.size() + 1 < fields) {
        const auto at = text.find(separator);
        if (at == std::string_view::npos) break;
        out.emplace_back(text.substr(0, at));
        text.remove_prefix(at + 1);
    }
    out.emplace_back(text);
    out.resize(fields);
    return out;
}

}  // namespace opsbot::fuzz
