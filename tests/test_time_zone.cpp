// Time zones from the system's TZif files (Debian's tzdata), checked against
// known facts and against zdump, the C library's own reading of the same files.

#include <catch2/catch.hpp>

#include <sstream>

#include "core/time_zone.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

SysSeconds utc(const std::string& iso) {
    const auto parsed = parse_iso8601(iso);
    REQUIRE(parsed);
    return std::chrono::floor<std::chrono::seconds>(*parsed);
}

LocalSeconds local(const std::string& iso_without_z) {
    return LocalSeconds{utc(iso_without_z + "Z").time_since_epoch()};
}

std::shared_ptr<const TimeZone> zone(const std::string& name) {
    auto loaded = system_time_zones().get(name);
    INFO(name << ": " << (loaded ? "" : loaded.error().message));
    REQUIRE(loaded);
    return loaded.value();
}

std::string at(const TimeZone& z, const std::string& iso) {
    const auto offset = z.offset_at(utc(iso));
    return offset.abbreviation + " " + std::to_string(offset.utc_offset.count() / 60) + "m" +
           (offset.dst ? " dst" : "");
}

std::string iso(SysSeconds t) {
    return format_iso8601(t);
}

// Every transition zdump lists for zone between two years: the instant (UT)
// and the offset after it.
std::vector<std::pair<SysSeconds, long>> zdump_transitions(const std::string& zone_name,
                                                           const std::string& years) {
    const auto run = test::run_process({"/usr/bin/zdump", {"-v", "-c", years, zone_name}, {}});
    REQUIRE(run.exit_code == 0);
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::vector<std::pair<SysSeconds, long>> out;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        // "Europe/Berlin  Sun Mar 29 01:00:00 2026 UT = Sun Mar 29 03:00:00 2026 CEST isdst=1
        // gmtoff=7200"; the first of each pair is the second before the change.
        std::istringstream words(line);
        std::string name, weekday, month, clock, ut;
        int day = 0, year = 0;
        if (!(words >> name >> weekday >> month >> day >> clock >> year >> ut) || ut != "UT")
            continue;
        if (clock.substr(6) == "59") continue;
        const auto m = std::find(std::begin(kMonths), std::end(kMonths), month) - kMonths + 1;
        const auto gmtoff = line.substr(line.rfind("gmtoff=") + 7);
        char date[32];
        std::snprintf(date, sizeof date, "%04d-%02ld-%02dT%sZ", year, static_cast<long>(m), day,
                      clock.c_str());
        out.emplace_back(utc(date), std::stol(gmtoff));
    }
    return out;
}

}  // namespace

TEST_CASE("time zone: Europe/Berlin is CET +1 and CEST +2, changing on the EU dates",
          "[freeze][time_zone]") {
    const auto berlin = zone("Europe/Berlin");
    CHECK(berlin->name() == "Europe/Berlin");
    CHECK(at(*berlin, "2026-01-15T12:00:00Z") == "CET 60m");
    CHECK(at(*berlin, "2026-03-29T00:59:59Z") == "CET 60m");
    CHECK(at(*berlin, "2026-03-29T01:00:00Z") == "CEST 120m dst");
    CHECK(at(*berlin, "2026-10-25T00:59:59Z") == "CEST 120m dst");
    CHECK(at(*berlin, "2026-10-25T01:00:00Z") == "CET 60m");
    CHECK(berlin->to_local(utc("2026-07-01T10:00:00Z")) == local("2026-07-01T12:00:00"));
    CHECK(berlin->to_utc(local("2026-12-24T15:00:00")) == utc("2026-12-24T14:00:00Z"));
    CHECK(format_local(utc("2026-11-30T07:00:00Z"), *berlin) == "Mon 2026-11-30 08:00 CET");
}

TEST_CASE("time zone: America/New_York is EST -5 and EDT -4", "[freeze][time_zone]") {
    const auto new_york = zone("America/New_York");
    CHECK(at(*new_york, "2026-03-08T06:59:59Z") == "EST -300m");
    CHECK(at(*new_york, "2026-03-08T07:00:00Z") == "EDT -240m dst");
    CHECK(at(*new_york, "2026-11-01T05:59:59Z") == "EDT -240m dst");
    CHECK(at(*new_york, "2026-11-01T06:00:00Z") == "EST -300m");
    CHECK(new_york->to_utc(local("2026-07-04T09:00:00")) == utc("2026-07-04T13:00:00Z"));
}

