#include "core/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/text.hpp"

namespace opsbot {
namespace {

using std::chrono::days;
using std::chrono::seconds;

// ---- the POSIX TZ string -------------------------------------------------

// Reads one piece of a TZ string at a time; any malformed piece fails the lot.
class TzReader {
public:
    explicit TzReader(std::string_view text) : text_(text) {}
    bool done() const { return pos_ == text_.size(); }
    bool take(char c) {
        if (pos_ >= text_.size() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    bool peek_sign_or_digit() const {
        return pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                                       text_[pos_] == '+' || text_[pos_] == '-');
    }

    // "CET", or "<+0330>" for names that are not letters.
    std::optional<std::string> name() {
        if (take('<')) {
            const auto close = text_.find('>', pos_);
            if (close == std::string_view::npos || close == pos_) return std::nullopt;
            std::string out(text_.substr(pos_, close - pos_));
            pos_ = close + 1;
            return out;
        }
        const auto start = pos_;
        while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (pos_ - start < 3) return std::nullopt;
        return std::string(text_.substr(start, pos_ - start));
    }

    std::optional<int> number(int max) {
        const auto start = pos_;
        int value = 0;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            value = value * 10 + (text_[pos_++] - '0');
            if (value > max) return std::nullopt;
        }
        if (pos_ == start) return std::nullopt;
        return value;
    }

    // [+-]hh[:mm[:ss]]; hours up to 167 (RFC 8536's extension of POSIX).
    std::optional<seconds> clock_time() {
        const bool negative = take('-');
        if (!negative) take('+');
        const auto h = number(167);
        if (!h) return std::nullopt;
        int m = 0, s = 0;
        if (take(':')) {
            const auto mm = number(59);
            if (!mm) return std::nullopt;
            m = *mm;
            if (take(':')) {
                const auto ss = number(59);
                if (!ss) return std::nullopt;
                s = *ss;
            }
        }
        const seconds total{*h * 3600 + m * 60 + s};
        return negative ? -total : total;
    }

    std::optional<PosixTzRule::RuleDate> rule_date() {
        PosixTzRule::RuleDate date;
        if (take('M')) {
            date.kind = PosixTzRule::RuleDate::Kind::month_week_day;
            const auto month = number(12);
            if (!month || *month < 1 || !take('.')) return std::nullopt;
            const auto week = number(5);
            if (!week || *week < 1 || !take('.')) return std::nullopt;
            const auto weekday = number(6);
            if (!weekday) return std::nullopt;
            date.month = *month;
            date.week = *week;
            date.weekday = *weekday;
        } else if (take('J')) {
            date.kind = PosixTzRule::RuleDate::Kind::julian_no_leap;
            const auto day = number(365);
            if (!day || *day < 1) return std::nullopt;
            date.day = *day;
        } else {
            date.kind = PosixTzRule::RuleDate::Kind::zero_based;
            const auto day = number(365);
            if (!day) return std::nullopt;
            date.day = *day;
        }
        if (take('/')) {
            const auto time = clock_time();
            if (!time) return std::nullopt;
            date.time = *time;
        }
        return date;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

std::chrono::sys_days day_of(int year, const PosixTzRule::RuleDate& date) {
    using namespace std::chrono;
    const sys_days january_first{std::chrono::year{year} / January / 1};
    switch (date.kind) {
        case PosixTzRule::RuleDate::Kind::julian_no_leap: {
            const bool skip_leap_day = std::chrono::year{year}.is_leap() && date.day >= 60;
            return january_first + days{date.day - 1 + (skip_leap_day ? 1 : 0)};
        }
        case PosixTzRule::RuleDate::Kind::zero_based:
            return january_first + days{date.day};
        case PosixTzRule::RuleDate::Kind::month_week_day:
            break;
    }
    const auto month = std::chrono::month{static_cast<unsigned>(date.month)};
    const weekday wanted{static_cast<unsigned>(date.weekday)};
    const sys_days first{std::chrono::year{year} / month / 1};
    sys_days day = first + (wanted - weekday{first}) + weeks{date.week - 1};
    const sys_days last{std::chrono::year{year} / month / std::chrono::last};
    while (day > last) day -= weeks{1};  // week 5: the last such weekday
    return day;
}

// ---- the TZif file ---------------------------------------------------------

class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
    bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
    std::size_t position() const { return pos_; }
    void skip(std::size_t n) { pos_ += n; }
    std::string_view take(std::size_t n) {
        const auto out = bytes_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(bytes_[pos_++]); }
    std::int64_t big_endian(std::size_t width) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i) value = (value << 8) | u8();
        if (width == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
        return static_cast<std::int64_t>(value);
    }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

struct TzifCounts {
    std::size_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

