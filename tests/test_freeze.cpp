// Freeze windows: read from the catalogue by the real loader (problems with
// their lines), and evaluated at chosen instants.

#include <catch2/catch.hpp>

#include "core/catalogue_writer.hpp"
#include "core/config_loader.hpp"
#include "core/freeze.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

constexpr const char* kProjects = R"(
projects:
  - slug: acme
    name: ACME
    channel: "#acme"
    environments:
      stage: {jenkins_job: acme/stage}
      prod: {jenkins_job: acme/prod}
    freeze:
      - name: Launch
        from: 2026-12-01 09:00
        to: 2026-12-03
        time_zone: America/New_York
  - slug: globex
    name: Globex
    channel: "#globex"
    environments:
      stage: {jenkins_job: globex/stage}
      prod: {jenkins_job: globex/prod}
)";

Catalogue catalogue_with(const std::string& freeze_yaml) {
    const auto loaded = parse_catalogue(std::string(kProjects) + freeze_yaml, "f.yaml");
    INFO(format_problems(loaded.problems));
    REQUIRE(loaded.ok());
    return loaded.catalogue;
}

const Catalogue& weekend_and_christmas() {
    static const Catalogue catalogue = catalogue_with(R"(
freeze:
  - name: Weekend
    every: friday 15:00 to monday 08:00
    time_zone: Europe/Berlin
  - name: Christmas
    from: 2026-12-24
    to: 2027-01-02 08:00
    time_zone: Europe/Berlin
)");
    return catalogue;
}

TimePoint at(const std::string& iso) {
    const auto parsed = parse_iso8601(iso);
    REQUIRE(parsed);
    return *parsed;
}

// "Weekend 2026-11-27T14:00:00.000Z..2026-11-30T07:00:00.000Z", or "none".
std::string in_force(const Catalogue& catalogue, const std::string& project,
                     const std::string& iso) {
    const auto p = freeze_in_force(catalogue, project, at(iso));
    if (!p) return "none";
    return p->window.name + " " + format_iso8601(p->starts) + ".." + format_iso8601(p->ends);
}

std::vector<std::string> problems_of(const std::string& freeze_yaml) {
    const auto loaded = parse_catalogue(std::string(kProjects) + freeze_yaml, "f.yaml");
    std::vector<std::string> out;
    for (const auto& p : loaded.problems)
        out.push_back(std::to_string(p.where.line) + ": " + p.message + " | " + p.fix);
    return out;
}

}  // namespace

TEST_CASE("freeze: a weekly window that wraps the week's end", "[freeze]") {
    const auto& c = weekend_and_christmas();
    const std::string weekend = "Weekend 2026-11-27T14:00:00.000Z..2026-11-30T07:00:00.000Z";
    CHECK(in_force(c, "acme", "2026-11-27T13:59:59Z") == "none");  // Friday 14:59 in Berlin
    CHECK(in_force(c, "acme", "2026-11-27T14:00:00Z") == weekend);
    CHECK(in_force(c, "acme", "2026-11-28T12:00:00Z") == weekend);  // Saturday
    CHECK(in_force(c, "acme", "2026-11-29T23:30:00Z") == weekend);  // Monday 00:30 in Berlin
    CHECK(in_force(c, "acme", "2026-11-30T06:59:59Z") == weekend);
    CHECK(in_force(c, "acme", "2026-11-30T07:00:00Z") == "none");
    CHECK(in_force(c, "globex", "2026-11-28T12:00:00Z") == weekend);  // everyone's
    const auto next = next_period(c.freeze[0], at("2026-11-30T07:00:00Z"));
    REQUIRE(next);
    CHECK(format_iso8601(next->starts) == "2026-12-04T14:00:00.000Z");
}

