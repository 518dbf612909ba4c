// Precompiled for every opsbot target but the Beast ones (cmake/pch.cmake):
// the standard and third-party headers that most files include, parsed once per
// build instead of once per file. Adding a header here costs every file a
// little (a bigger PCH to load); add only what many files use.
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
