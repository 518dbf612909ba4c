#include "core/freeze_config.hpp"

#include <charconv>
#include <cstdio>
#include <set>

#include "core/time_zone.hpp"

namespace opsbot {
namespace {

const std::vector<std::string> kWindowKeys{"name", "every", "from", "to", "time_zone"};
const std::vector<std::string> kDayNames{"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};
constexpr const char* kEveryExample = "friday 15:00 to monday 08:00";
constexpr int kMinutesPerDay = 24 * 60;

std::optional<int> number(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "15:00" or "8:30" → minutes since midnight; "24:00" only when allowed.
std::optional<std::chrono::minutes> clock_time(std::string_view text, bool allow_midnight_end) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() - colon != 3)
        return std::nullopt;
    const auto h = number(text.substr(0, colon));
    const auto m = number(text.substr(colon + 1));
    if (!h || !m || *h < 0 || *m < 0 || *m > 59) return std::nullopt;
    const int total = *h * 60 + *m;
    if (total > kMinutesPerDay || (total == kMinutesPerDay && !allow_midnight_end))
        return std::nullopt;
    return std::chrono::minutes{total};
}

std::optional<std::chrono::weekday> day_named(const std::string& word) {
    for (unsigned i = 0; i < kDayNames.size(); ++i)
        if (word == kDayNames[i] || (word.size() == 3 && kDayNames[i].substr(0, 3) == word))
            return std::chrono::weekday{i};
    return std::nullopt;
}

// One side of "friday 15:00 to monday 08:00".
bool read_week_time(ConfigChecker& c, const YAML::Node& node, const std::string& where,
                    const std::string& day, const std::string& time, bool end, WeekTime& out) {
    const auto weekday = day_named(day);
    if (!weekday) {
        const auto hint = did_you_mean(day, kDayNames);
        c.problem(node, "unknown day '" + day + "' in 'every' of " + where,
                  hint.empty() ? "use monday … sunday (or mon … sun)" : hint);
        return false;
    }
    const auto minutes = clock_time(time, end);
    if (!minutes) {
        c.problem(
            node, "'" + time + "' is not a time of day in 'every' of " + where,
            std::string("use 24-hour HH:MM, e.g. 15:00") + (end ? " (24:00 for midnight)" : ""));
        return false;
    }
    out = {*weekday, *minutes};
    return true;
}

int minute_of_week(const WeekTime& t) {
    return static_cast<int>(t.day.c_encoding()) * kMinutesPerDay + static_cast<int>(t.time.count());
}

void read_weekly(ConfigChecker& c, const YAML::Node& node, FreezeWindow& w,
                 const std::string& where) {
    const auto words = split(to_lower(node.Scalar()), ' ');
    if (words.size() != 5 || words[2] != "to") {
        c.problem(node, "'every: " + node.Scalar() + "' in " + where + " is not a weekly window",
                  std::string("write it as '<day> HH:MM to <day> HH:MM', e.g. 'every: ") +
                      kEveryExample + "'");
        return;
    }
    if (!read_week_time(c, node, where, words[0], words[1], false, w.weekly_start) ||
        !read_week_time(c, node, where, words[3], words[4], true, w.weekly_end))
        return;
    if (minute_of_week(w.weekly_start) % (7 * kMinutesPerDay) ==
        minute_of_week(w.weekly_end) % (7 * kMinutesPerDay))
        c.problem(node, where + " starts and ends at the same time",
                  "give an end that differs from the start, e.g. 'every: " +
                      std::string(kEveryExample) + "'");
    w.kind = FreezeWindow::Kind::weekly;
    w.schedule = "every " + freeze_window_keys(w).front().second;
}

// "2026-12-24" (its start, or its end for `to`), "2027-01-02 08:00" or "…T08:00".
std::optional<std::chrono::local_seconds> date_time(const std::string& text, bool end) {
    using namespace std::chrono;
    const auto date = parse_iso8601(text.substr(0, 10));
    if (!date || (text.size() > 10 && text.size() != 16)) return std::nullopt;
    const local_seconds day{floor<seconds>(date->time_since_epoch())};
    if (text.size() == 10) return end ? day + days{1} : day;
    if (text[10] != ' ' && text[10] != 'T') return std::nullopt;
    const auto time = clock_time(text.substr(11), false);
    if (!time) return std::nullopt;
    return day + *time;
}

void read_dated(ConfigChecker& c, const YAML::Node& node, FreezeWindow& w,
                const std::string& where) {
    const auto from_text = c.text(node, "from", where, true);
    const auto to_text = c.text(node, "to", where, true);
    if (from_text.empty() || to_text.empty()) return;
    const auto from = date_time(from_text, false);
    const auto to = date_time(to_text, true);
    for (const auto& [key, parsed] : {std::pair{"from", from}, std::pair{"to", to}})
        if (!parsed)
            c.problem(node[key],
                      "'" + std::string(key) + ": " + node[key].Scalar() + "' in " + where +
                          " is not a date or date and time",
                      "use YYYY-MM-DD or YYYY-MM-DD HH:MM (24-hour), e.g. 2026-12-24 or "
                      "2027-01-02 08:00");
    if (!from || !to) return;
    if (*to <= *from)
        c.problem(node["to"],
                  where + " ends (to: " + to_text + ") before it starts (from: " + from_text + ")",
                  "give a 'to' after 'from'; a whole date as 'to' means through the end of that "
                  "day");
    w.kind = FreezeWindow::Kind::dated;
    w.from = *from;
    w.to = *to;
    const auto keys = freeze_window_keys(w);
    w.schedule = keys[0].second + " to " + keys[1].second;
}

void read_zone(ConfigChecker& c, const YAML::Node& node, FreezeWindow& w,
               const std::string& where) {
    w.time_zone = c.text(node, "time_zone", where, false);
    if (w.time_zone.empty()) {
        c.problem(node, where + " has no time_zone",
                  "add 'time_zone: Europe/Berlin' (an IANA name: the wall clock the times are on)");
        return;
    }
    auto zone = system_time_zones().get(w.time_zone);
    if (zone)
        w.zone = zone.value();
    else
        c.problem(node["time_zone"], zone.error().message, zone.error().hint);
}

FreezeWindow read_window(ConfigChecker& c, const YAML::Node& node, const std::string& project,
                         const std::string& owner) {
    FreezeWindow w;
    w.project = project;
    w.location = c.at(node);
    if (!c.expect(node, YAML::NodeType::Map, "a freeze window of " + owner)) return w;
    w.name = c.text(node, "name", "a freeze window of " + owner, true);
    const std::string where =
        "freeze window " + (w.name.empty() ? std::string("of ") + owner : "'" + w.name + "'");
    c.known_keys(node, kWindowKeys, where);
    const bool weekly = node["every"].IsDefined();
    const bool dated = node["from"].IsDefined() || node["to"].IsDefined();
    if (weekly && dated)
        c.problem(node, where + " has both 'every' and 'from'/'to'",
                  "split it in two windows: one weekly (every), one dated (from, to)");
    else if (weekly && c.expect(node["every"], YAML::NodeType::Scalar, "'every' in " + where))
        read_weekly(c, node["every"], w, where);
    else if (dated)
        read_dated(c, node, w, where);
    else
        c.problem(node, where + " says neither when it recurs nor when it is",
                  std::string("add 'every: ") + kEveryExample +
                      "', or 'from: 2026-12-24' and 'to: 2027-01-02 08:00'");
    read_zone(c, node, w, where);
    return w;
}

std::string week_time_text(const WeekTime& t) {
    char clock[8];
    std::snprintf(clock, sizeof clock, "%02d:%02d", static_cast<int>(t.time.count() / 60),
                  static_cast<int>(t.time.count() % 60));
    return kDayNames[t.day.c_encoding()] + " " + clock;
}

// A whole date when the time is midnight: the start of the day for `from`,
// the end of the day before for `to`.
std::string date_time_text(std::chrono::local_seconds at, bool end) {
    using namespace std::chrono;
    const auto day = floor<days>(at);
    const bool midnight = at == day;
    const year_month_day date{end && midnight ? day - days{1} : day};
    const hh_mm_ss<seconds> clock{at - day};
    char text[24];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    if (midnight) return text;
    char time[8];
    std::snprintf(time, sizeof time, " %02d:%02d", static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()));
    return std::string(text) + time;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> freeze_window_keys(const FreezeWindow& w) {
    if (w.kind == FreezeWindow::Kind::weekly)
        return {{"every", week_time_text(w.weekly_start) + " to " + week_time_text(w.weekly_end)}};
    return {{"from", date_time_text(w.from, false)}, {"to", date_time_text(w.to, true)}};
}

std::vector<FreezeWindow> read_freeze_windows(ConfigChecker& c, const YAML::Node& parent,
                                              const std::string& project,
                                              const std::string& where) {
    std::vector<FreezeWindow> windows;
    const auto list = parent["freeze"];
    if (!list || !c.expect(list, YAML::NodeType::Sequence, "'freeze' in " + where)) return windows;
    std::set<std::string> names;
    for (const auto& node : list) {
        auto window = read_window(c, node, project, where);
        if (!window.name.empty() && !names.insert(window.name).second)
            c.problem(node["name"],
                      "two freeze windows of " + where + " are named '" + window.name + "'",
                      "give each window its own name: refusals and `freeze` name them");
        windows.push_back(std::move(window));
    }
    return windows;
}

}  // namespace opsbot
