#include <catch2/catch.hpp>

#include "core/text.hpp"
#include "core/time.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

TEST_CASE("text: suggestions find likely typos only", "[text]") {
    const std::vector<std::string> names{"acme", "globex", "initech"};
    CHECK(did_you_mean("acm", names) == "did you mean 'acme'?");
    CHECK(did_you_mean("globx", names) == "did you mean 'globex'?");
    CHECK(did_you_mean("INITECH", names) == "did you mean 'initech'?");
    CHECK(did_you_mean("zzzz", names).empty());
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("hepl", "help") == 1);
    CHECK(did_you_mean("hepl", {"help", "whoami"}) == "did you mean 'help'?");
}

TEST_CASE("time: ISO 8601 round trip in UTC with milliseconds", "[time]") {
    const auto t = parse_iso8601("2026-11-24T22:13:47.123Z");
    REQUIRE(t);
    CHECK(format_iso8601(*t) == "2026-11-24T22:13:47.123Z");
    CHECK(format_iso8601(*parse_iso8601("2026-11-24")) == "2026-11-24T00:00:00.000Z");
    CHECK(format_iso8601(*parse_iso8601("2026-11-24T01:02:03Z")) == "2026-11-24T01:02:03.000Z");
    CHECK_FALSE(parse_iso8601("2026-02-30"));
    CHECK_FALSE(parse_iso8601("yesterday"));
}

TEST_CASE("time: durations and since", "[time]") {
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("15m") == 15min);
    CHECK(parse_duration("2h") == 2h);
    CHECK(parse_duration("1d") == 24h);
    CHECK(parse_duration("1w") == 168h);
    CHECK_FALSE(parse_duration("soon"));
    CHECK_FALSE(parse_duration("-1h"));
    const auto now = *parse_iso8601("2026-11-24T12:00:00Z");
    CHECK(format_iso8601(*parse_since("1d", now)) == "2026-11-23T12:00:00.000Z");
    CHECK(format_iso8601(*parse_since("2026-11-01", now)) == "2026-11-01T00:00:00.000Z");
    CHECK(format_duration(850ms) == "850 ms");
    CHECK(format_duration(12300ms) == "12.3 s");
    CHECK(format_duration(245s) == "4 min 05 s");
    CHECK(is_valid_date("2024-02-29"));
    CHECK_FALSE(is_valid_date("2026-13-01"));
}

TEST_CASE("valid_utf8: valid text is kept, each invalid byte and NUL become U+FFFD") {
    const std::string bad = "\xEF\xBF\xBD";
    CHECK(valid_utf8("deploy acme — ok ✅ 𝄞") == "deploy acme — ok ✅ 𝄞");
    CHECK(valid_utf8(std::string("a\0b", 3)) == "a" + bad + "b");
    CHECK(valid_utf8("\xff") == bad);
    CHECK(valid_utf8("x\x80y") == "x" + bad + "y");                  // a stray continuation byte
    CHECK(valid_utf8("\xC0\xAF") == bad + bad);                      // an overlong '/'
    CHECK(valid_utf8("\xED\xA0\x80") == bad + bad + bad);            // a surrogate
    CHECK(valid_utf8("\xF4\x90\x80\x80") == bad + bad + bad + bad);  // past U+10FFFF
    CHECK(valid_utf8("\xE2\x9C") == bad + bad);                      // cut short
}