    std::size_t body_size(std::size_t time_size) const {
        return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
               isstdcnt + isutcnt;
    }
};

Error bad_tzif(const std::string& name, const std::string& why) {
    return Error{"bad_tzif", "the time zone file of " + name + " is unreadable: " + why,
                 "reinstall Debian's tzdata package"};
}

// The 44-byte header: magic, version, then six counts.
std::optional<TzifCounts> read_header(ByteReader& in, char& version) {
    if (!in.has(44) || in.take(4) != "TZif") return std::nullopt;
    version = static_cast<char>(in.u8());
    in.skip(15);
    TzifCounts c;
    for (std::size_t* field :
         {&c.isutcnt, &c.isstdcnt, &c.leapcnt, &c.timecnt, &c.typecnt, &c.charcnt})
        *field = static_cast<std::size_t>(static_cast<std::uint32_t>(in.big_endian(4)));
    return c;
}

std::string designation(std::string_view chars, std::size_t index) {
    if (index >= chars.size()) return {};
    const auto end = chars.find('\0', index);
    return std::string(chars.substr(index, end == std::string_view::npos ? end : end - index));
}

std::string offset_name(seconds offset) {
    const long total = static_cast<long>(offset.count());
    const long magnitude = total < 0 ? -total : total;
    char buffer[48];
    if (magnitude % 3600 == 0)
        std::snprintf(buffer, sizeof buffer, "%c%02ld", total < 0 ? '-' : '+', magnitude / 3600);
    else
        std::snprintf(buffer, sizeof buffer, "%c%02ld%02ld", total < 0 ? '-' : '+',
                      magnitude / 3600, magnitude % 3600 / 60);
    return buffer;
}

bool valid_zone_name(const std::string& name) {
    static const std::regex pattern("^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$");
    return std::regex_match(name, pattern);
}

}  // namespace

// ---- PosixTzRule -------------------------------------------------------------

Result<PosixTzRule> PosixTzRule::parse(std::string_view text) {
    const Error bad{"bad_tz_rule", "'" + std::string(text) + "' is not a POSIX TZ rule", ""};
    TzReader in(text);
    PosixTzRule rule;
    const auto std_name = in.name();
    const auto std_offset = std_name ? in.clock_time() : std::nullopt;
    if (!std_offset) return bad;
    rule.standard_ = {-*std_offset, false, *std_name};  // POSIX counts west of Greenwich
    if (in.done()) return rule;
    const auto dst_name = in.name();
    if (!dst_name) return bad;
    rule.has_dst_ = true;
    rule.daylight_ = {rule.standard_.utc_offset + seconds{3600}, true, *dst_name};
    if (in.peek_sign_or_digit()) {
        const auto dst_offset = in.clock_time();
        if (!dst_offset) return bad;
        rule.daylight_.utc_offset = -*dst_offset;
    }
    if (in.done()) {  // no rule given: the US one, as glibc assumes
        rule.start_ = {RuleDate::Kind::month_week_day, 3, 2, 0, 0, seconds{7200}};
        rule.end_ = {RuleDate::Kind::month_week_day, 11, 1, 0, 0, seconds{7200}};
        return rule;
    }
    if (!in.take(',')) return bad;
    const auto start = in.rule_date();
    if (!start || !in.take(',')) return bad;
    const auto end = in.rule_date();
    if (!end || !in.done()) return bad;
    rule.start_ = *start;
    rule.end_ = *end;
    return rule;
}

SysSeconds PosixTzRule::transition(int year, const RuleDate& date, seconds offset) const {
    return SysSeconds{day_of(year, date)} + date.time - offset;
}

ZoneOffset PosixTzRule::at(SysSeconds instant) const {
    if (!has_dst_) return standard_;
    const auto local_day = std::chrono::floor<days>(instant + standard_.utc_offset);
    const int year = static_cast<int>(std::chrono::year_month_day{local_day}.year());
    const auto start = transition(year, start_, standard_.utc_offset);
    const auto end = transition(year, end_, daylight_.utc_offset);
    const bool dst = start < end ? (start <= instant && instant < end)  // northern hemisphere
                                 : !(end <= instant && instant < start);
    return dst ? daylight_ : standard_;
}

// ---- TimeZone ----------------------------------------------------------------

Result<TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
    ByteReader in(bytes);
    char version = 0;
    auto counts = read_header(in, version);
    if (!counts) return bad_tzif(name, "no TZif header");
    if (version < '2') return bad_tzif(name, "a version 1 file; opsbot reads version 2 or later");
    // Skip the 32-bit section: the 64-bit one after it says the same and more.
    if (!in.has(counts->body_size(4))) return bad_tzif(name, "truncated");
    in.skip(counts->body_size(4));
    counts = read_header(in, version);
    if (!counts || !in.has(counts->body_size(8)))
        return bad_tzif(name, "no complete 64-bit section");
    if (counts->typecnt == 0) return bad_tzif(name, "no local time types");

