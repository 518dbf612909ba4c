#include "core/freeze.hpp"

#include <algorithm>

#include "core/time_zone.hpp"

namespace opsbot {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::weeks;

constexpr int kMinutesPerWeek = 7 * 24 * 60;

const TimeZone& zone_of(const FreezeWindow& window) {
    static const TimeZone utc = TimeZone::utc();
    return window.zone ? *window.zone : utc;  // a catalogue that loaded always has one
}

FreezePeriod period(const FreezeWindow& window, std::chrono::local_seconds from,
                    std::chrono::local_seconds to) {
    const TimeZone& zone = zone_of(window);
    return {window, zone.to_utc(from), zone.to_utc(to)};
}

minutes weekly_length(const FreezeWindow& w) {
    const auto at = [](const WeekTime& t) {
        return static_cast<int>(t.day.c_encoding()) * 24 * 60 + static_cast<int>(t.time.count());
    };
    return minutes{((at(w.weekly_end) - at(w.weekly_start)) % kMinutesPerWeek + kMinutesPerWeek) %
                   kMinutesPerWeek};
}

// The weekly periods around `at`: the one whose start is the last at or
// before it on the wall clock, the week before and the week after. Three, so
// that a clock change near either end cannot leave `at` between them.
std::vector<FreezePeriod> weekly_periods_around(const FreezeWindow& w, TimePoint at) {
    const auto local = zone_of(w).to_local(std::chrono::floor<seconds>(at));
    const auto today = std::chrono::floor<days>(local);
    const std::chrono::weekday weekday{today};
    auto start = today - (weekday - w.weekly_start.day) + w.weekly_start.time;
    if (start > local) start -= weeks{1};
    const auto length = weekly_length(w);
    std::vector<FreezePeriod> periods;
    for (int k = -1; k <= 1; ++k) {
        const auto from = start + weeks{k};
        periods.push_back(period(w, from, from + length));
    }
    return periods;
}

}  // namespace

FlagSpec freeze_override_flag() {
    return FlagSpec{.name = kFreezeOverrideFlag,
                    .help = "release during a freeze window, saying why",
                    .value_name = "reason",
                    .type = ParamType::word,
                    .permission = kFreezeOverridePermission,
                    .second_person = true};
}

std::vector<const FreezeWindow*> freeze_windows_for(const Catalogue& catalogue,
                                                    const std::string& project) {
    std::vector<const FreezeWindow*> windows;
    for (const auto& w : catalogue.freeze) windows.push_back(&w);
    if (const Project* p = catalogue.find_project(project))
        for (const auto& w : p->freeze) windows.push_back(&w);
    return windows;
}

std::optional<FreezePeriod> period_at(const FreezeWindow& window, TimePoint at) {
    if (window.kind == FreezeWindow::Kind::dated) {
        auto dated = period(window, window.from, window.to);
        if (dated.starts <= at && at < dated.ends) return dated;
        return std::nullopt;
    }
    for (auto& p : weekly_periods_around(window, at))
        if (p.starts <= at && at < p.ends) return std::move(p);
    return std::nullopt;
}

std::optional<FreezePeriod> next_period(const FreezeWindow& window, TimePoint after) {
    if (window.kind == FreezeWindow::Kind::dated) {
        auto dated = period(window, window.from, window.to);
        if (dated.starts > after) return dated;
        return std::nullopt;
    }
    for (auto& p : weekly_periods_around(window, after))
        if (p.starts > after) return std::move(p);
    return std::nullopt;  // unreachable: the last of the three starts a week ahead
}

std::optional<FreezePeriod> freeze_in_force(const Catalogue& catalogue, const std::string& project,
                                            TimePoint now) {
    std::optional<FreezePeriod> latest;
    for (const FreezeWindow* w : freeze_windows_for(catalogue, project)) {
        auto p = period_at(*w, now);
        if (p && (!latest || p->ends > latest->ends)) latest = std::move(p);
    }
    return latest;
}

std::vector<FreezePeriod> upcoming_freezes(const Catalogue& catalogue, const std::string& project,
                                           TimePoint now) {
    std::vector<FreezePeriod> periods;
    for (const FreezeWindow* w : freeze_windows_for(catalogue, project))
        if (auto p = next_period(*w, now)) periods.push_back(std::move(*p));
    std::stable_sort(
        periods.begin(), periods.end(),
        [](const FreezePeriod& a, const FreezePeriod& b) { return a.starts < b.starts; });
    return periods;
}

std::string freeze_scope(const FreezeWindow& window) {
    return window.project.empty() ? "everyone" : window.project;
}

std::string freeze_time_text(const FreezeWindow& window, TimePoint at) {
    const auto instant = std::chrono::floor<seconds>(at);
    const std::string local = format_local(instant, zone_of(window));  // "Mon 2026-11-30 08:00 CET"
    const std::string utc = format_iso8601(instant);                   // "2026-11-30T07:00:00.000Z"
    const bool same_day = local.compare(4, 10, utc, 0, 10) == 0;
    return local + " (" + (same_day ? "" : utc.substr(0, 10) + " ") + utc.substr(11, 5) + " UTC)";
}

std::string format_span(seconds span) {
    const long total = static_cast<long>(std::chrono::ceil<minutes>(span).count());
    if (total <= 0) return "0m";
    const long d = total / (24 * 60), h = total / 60 % 24, m = total % 60;
    if (d > 0) return std::to_string(d) + "d" + (h > 0 ? " " + std::to_string(h) + "h" : "");
    if (h > 0) return std::to_string(h) + "h" + (m > 0 ? " " + std::to_string(m) + "m" : "");
    return std::to_string(m) + "m";
}

std::string describe_freeze(const FreezePeriod& period, TimePoint now) {
    return "freeze window '" + period.window.name + "' (" + freeze_scope(period.window) +
           ") is in force until " + freeze_time_text(period.window, period.ends) + ", in " +
           format_span(std::chrono::duration_cast<seconds>(period.ends - now));
}

Error frozen_error(const FreezePeriod& period, TimePoint now, const std::string& what,
                   const std::string& where, const std::string& command_text) {
    return Error{"frozen", "Cannot " + what + " " + where + ": " + describe_freeze(period, now),
                 "wait until it ends, or, if it cannot wait, `" + command_text + " --" +
                     kFreezeOverrideFlag + " \"<reason>\"`: that needs the " +
                     kFreezeOverridePermission +
                     " permission and the approval of a second person who holds it"};
}

std::string freeze_override_note(const std::optional<FreezePeriod>& period,
                                 const std::string& reason) {
    if (!period) return "freeze override (no window in force): " + reason;
    return "freeze override: " + period->window.name + " (" + freeze_scope(period->window) +
           ", until " + format_iso8601(period->ends) + "): " + reason;
}

}  // namespace opsbot