TEST_CASE("freeze: a window that starts later in the week than it ends, and one within a day",
          "[freeze]") {
    const auto c = catalogue_with(R"(
freeze:
  - name: Nights
    every: tue 22:00 to wed 06:00
    time_zone: UTC
  - name: Long
    every: wednesday 12:00 to tuesday 12:00
    time_zone: UTC
)");
    CHECK(in_force(c, "globex", "2026-12-01T23:00:00Z") ==
          "Nights 2026-12-01T22:00:00.000Z..2026-12-02T06:00:00.000Z");
    // Long covers all but Tuesday 12:00 to Wednesday 12:00.
    CHECK(in_force(c, "globex", "2026-12-01T12:00:00Z") == "none");
    CHECK(in_force(c, "globex", "2026-12-02T11:59:00Z") == "none");
    CHECK(in_force(c, "globex", "2026-12-02T12:00:00Z") ==
          "Long 2026-12-02T12:00:00.000Z..2026-12-08T12:00:00.000Z");
}

TEST_CASE("freeze: a dated window, whole dates running to the end of the day", "[freeze]") {
    const auto& c = weekend_and_christmas();
    const std::string christmas = "Christmas 2026-12-23T23:00:00.000Z..2027-01-02T07:00:00.000Z";
    CHECK(in_force(c, "acme", "2026-12-23T22:59:59Z") == "none");  // a Wednesday
    CHECK(in_force(c, "acme", "2026-12-23T23:00:00Z") == christmas);
    const auto last = period_at(c.freeze[1], at("2027-01-02T06:59:59Z"));
    REQUIRE(last);
    CHECK(format_iso8601(last->ends) == "2027-01-02T07:00:00.000Z");
    CHECK_FALSE(period_at(c.freeze[1], at("2027-01-02T07:00:00Z")));
    CHECK(in_force(c, "acme", "2027-01-04T12:00:00Z") == "none");
    // acme's own Launch: whole-date `to` is through 2026-12-03, New York time.
    CHECK(in_force(c, "acme", "2026-12-03T12:00:00Z") ==
          "Launch 2026-12-01T14:00:00.000Z..2026-12-04T05:00:00.000Z");
    CHECK(in_force(c, "globex", "2026-12-03T12:00:00Z") == "none");
    CHECK_FALSE(next_period(c.freeze[1], at("2027-01-02T07:00:00Z")));  // over
}

TEST_CASE("freeze: of overlapping windows, the one that ends last is in force", "[freeze]") {
    const auto& c = weekend_and_christmas();
    // Saturday 2026-12-26: both hold; Christmas ends later.
    CHECK_THAT(in_force(c, "acme", "2026-12-26T12:00:00Z"), Catch::StartsWith("Christmas "));
    // Friday 2027-01-01 16:00 in Berlin: Christmas ends Saturday 08:00, the weekend Monday.
    CHECK_THAT(in_force(c, "acme", "2027-01-01T15:00:00Z"), Catch::StartsWith("Weekend "));
}

TEST_CASE("freeze: weekly windows keep their wall-clock times across DST changes", "[freeze]") {
    const auto c = catalogue_with(R"(
freeze:
  - name: Weekend
    every: saturday 12:00 to monday 08:00
    time_zone: Europe/Berlin
  - name: Gap
    every: sunday 02:30 to sunday 04:00
    time_zone: Europe/Berlin
)");
    // Spring forward on Sunday 2026-03-29: starts at CET, ends at CEST.
    const auto spring = period_at(c.freeze[0], at("2026-03-29T12:00:00Z"));
    REQUIRE(spring);
    CHECK(format_iso8601(spring->starts) == "2026-03-28T11:00:00.000Z");
    CHECK(format_iso8601(spring->ends) == "2026-03-30T06:00:00.000Z");
    // Fall back on Sunday 2026-10-25: the other way round.
    const auto autumn = period_at(c.freeze[0], at("2026-10-25T12:00:00Z"));
    REQUIRE(autumn);
    CHECK(format_iso8601(autumn->starts) == "2026-10-24T10:00:00.000Z");
    CHECK(format_iso8601(autumn->ends) == "2026-10-26T07:00:00.000Z");
    // 02:30 does not happen on 2026-03-29: the window starts at 03:30 CEST.
    const auto gap = next_period(c.freeze[1], at("2026-03-28T00:00:00Z"));
    REQUIRE(gap);
    CHECK(format_iso8601(gap->starts) == "2026-03-29T01:30:00.000Z");
    CHECK(format_iso8601(gap->ends) == "2026-03-29T02:00:00.000Z");
}

