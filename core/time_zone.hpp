#pragma once
// IANA time zones without the C library's global TZ state: libstdc++ 12 has
// no std::chrono zone database, and setenv("TZ") + localtime_r races with
// every other thread. A zone is read once from its TZif file (RFC 8536,
// the version 2+ 64-bit section), including the POSIX TZ rule in the file's
// footer that covers instants past its last transition ("slim" files stop
// listing transitions early and rely on it).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

using LocalSeconds = std::chrono::local_seconds;  // a wall-clock time, no zone attached
using SysSeconds = std::chrono::sys_seconds;

// The offset from UTC in force at one instant, and its name there.
struct ZoneOffset {
    std::chrono::seconds utc_offset{0};  // local = UTC + utc_offset
    bool dst = false;
    std::string abbreviation;  // "CET", "CEST", "EST"; "+0330" where the zone has none
};

// A POSIX TZ string as found in a TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3".
// Parsed once; internal to TimeZone, exposed for its tests.
class PosixTzRule {
public:
    static Result<PosixTzRule> parse(std::string_view text);
    ZoneOffset at(SysSeconds instant) const;

    // A rule date: Mm.w.d (month, week 1-5 where 5 is the last, weekday),
    // Jn (day 1-365, February 29 never counted) or n (day 0-365).
    struct RuleDate {
        enum class Kind { month_week_day, julian_no_leap, zero_based } kind = Kind::month_week_day;
        int month = 0, week = 0, weekday = 0, day = 0;
        std::chrono::seconds time{7200};  // local time of day it happens at; may be <0 or >24h
    };

private:
    SysSeconds transition(int year, const RuleDate& date, std::chrono::seconds offset) const;

    ZoneOffset standard_;
    ZoneOffset daylight_;
    bool has_dst_ = false;
    RuleDate start_, end_;
};

class TimeZone {
public:
    // A zone from the bytes of a TZif file; name is how it is called ("Europe/Berlin").
    static Result<TimeZone> from_tzif(std::string name, std::string_view bytes);
    // UTC itself, needing no file.
    static TimeZone utc();

    const std::string& name() const { return name_; }
    ZoneOffset offset_at(SysSeconds instant) const;
    LocalSeconds to_local(SysSeconds instant) const;
    // A wall-clock time back to UTC. Twice a year that is not one instant:
    // - in a gap (spring forward: 02:30 does not happen in Berlin on
    //   2026-03-29) the time is read with the offset before the gap, which
    //   moves it forward by the gap's length: 02:30 → 03:30 CEST (01:30 UTC);
    // - in an overlap (fall back: 02:30 happens twice on 2026-10-25) the
    //   earlier instant wins: 02:30 CEST (00:30 UTC).
    // A freeze window that starts at such a time therefore starts as early
    // as the clocks allow, and is never skipped.
    SysSeconds to_utc(LocalSeconds local) const;

private:
    struct Transition {
        SysSeconds at;
        std::size_t type;
    };
    std::string name_;
    std::vector<ZoneOffset> types_;
    std::vector<Transition> transitions_;  // ascending
    std::optional<PosixTzRule> footer_;    // past the last transition
};

// "Mon 2026-11-30 08:00 CET"
std::string format_local(SysSeconds instant, const TimeZone& zone);

inline constexpr const char* kSystemZoneinfo = "/usr/share/zoneinfo";

// Loads zones by IANA name from a zoneinfo folder (Debian's tzdata package),
// each once; safe to share between threads.
class TimeZones {
public:
    explicit TimeZones(std::string directory = kSystemZoneinfo);
    // The error says what is wrong and what to write instead: an unknown name
    // gets the closest known one.
    Result<std::shared_ptr<const TimeZone>> get(const std::string& name);
    const std::string& directory() const { return directory_; }

private:
    Result<std::shared_ptr<const TimeZone>> load(const std::string& name) const;
    std::vector<std::string> known_names() const;

    std::string directory_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const TimeZone>> loaded_;
};

// The zones of /usr/share/zoneinfo, shared by everything that reads the
// catalogue.
TimeZones& system_time_zones();

}  // namespace opsbot
