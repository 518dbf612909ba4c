#pragma once
// What the audit log records and how the rest of opsbot reaches it. The store
// itself lives in persistence/ (the only code that writes SQL); commands and
// the dispatcher see only this interface.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace opsbot {

enum class Outcome {
    accepted,
    denied,
    parse_error,
    confirmed,
    cancelled,
    expired,
    started,
    succeeded,
    failed,
    rejected,   // webhook refused: bad signature, bad token
    duplicate,  // redelivery recognised and not run again
};

// modal: a Slack form's submission (bot/views/forms.hpp), run as the typed
// command would be. Stored as text, so older rows and their hashes are unchanged.
enum class Source { slack, console, webhook, cli, system, modal };

const char* to_string(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view text);
const char* to_string(Source source);
std::optional<Source> parse_source(std::string_view text);

struct AuditEntry {
    std::string correlation_id;
    std::string actor_id;
    std::string actor_name;
    Source source = Source::system;
    std::string channel;
    std::string thread;
    std::string command;    // the text as typed
    std::string args_json;  // the parsed arguments, a JSON object ("{}" when none)
    std::string project;
    std::string environment;
    Outcome outcome = Outcome::accepted;
    std::string external_ref;  // build URL, zone id, object key...
    std::optional<std::int64_t> duration_ms;
    std::string error;
    // The replica that wrote the row (OPSBOT_REPLICA_ID); filled in by the
    // store's owner, not by each caller. Empty on rows from before replicas.
    std::string replica;
};

struct AuditRecord : AuditEntry {
    std::int64_t id = 0;
    TimePoint time;
    std::string prev_hash;  // hex SHA-256 of the previous row, 64 zeros for the first
    std::string hash;       // hex SHA-256 of prev_hash and this row's content
};

struct AuditQuery {
    std::optional<TimePoint> since;
    std::string project;
    std::string actor;  // user id or name
    std::string correlation_id;
    std::optional<Outcome> outcome;
    int limit = 50;  // newest first; 0: no limit
};

struct AuditVerification {
    bool ok = true;
    std::int64_t rows_checked = 0;
    std::optional<std::int64_t> first_bad_row;
    std::string problem;  // why that row does not match
};

class AuditStore {
public:
    virtual ~AuditStore() = default;
    // Durable when it returns; secrets in text fields are redacted first.
    virtual AuditRecord append(AuditEntry entry) = 0;
    virtual std::vector<AuditRecord> query(const AuditQuery& query) const = 0;
    virtual AuditVerification verify() const = 0;
};

enum class AuditFormat { table, json, csv };
// JSON lines (one object per row, ISO 8601 UTC times), CSV with a header row,
// or an aligned table for people.
std::string format_audit(const std::vector<AuditRecord>& records, AuditFormat format);

}  // namespace opsbot
