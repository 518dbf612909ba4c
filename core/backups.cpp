#include "core/backups.hpp"

#include <algorithm>
#include <cstdio>

namespace opsbot {

std::string backup_date_of(const std::string& key) {
    const auto slash = key.rfind('/');
    const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
    if (name.size() >= 10 && is_valid_date(name.substr(0, 10))) return name.substr(0, 10);
    return "";
}

void sort_newest_first(std::vector<BackupObject>& objects) {
    std::sort(objects.begin(), objects.end(), [](const BackupObject& a, const BackupObject& b) {
        if (a.date != b.date) return a.date > b.date;
        return a.modified > b.modified;
    });
}

std::string format_size(std::int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

namespace {

std::string age_of(TimePoint modified, TimePoint now) {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(now - modified).count();
    if (hours < 48) return std::to_string(hours) + " h old";
    return std::to_string(hours / 24) + " days old";
}

// One line per project and whether it is a problem.
std::pair<std::string, bool> describe(const FreshnessRow& row, TimePoint now,
                                      const FreshnessRules& rules) {
    const std::string drill =
        " · last restore drill: " + (row.last_drill ? *row.last_drill : std::string("never"));
    if (!row.error.empty()) return {"❓ *" + row.project + "*: cannot list: " + row.error, true};
    if (!row.newest) return {"🚫 *" + row.project + "*: no backup at all" + drill, true};
    const auto& newest = *row.newest;
    std::string line =
        "*" + row.project +
        "*: " + (newest.date.empty() ? format_iso8601(newest.modified) : newest.date) + ", " +
        format_size(newest.size) + ", " + age_of(newest.modified, now);
    bool problem = false;
    if (now - newest.modified > rules.max_age) {
        line = "⏰ " + line + " — older than " + std::to_string(rules.max_age.count()) + " h";
        problem = true;
    } else if (row.previous && row.previous->size > 0 &&
               static_cast<double>(newest.size) <
                   rules.small_ratio * static_cast<double>(row.previous->size)) {
        line = "📉 " + line + " — much smaller than the one before (" +
               format_size(row.previous->size) + ")";
        problem = true;
    } else {
        line = "✅ " + line;
    }
    return {line + drill, problem};
}

}  // namespace

FreshnessSummary summarise_freshness(const std::vector<FreshnessRow>& rows, TimePoint now,
                                     const FreshnessRules& rules) {
    FreshnessSummary summary;
    std::string lines;
    for (const auto& row : rows) {
        const auto [line, problem] = describe(row, now, rules);
        lines += "• " + line + "\n";
        if (problem) ++summary.problems;
    }
    summary.text = (summary.problems == 0
                        ? "*Backups: all " + std::to_string(rows.size()) + " project(s) fresh*\n"
                        : "*Backups: " + std::to_string(summary.problems) + " of " +
                              std::to_string(rows.size()) + " project(s) need a look*\n") +
                   lines;
    return summary;
}

std::vector<FreshnessRow> collect_freshness(const Catalogue& catalogue, BackupService& backups) {
    std::vector<FreshnessRow> rows;
    for (const auto& project : catalogue.projects) {
        FreshnessRow row;
        row.project = project.slug;
        row.last_drill = backups.last_drill(project.slug);
        const auto listed = backups.list(project.slug, Env::prod);
        if (!listed) {
            row.error = listed.error().message;
        } else {
            const auto& objects = listed.value();
            if (!objects.empty()) row.newest = objects[0];
            if (objects.size() > 1) row.previous = objects[1];
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace opsbot
