#pragma once
// Time in opsbot is UTC, shown as ISO 8601 with milliseconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace opsbot {

using TimePoint = std::chrono::system_clock::time_point;

// Injected wherever something expires, so tests can move time.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// "2026-11-24T22:13:47.123Z"
std::string format_iso8601(TimePoint time);
// Accepts "2026-11-24", "2026-11-24T22:13:47Z", "2026-11-24T22:13:47.123Z".
std::optional<TimePoint> parse_iso8601(std::string_view text);
// "30s", "15m", "2h", "1d", "1w"; a bare number is seconds.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// A duration back from now ("1d") or an ISO 8601 time.
std::optional<TimePoint> parse_since(std::string_view text, TimePoint now);
// "850 ms", "12.3 s", "4 min 05 s", "2 h 10 min"
std::string format_duration(std::chrono::milliseconds duration);
// format_duration of the time from then to now: "4 min 05 s".
std::string format_elapsed(TimePoint then, TimePoint now);
// "YYYY-MM-DD" with a real calendar date.
bool is_valid_date(std::string_view text);

}  // namespace opsbot
