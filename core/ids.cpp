#include "core/ids.hpp"

#include <cstdio>
#include <random>

namespace opsbot {

std::string new_correlation_id() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%012llx",
                  static_cast<unsigned long long>(generator() & 0xffffffffffffULL));
    return buffer;
}

}  // namespace opsbot