    TimeZone zone;
    zone.name_ = std::move(name);
    std::vector<SysSeconds> times;
    for (std::size_t i = 0; i < counts->timecnt; ++i) times.emplace_back(seconds{in.big_endian(8)});
    for (std::size_t i = 0; i < counts->timecnt; ++i) {
        const std::size_t type = in.u8();
        if (type >= counts->typecnt) return bad_tzif(zone.name_, "a transition to no type");
        zone.transitions_.push_back({times[i], type});
    }
    std::vector<std::pair<ZoneOffset, std::size_t>> types;
    for (std::size_t i = 0; i < counts->typecnt; ++i) {
        ZoneOffset offset;
        offset.utc_offset = seconds{in.big_endian(4)};
        offset.dst = in.u8() != 0;
        types.emplace_back(offset, in.u8());
    }
    const auto chars = in.take(counts->charcnt);
    for (auto& [offset, index] : types) {
        offset.abbreviation = designation(chars, index);
        if (offset.abbreviation.empty() || offset.abbreviation == "-00")
            offset.abbreviation = offset_name(offset.utc_offset);
        zone.types_.push_back(offset);
    }
    // Leap seconds and the standard/UT indicators do not matter here.
    in.skip(counts->leapcnt * 12 + counts->isstdcnt + counts->isutcnt);