TEST_CASE("time zone: UTC, and UTC without a database", "[freeze][time_zone]") {
    const auto z = zone("UTC");
    CHECK(at(*z, "2026-06-01T00:00:00Z") == "UTC 0m");
    test::TempDir empty;
    TimeZones none(empty.path().string());
    const auto builtin = none.get("UTC");
    REQUIRE(builtin);
    CHECK(builtin.value()->to_utc(local("2026-06-01T08:00:00")) == utc("2026-06-01T08:00:00Z"));
}

TEST_CASE("time zone: local times in a gap move forward, in an overlap take the earlier",
          "[freeze][time_zone]") {
    const auto berlin = zone("Europe/Berlin");
    // 02:30 does not happen on 2026-03-29: read with CET it is 03:30 CEST.
    CHECK(iso(berlin->to_utc(local("2026-03-29T02:30:00"))) == "2026-03-29T01:30:00.000Z");
    CHECK(iso(berlin->to_utc(local("2026-03-29T03:00:00"))) == "2026-03-29T01:00:00.000Z");
    CHECK(iso(berlin->to_utc(local("2026-03-29T01:59:00"))) == "2026-03-29T00:59:00.000Z");
    // 02:30 happens twice on 2026-10-25: first as CEST.
    CHECK(iso(berlin->to_utc(local("2026-10-25T02:30:00"))) == "2026-10-25T00:30:00.000Z");
    CHECK(iso(berlin->to_utc(local("2026-10-25T03:00:00"))) == "2026-10-25T02:00:00.000Z");
    const auto new_york = zone("America/New_York");
    CHECK(iso(new_york->to_utc(local("2026-03-08T02:30:00"))) == "2026-03-08T07:30:00.000Z");
    CHECK(iso(new_york->to_utc(local("2026-11-01T01:30:00"))) == "2026-11-01T05:30:00.000Z");
}

TEST_CASE("time zone: past the file's last transition the footer rule decides",
          "[freeze][time_zone]") {
    // Debian's files list transitions to 2037; 2040 and 2100 come from the
    // POSIX TZ rule at the end of the file.
    const auto berlin = zone("Europe/Berlin");
    CHECK(at(*berlin, "2040-03-25T00:59:59Z") == "CET 60m");
    CHECK(at(*berlin, "2040-03-25T01:00:00Z") == "CEST 120m dst");
    CHECK(at(*berlin, "2040-10-28T01:00:00Z") == "CET 60m");
    CHECK(at(*berlin, "2100-07-01T00:00:00Z") == "CEST 120m dst");
    const auto sydney = zone("Australia/Sydney");  // the southern hemisphere: DST over New Year
    CHECK(at(*sydney, "2040-01-01T00:00:00Z") == "AEDT 660m dst");
    CHECK(at(*sydney, "2040-03-31T15:59:59Z") == "AEDT 660m dst");
    CHECK(at(*sydney, "2040-03-31T16:00:00Z") == "AEST 600m");
    CHECK(at(*sydney, "2040-10-06T16:00:00Z") == "AEDT 660m dst");
}

TEST_CASE("time zone: a slim file (no transitions listed) lives on its footer",
          "[freeze][time_zone]") {
    test::TempDir dir;
    dir.write("slim.zi",
              "Rule EU 1981 max - Mar lastSun 1:00u 1:00 S\n"
              "Rule EU 1996 max - Oct lastSun 1:00u 0 -\n"
              "Zone Test/Slim 1:00 EU CE%sT\n");
    const auto compiled = test::run_process(
        {"/usr/sbin/zic", {"-b", "slim", "-d", dir.file("zones"), dir.file("slim.zi")}, {}});
    REQUIRE(compiled.exit_code == 0);
    TimeZones zones(dir.file("zones"));
    const auto slim = zones.get("Test/Slim");
    REQUIRE(slim);
    CHECK(at(*slim.value(), "2026-03-29T00:59:59Z") == "CET 60m");
    CHECK(at(*slim.value(), "2026-03-29T01:00:00Z") == "CEST 120m dst");
    CHECK(at(*slim.value(), "2026-10-25T01:00:00Z") == "CET 60m");
    CHECK(iso(slim.value()->to_utc(local("2026-10-25T02:30:00"))) == "2026-10-25T00:30:00.000Z");
}

