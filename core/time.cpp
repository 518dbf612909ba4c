#include "core/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace opsbot {
namespace {

bool parse_int(std::string_view text, int& out) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
}

std::optional<std::chrono::sys_days> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int y = 0, m = 0, d = 0;
    if (!parse_int(text.substr(0, 4), y) || !parse_int(text.substr(5, 2), m) ||
        !parse_int(text.substr(8, 2), d))
        return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year{y},
                                           std::chrono::month{static_cast<unsigned>(m)},
                                           std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;
    return std::chrono::sys_days{date};
}

}  // namespace

std::string format_iso8601(TimePoint time) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(time.time_since_epoch());
    const auto days = floor<std::chrono::days>(ms);
    const year_month_day date{sys_days{days}};
    const auto in_day = ms - days;
    const hh_mm_ss<milliseconds> clock{in_day};
    char buffer[32];
    std::snprintf(
        buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
        static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return buffer;
}

std::optional<TimePoint> parse_iso8601(std::string_view text) {
    using namespace std::chrono;
    const auto date = parse_date(text.substr(0, 10));
    if (!date) return std::nullopt;
    TimePoint result = *date;
    if (text.size() == 10) return result;
    // "T22:13:47" then optional ".123", then "Z"
    if (text.size() < 20 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':' || text.back() != 'Z')
        return std::nullopt;
    int h = 0, mi = 0, s = 0, frac = 0;
    if (!parse_int(text.substr(11, 2), h) || !parse_int(text.substr(14, 2), mi) ||
        !parse_int(text.substr(17, 2), s) || h > 23 || mi > 59 || s > 60)
        return std::nullopt;
    const std::string_view rest = text.substr(19, text.size() - 20);
    if (!rest.empty()) {
        if (rest[0] != '.' || rest.size() > 4 || !parse_int(rest.substr(1), frac))
            return std::nullopt;
        for (std::size_t digits = rest.size() - 1; digits < 3; ++digits) frac *= 10;
    }
    return result + hours{h} + minutes{mi} + seconds{s} + milliseconds{frac};
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    long multiplier = 1;
    switch (text.back()) {
        case 's':
            multiplier = 1;
            break;
        case 'm':
            multiplier = 60;
            break;
        case 'h':
            multiplier = 3600;
            break;
        case 'd':
            multiplier = 86400;
            break;
        case 'w':
            multiplier = 7 * 86400;
            break;
        default:
            multiplier = 0;
    }
    if (multiplier != 0)
        text.remove_suffix(1);
    else
        multiplier = 1;
    int amount = 0;
    if (!parse_int(text, amount) || amount < 0) return std::nullopt;
    return std::chrono::seconds{static_cast<long>(amount) * multiplier};
}

std::optional<TimePoint> parse_since(std::string_view text, TimePoint now) {
    if (const auto back = parse_duration(text)) return now - *back;
    return parse_iso8601(text);
}

std::string format_duration(std::chrono::milliseconds duration) {
    const long long ms = duration.count();
    char buffer[48];
    if (ms < 1000)
        std::snprintf(buffer, sizeof buffer, "%lld ms", ms);
    else if (ms < 60'000)
        std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(ms) / 1000.0);
    else if (ms < 3'600'000)
        std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", ms / 60'000, (ms / 1000) % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", ms / 3'600'000,
                      (ms / 60'000) % 60);
    return buffer;
}

bool is_valid_date(std::string_view text) {
    return parse_date(text).has_value();
}

std::string format_elapsed(TimePoint then, TimePoint now) {
    return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(now - then));
}

}  // namespace opsbot