TEST_CASE("freeze: upcoming windows, soonest first, and the texts people read", "[freeze]") {
    const auto& c = weekend_and_christmas();
    const auto now = at("2026-11-30T07:00:00Z");
    const auto next = upcoming_freezes(c, "acme", now);
    REQUIRE(next.size() == 3);
    CHECK(next[0].window.name == "Launch");
    CHECK(next[1].window.name == "Weekend");
    CHECK(next[2].window.name == "Christmas");
    CHECK(upcoming_freezes(c, "globex", now).size() == 2);

    const auto saturday = at("2026-11-28T22:50:00Z");
    const auto weekend = freeze_in_force(c, "acme", saturday);
    REQUIRE(weekend);
    CHECK(describe_freeze(*weekend, saturday) ==
          "freeze window 'Weekend' (everyone) is in force until Mon 2026-11-30 08:00 CET "
          "(07:00 UTC), in 1d 8h");
    CHECK(freeze_time_text(c.freeze[1], at("2026-12-23T23:00:00Z")) ==
          "Thu 2026-12-24 00:00 CET (2026-12-23 23:00 UTC)");
    const auto frozen = frozen_error(*weekend, saturday, "deploy", "acme prod", "deploy acme prod");
    CHECK(frozen.code == "frozen");
    CHECK_THAT(frozen.message,
               Catch::StartsWith("Cannot deploy acme prod: freeze window 'Weekend'"));
    CHECK(frozen.hint ==
          "wait until it ends, or, if it cannot wait, `deploy acme prod --override-freeze "
          "\"<reason>\"`: that needs the freeze-override permission and the approval of a second "
          "person who holds it");
    CHECK(freeze_override_note(weekend, "checkout is down") ==
          "freeze override: Weekend (everyone, until 2026-11-30T07:00:00.000Z): checkout is down");
    CHECK(freeze_override_note(std::nullopt, "x") == "freeze override (no window in force): x");
}

TEST_CASE("freeze: spans read in days, hours and minutes, rounded up", "[freeze]") {
    CHECK(format_span(0s) == "0m");
    CHECK(format_span(1s) == "1m");
    CHECK(format_span(45min) == "45m");
    CHECK(format_span(2h + 10min) == "2h 10m");
    CHECK(format_span(2h + 9min + 1s) == "2h 10m");
    CHECK(format_span(3h) == "3h");
    CHECK(format_span(24h * 3 + 4h) == "3d 4h");
    CHECK(format_span(24h * 2) == "2d");
}