    if (in.has(2) && in.u8() == '\n') {
        const auto rest = bytes.substr(in.position());
        const auto footer = rest.substr(0, rest.find('\n'));
        if (!footer.empty()) {
            auto rule = PosixTzRule::parse(footer);
            if (!rule) return bad_tzif(zone.name_, rule.error().message);
            zone.footer_ = std::move(rule).value();
        }
    }
    return zone;
}

TimeZone TimeZone::utc() {
    TimeZone zone;
    zone.name_ = "UTC";
    zone.types_.push_back({seconds{0}, false, "UTC"});
    return zone;
}

ZoneOffset TimeZone::offset_at(SysSeconds instant) const {
    const auto after = std::upper_bound(
        transitions_.begin(), transitions_.end(), instant,
        [](SysSeconds t, const Transition& transition) { return t < transition.at; });
    if (after == transitions_.end() && footer_) return footer_->at(instant);
    // Before the first transition, type 0 (RFC 8536, 3.2).
    if (after == transitions_.begin()) return types_.front();
    return types_[std::prev(after)->type];
}

LocalSeconds TimeZone::to_local(SysSeconds instant) const {
    return LocalSeconds{(instant + offset_at(instant).utc_offset).time_since_epoch()};
}

SysSeconds TimeZone::to_utc(LocalSeconds local) const {
    // The offsets a day either side: no zone changes twice within two days.
    const SysSeconds as_if_utc{local.time_since_epoch()};
    const auto before = offset_at(as_if_utc - days{1}).utc_offset;
    const auto after = offset_at(as_if_utc + days{1}).utc_offset;
    const SysSeconds with_before = as_if_utc - before;
    const SysSeconds with_after = as_if_utc - after;
    const bool before_fits = offset_at(with_before).utc_offset == before;
    const bool after_fits = offset_at(with_after).utc_offset == after;
    if (before_fits && after_fits) return std::min(with_before, with_after);  // overlap: earlier
    if (after_fits) return with_after;
    return with_before;  // also a gap: the offset before it moves the time forward
}

std::string format_local(SysSeconds instant, const TimeZone& zone) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    const auto offset = zone.offset_at(instant);
    const auto local = instant + offset.utc_offset;
    const auto day = floor<days>(local);
    const year_month_day date{day};
    const hh_mm_ss<seconds> clock{local - day};
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s %04d-%02u-%02u %02d:%02d %s",
                  kDays[weekday{day}.c_encoding()], static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()), offset.abbreviation.c_str());
    return buffer;
}

// ---- TimeZones ---------------------------------------------------------------

TimeZones::TimeZones(std::string directory) : directory_(std::move(directory)) {}

Result<std::shared_ptr<const TimeZone>> TimeZones::get(const std::string& name) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (const auto found = loaded_.find(name); found != loaded_.end()) return found->second;
    auto zone = load(name);
    if (zone) loaded_.emplace(name, zone.value());
    return zone;
}

Result<std::shared_ptr<const TimeZone>> TimeZones::load(const std::string& name) const {
    namespace fs = std::filesystem;
    const fs::path path = fs::path(directory_) / name;
    std::error_code error;
    if (valid_zone_name(name) && fs::is_regular_file(path, error)) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        auto zone = TimeZone::from_tzif(name, bytes.str());
        if (!zone) return zone.error();
        return std::make_shared<const TimeZone>(std::move(zone).value());
    }
    if (name == "UTC") return std::make_shared<const TimeZone>(TimeZone::utc());
    if (!fs::is_directory(directory_, error))
        return Error{"no_time_zones", "no time zone database at " + directory_,
                     "install Debian's tzdata package (apt-get install tzdata)"};
    const auto hint = did_you_mean(name, known_names());
    return Error{"unknown_time_zone", "unknown time zone '" + name + "'",
                 (hint.empty() ? std::string{} : hint + " ") +
                     "use an IANA name such as Europe/Berlin, America/New_York or UTC (the "
                     "files under " +
                     directory_ + ")"};
}

// Zone names under the folder, for suggestions: not the posix/ and right/
// copies, nor the tables and lowercase helper files.
std::vector<std::string> TimeZones::known_names() const {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    std::error_code error;
    for (fs::recursive_directory_iterator it(directory_, error), end; !error && it != end;
         it.increment(error)) {
        const auto relative = it->path().lexically_relative(directory_).generic_string();
        if (it->is_directory(error) && (relative == "posix" || relative == "right")) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(error) && std::isupper(static_cast<unsigned char>(relative[0])) &&
            relative.find('.') == std::string::npos)
            names.push_back(relative);
    }
    std::sort(names.begin(), names.end());
    return names;
}

TimeZones& system_time_zones() {
    static TimeZones zones;
    return zones;
}

}  // namespace opsbot