TEST_CASE("time zone: every transition agrees with zdump", "[freeze][time_zone]") {
    for (const std::string name :
         {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Europe/Dublin",
          "America/Sao_Paulo", "Asia/Tehran", "Pacific/Chatham", "America/Nuuk"}) {
        const auto z = zone(name);
        const auto transitions = zdump_transitions(name, "1990,2050");
        INFO(name);
        CHECK(transitions.size() > 2);
        for (const auto& [instant, offset] : transitions) {
            INFO(iso(instant));
            CHECK(z->offset_at(instant).utc_offset.count() == offset);
            CHECK(z->offset_at(instant - 1s).utc_offset.count() != offset);
        }
    }
}

TEST_CASE("time zone: unknown names get a suggestion and never leave the folder",
          "[freeze][time_zone]") {
    const auto typo = system_time_zones().get("Europe/Berln");
    REQUIRE_FALSE(typo);
    CHECK(typo.error().code == "unknown_time_zone");
    CHECK(typo.error().message == "unknown time zone 'Europe/Berln'");
    CHECK_THAT(typo.error().hint, Catch::StartsWith("did you mean 'Europe/Berlin'?"));
    const auto escape = system_time_zones().get("../../etc/passwd");
    REQUIRE_FALSE(escape);
    CHECK(escape.error().code == "unknown_time_zone");
    TimeZones missing("/nonexistent/zoneinfo");
    const auto none = missing.get("Europe/Berlin");
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "no time zone database at /nonexistent/zoneinfo");
    CHECK(none.error().hint == "install Debian's tzdata package (apt-get install tzdata)");
}

TEST_CASE("time zone: damaged files are refused, not guessed", "[freeze][time_zone]") {
    CHECK(TimeZone::from_tzif("X", "").error().message ==
          "the time zone file of X is unreadable: no TZif header");
    std::string truncated(44, '\0');
    truncated.replace(0, 5, "TZif2");
    truncated[20 + 4 * 3 + 3] = 5;  // timecnt 5, and no data
    CHECK(TimeZone::from_tzif("X", truncated).error().message ==
          "the time zone file of X is unreadable: truncated");
    std::string v1_only(44, '\0');
    v1_only.replace(0, 5, "TZif2");
    CHECK(TimeZone::from_tzif("X", v1_only).error().message ==
          "the time zone file of X is unreadable: no complete 64-bit section");
    CHECK(TimeZone::from_tzif("X", "TZif1" + std::string(39, '\0')).error().message ==
          "the time zone file of X is unreadable: a version 1 file; opsbot reads version 2 or "
          "later");
}

TEST_CASE("time zone: POSIX TZ rules", "[freeze][time_zone]") {
    const auto eu = PosixTzRule::parse("CET-1CEST,M3.5.0,M10.5.0/3");
    REQUIRE(eu);
    CHECK(eu.value().at(utc("2026-03-29T01:00:00Z")).abbreviation == "CEST");
    const auto tehran = PosixTzRule::parse("<+0330>-3:30");
    REQUIRE(tehran);
    CHECK(tehran.value().at(utc("2026-06-01T00:00:00Z")).utc_offset == 210min);
    CHECK(tehran.value().at(utc("2026-06-01T00:00:00Z")).abbreviation == "+0330");
    // Julian days (Feb 29 not counted) and an hour past 24.
    const auto julian = PosixTzRule::parse("AAA3BBB,J60/2,J300/26");
    REQUIRE(julian);
    CHECK(julian.value().at(utc("2028-03-01T04:59:59Z")).abbreviation == "AAA");
    CHECK(julian.value().at(utc("2028-03-01T05:00:00Z")).abbreviation == "BBB");
    for (const char* bad : {"", "C-1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
                            "<+03", "CET-1CEST,M3.5.0,M10.5.0/x"})
        CHECK_FALSE(PosixTzRule::parse(bad));
}
