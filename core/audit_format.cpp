// Names for the audit enums and the three ways audit rows are printed. No SQL
// here: this is the core library.

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/audit.hpp"

namespace opsbot {
namespace {

// The names are the enum identifiers, and they are what the database stores:
// renaming one breaks old rows and their hashes.
constexpr std::array<std::pair<Outcome, const char*>, 11> kOutcomeNames{{
    {Outcome::accepted, "accepted"},
    {Outcome::denied, "denied"},
    {Outcome::parse_error, "parse_error"},
    {Outcome::confirmed, "confirmed"},
    {Outcome::cancelled, "cancelled"},
    {Outcome::expired, "expired"},
    {Outcome::started, "started"},
    {Outcome::succeeded, "succeeded"},
    {Outcome::failed, "failed"},
    {Outcome::rejected, "rejected"},
    {Outcome::duplicate, "duplicate"},
}};

constexpr std::array<std::pair<Source, const char*>, 6> kSourceNames{{
    {Source::slack, "slack"},
    {Source::modal, "modal"},
    {Source::console, "console"},
    {Source::webhook, "webhook"},
    {Source::cli, "cli"},
    {Source::system, "system"},
}};

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
    for (const auto& [candidate, name] : names) {
        if (candidate == value) return name;
    }
    return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, const char*>, N>& names,
                             std::string_view text) {
    for (const auto& [value, name] : names) {
        if (text == name) return value;
    }
    return std::nullopt;
}

// Audit text is whatever people typed, so it may hold invalid UTF-8; a
// replacement character is better than an exception in an export.
std::string dump(const nlohmann::ordered_json& value) {
    return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::ordered_json args_value(const std::string& args_json) {
    auto parsed = nlohmann::ordered_json::parse(args_json, nullptr, false);
    if (parsed.is_discarded()) return args_json;
    return parsed;
}

std::string json_line(const AuditRecord& r) {
    nlohmann::ordered_json line;
    line["id"] = r.id;
    line["time"] = format_iso8601(r.time);
    line["correlation_id"] = r.correlation_id;
    line["actor_id"] = r.actor_id;
    line["actor_name"] = r.actor_name;
    line["source"] = to_string(r.source);
    line["channel"] = r.channel;
    line["thread"] = r.thread;
    line["command"] = r.command;
    line["args"] = args_value(r.args_json);
    line["project"] = r.project;
    line["environment"] = r.environment;
    line["outcome"] = to_string(r.outcome);
    line["external_ref"] = r.external_ref;
    line["duration_ms"] = r.duration_ms ? nlohmann::ordered_json(*r.duration_ms) : nullptr;
    line["error"] = r.error;
    line["replica"] = r.replica;
    line["hash"] = r.hash;
    return dump(line) + "\n";
}

std::string format_json(const std::vector<AuditRecord>& records) {
    std::string out;
    for (const auto& record : records) out += json_line(record);
    return out;
}

// RFC 4180: quote a field holding a comma, quote or line break, and double
// the quotes inside it.
std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
    std::string row;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) row += ',';
        row += csv_field(fields[i]);
    }
    return row + "\r\n";
}

std::string format_csv(const std::vector<AuditRecord>& records) {
    std::string out =
        csv_row({"id", "time", "correlation_id", "actor_id", "actor_name", "source", "channel",
                 "thread", "command", "args", "project", "environment", "outcome", "external_ref",
                 "duration_ms", "error", "replica", "hash"});
    for (const auto& r : records) {
        out += csv_row({std::to_string(r.id), format_iso8601(r.time), r.correlation_id, r.actor_id,
                        r.actor_name, to_string(r.source), r.channel, r.thread, r.command,
                        r.args_json, r.project, r.environment, to_string(r.outcome), r.external_ref,
                        r.duration_ms ? std::to_string(*r.duration_ms) : "", r.error, r.replica,
                        r.hash});
    }
    return out;
}

// Columns are measured in code points, not bytes, so names with accents
// still line up.
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
}

// One line per row: line breaks and tabs would break the columns, and very
// long commands would push everything else off screen.
std::string cell(std::string_view text, std::size_t max_width) {
    std::string flat;
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const bool starts_code_point = (byte & 0xc0) != 0x80;
        if (starts_code_point && width == max_width) {
            // Drop the last code point to make room for the ellipsis.
            while (!flat.empty() && (static_cast<unsigned char>(flat.back()) & 0xc0) == 0x80)
                flat.pop_back();
            if (!flat.empty()) flat.pop_back();
            return flat + "…";
        }
        if (starts_code_point) ++width;
        flat += (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    }
    return flat;
}

std::string table_time(TimePoint time) {
    // "2026-11-24T22:13:47.123Z" -> "2026-11-24 22:13:47"
    std::string text = format_iso8601(time);
    text[10] = ' ';
    return text.substr(0, 19);
}

std::vector<std::string> table_cells(const AuditRecord& r) {
    const std::string& actor = r.actor_name.empty() ? r.actor_id : r.actor_name;
    std::string where = r.project;
    if (!r.environment.empty()) where += "/" + r.environment;
    const std::string duration =
        r.duration_ms ? format_duration(std::chrono::milliseconds(*r.duration_ms)) : "";
    const std::string note = r.error.empty() ? r.external_ref : "error: " + r.error;
    return {table_time(r.time),  cell(actor, 20), to_string(r.source),
            cell(r.replica, 16), cell(where, 24), to_string(r.outcome),
            cell(r.command, 48), duration,        cell(note, 60)};
}

std::string format_table(const std::vector<AuditRecord>& records) {
    if (records.empty()) return "no audit rows match\n";
    std::vector<std::vector<std::string>> rows = {{"time (UTC)", "actor", "source", "replica",
                                                   "project/env", "outcome", "command", "duration",
                                                   "ref/error"}};
    for (const auto& record : records) rows.push_back(table_cells(record));
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], display_width(row[c]));
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) line += "  ";
            line += row[c];
            line.append(widths[c] - display_width(row[c]), ' ');
        }
        // No trailing blanks when the last columns are empty.
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

}  // namespace

const char* to_string(Outcome outcome) {
    return name_of(kOutcomeNames, outcome);
}

std::optional<Outcome> parse_outcome(std::string_view text) {
    return value_of(kOutcomeNames, text);
}

const char* to_string(Source source) {
    return name_of(kSourceNames, source);
}

std::optional<Source> parse_source(std::string_view text) {
    return value_of(kSourceNames, text);
}

std::string format_audit(const std::vector<AuditRecord>& records, AuditFormat format) {
    switch (format) {
        case AuditFormat::json:
            return format_json(records);
        case AuditFormat::csv:
            return format_csv(records);
        case AuditFormat::table:
            return format_table(records);
    }
    return format_table(records);
}

}  // namespace opsbot