TEST_CASE("freeze: check-config reports bad windows with their line and a fix",
          "[freeze][config]") {
    CHECK(problems_of(R"(
freeze:
  - name: Weekend
    every: fridy 15:00 to monday 08:00
    time_zone: Europe/Berln
  - name: Late
    every: friday 25:00 to monday 08:00
    time_zone: UTC
  - name: Shape
    every: friday 15:00 until monday
    time_zone: UTC
  - name: Backwards
    from: 2026-12-24
    to: 2026-12-20 08:00
    time_zone: UTC
  - name: Both
    every: friday 15:00 to monday 08:00
    from: 2026-12-24
    time_zone: UTC
  - name: Neither
    time_zone: UTC
  - name: Zoneless
    every: mon 08:00 to mon 08:00
  - name: Weekend
    from: 24.12.2026
    to: 2026-12-26
    time_zone: UTC
    note: hi
)") == std::vector<std::string>{
           "23: unknown day 'fridy' in 'every' of freeze window 'Weekend' | did you mean "
           "'friday'?",
           "24: unknown time zone 'Europe/Berln' | did you mean 'Europe/Berlin'? use an IANA "
           "name such as Europe/Berlin, America/New_York or UTC (the files under "
           "/usr/share/zoneinfo)",
           "26: '25:00' is not a time of day in 'every' of freeze window 'Late' | use 24-hour "
           "HH:MM, e.g. 15:00",
           "29: 'every: friday 15:00 until monday' in freeze window 'Shape' is not a weekly "
           "window | write it as '<day> HH:MM to <day> HH:MM', e.g. 'every: friday 15:00 to "
           "monday 08:00'",
           "33: freeze window 'Backwards' ends (to: 2026-12-20 08:00) before it starts (from: "
           "2026-12-24) | give a 'to' after 'from'; a whole date as 'to' means through the end "
           "of that day",
           "35: freeze window 'Both' has both 'every' and 'from'/'to' | split it in two "
           "windows: one weekly (every), one dated (from, to)",
           "39: freeze window 'Neither' says neither when it recurs nor when it is | add "
           "'every: friday 15:00 to monday 08:00', or 'from: 2026-12-24' and 'to: 2027-01-02 "
           "08:00'",
           "41: freeze window 'Zoneless' has no time_zone | add 'time_zone: Europe/Berlin' (an "
           "IANA name: the wall clock the times are on)",
           "42: freeze window 'Zoneless' starts and ends at the same time | give an end that "
           "differs from the start, e.g. 'every: friday 15:00 to monday 08:00'",
           "43: two freeze windows of the catalogue are named 'Weekend' | give each window its "
           "own name: refusals and `freeze` name them",
           "44: 'from: 24.12.2026' in freeze window 'Weekend' is not a date or date and time | "
           "use YYYY-MM-DD or YYYY-MM-DD HH:MM (24-hour), e.g. 2026-12-24 or 2027-01-02 08:00",
           "47: unknown key 'note' in freeze window 'Weekend' | allowed keys: name, every, "
           "from, to, time_zone",
       });
}

TEST_CASE(
    "freeze: a project's windows are checked as its own, and freeze-override is a "
    "permission",
    "[freeze][config]") {
    const auto project_problems = problems_of(R"(
freeze: {name: Weekend}
roles:
  release-manager:
    permissions: [deploy, freeze-override, freeze-overide]
    environments: [prod]
)");
    CHECK(project_problems ==
          std::vector<std::string>{
              "21: 'freeze' in the catalogue must be a list | see the example in "
              "config/opsbot.yaml",
              "24: unknown permission 'freeze-overide' in role 'release-manager' | did you mean "
              "'freeze-override'?"});
    const auto loaded = parse_catalogue(std::string(kProjects), "f.yaml");
    REQUIRE(loaded.ok());
    const auto& launch = loaded.catalogue.find_project("acme")->freeze.at(0);
    CHECK(launch.project == "acme");
    CHECK(launch.schedule == "2026-12-01 09:00 to 2026-12-03");
    CHECK(freeze_scope(launch) == "acme");
}

TEST_CASE("freeze: export-catalogue writes the windows back as the loader reads them",
          "[freeze][config]") {
    const auto original = catalogue_with(R"(
freeze:
  - name: Weekend
    every: fri 15:00 to mon 08:00
    time_zone: Europe/Berlin
  - name: Christmas
    from: 2026-12-24
    to: 2027-01-02 08:00
    time_zone: Europe/Berlin
)");
    const auto yaml = catalogue_yaml(original, ".");
    CHECK_THAT(yaml, Catch::Contains("every: friday 15:00 to monday 08:00"));
    CHECK_THAT(yaml, Catch::Contains("to: 2026-12-03\n"));  // acme's, a whole date
    const auto reread = parse_catalogue(yaml, "exported.yaml");
    INFO(format_problems(reread.problems) << yaml);
    REQUIRE(reread.ok());
    const auto schedules = [](const Catalogue& c) {
        std::vector<std::string> out;
        for (const auto* w : freeze_windows_for(c, "acme"))
            out.push_back(w->name + ": " + w->schedule + " " + w->time_zone + " " + w->project);
        return out;
    };
    CHECK(schedules(reread.catalogue) == schedules(original));
    CHECK(schedules(original) ==
          std::vector<std::string>{"Weekend: every friday 15:00 to monday 08:00 Europe/Berlin ",
                                   "Christmas: 2026-12-24 to 2027-01-02 08:00 Europe/Berlin ",
                                   "Launch: 2026-12-01 09:00 to 2026-12-03 America/New_York acme"});
}
