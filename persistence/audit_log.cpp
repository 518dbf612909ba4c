#include "persistence/audit_log.hpp"

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/audit_chain.hpp"
#include "core/group_commit.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot::db {
namespace {

// The stored columns in one place, so the writer, the readers and the row
// decoder cannot drift apart.
constexpr const char* kColumns =
    "id, time, correlation_id, actor_id, actor_name, source, channel, thread, command, "
    "args_json, project, environment, outcome, external_ref, duration_ms, error, prev_hash, hash, "
    "replica";

// Rows store milliseconds; trimming here makes append() return exactly what
// query() reads back.
TimePoint to_milliseconds(TimePoint time) {
    return std::chrono::time_point_cast<TimePoint::duration>(
        std::chrono::floor<std::chrono::milliseconds>(time));
}

// Secrets masked, and every text valid UTF-8 (PostgreSQL refuses anything
// else), before the row is hashed: what is stored is what the hash covers.
void clean_text(AuditEntry& entry) {
    for (auto* text :
         {&entry.command, &entry.args_json, &entry.error, &entry.external_ref, &entry.actor_name})
        *text = redact(valid_utf8(*text));
    for (auto* text : {&entry.correlation_id, &entry.actor_id, &entry.channel, &entry.thread,
                       &entry.project, &entry.environment, &entry.replica})
        *text = valid_utf8(*text);
}

// Unknown names can only come from an edited row; they are kept as they are
// in the hash content, so reading them must not throw.
Source source_or_system(const std::string& text) {
    return parse_source(text).value_or(Source::system);
}

AuditRecord read_record(const Statement& row) {
    AuditRecord record;
    record.id = row.column_int(0);
    record.time = parse_iso8601(row.column_text(1)).value_or(TimePoint{});
    record.correlation_id = row.column_text(2);
    record.actor_id = row.column_text(3);
    record.actor_name = row.column_text(4);
    record.source = source_or_system(row.column_text(5));
    record.channel = row.column_text(6);
    record.thread = row.column_text(7);
    record.command = row.column_text(8);
    record.args_json = row.column_text(9);
    record.project = row.column_text(10);
    record.environment = row.column_text(11);
    record.outcome = parse_outcome(row.column_text(12)).value_or(Outcome::failed);
    record.external_ref = row.column_text(13);
    if (!row.column_is_null(14)) record.duration_ms = row.column_int(14);
    record.error = row.column_text(15);
    record.prev_hash = row.column_text(16);
    record.hash = row.column_text(17);
    record.replica = row.column_text(18);
    return record;
}

// verify() hashes the columns exactly as stored, not as decoded into enums,
// so that an edited source or outcome name still changes the hash.
std::string stored_content(const Statement& row) {
    nlohmann::json content = nlohmann::json::array();
    for (int column = 1; column <= 15; ++column) {
        if (column == 14 && row.column_is_null(column)) {
            content.push_back(nullptr);
        } else if (column == 14) {
            content.push_back(row.column_int(column));
        } else {
            content.push_back(row.column_text(column));
        }
    }
    // As audit_content_for_hash: the replica only when the row has one.
    if (const auto replica = row.column_text(18); !replica.empty()) content.push_back(replica);
    return content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string last_hash(Database& db) {
    auto statement = db.prepare("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
    return statement.step() ? statement.column_text(0) : audit_genesis_hash();
}

std::int64_t insert(Database& db, const AuditRecord& record) {
    auto statement = db.prepare(
        "INSERT INTO audit_log (time, correlation_id, actor_id, actor_name, source, channel, "
        "thread, command, args_json, project, environment, outcome, external_ref, duration_ms, "
        "error, prev_hash, hash, replica) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    statement.bind(1, format_iso8601(record.time))
        .bind(2, record.correlation_id)
        .bind(3, record.actor_id)
        .bind(4, record.actor_name)
        .bind(5, to_string(record.source))
        .bind(6, record.channel)
        .bind(7, record.thread)
        .bind(8, record.command)
        .bind(9, record.args_json)
        .bind(10, record.project)
        .bind(11, record.environment)
        .bind(12, to_string(record.outcome))
        .bind(13, record.external_ref)
        .bind(14, record.duration_ms)
        .bind(15, record.error)
        .bind(16, record.prev_hash)
        .bind(17, record.hash)
        .bind(18, record.replica);
    return returned_id(statement);
}

// Builds "SELECT ... WHERE ..." for a query and remembers the values to bind,
// in order.
struct QuerySql {
    std::string sql;
    std::vector<std::string> values;
    int conditions = 0;

    void where(std::string_view condition) {
        sql += conditions++ == 0 ? " WHERE " : " AND ";
        sql += condition;
    }
};

QuerySql build_query(const AuditQuery& query) {
    QuerySql built{std::string("SELECT ") + kColumns + " FROM audit_log", {}, 0};
    if (query.since) {
        built.where("time >= ?");
        built.values.push_back(format_iso8601(*query.since));
    }
    if (!query.project.empty()) {
        built.where("project = ?");
        built.values.push_back(query.project);
    }
    if (!query.actor.empty()) {
        built.where("(actor_id = ? OR lower(actor_name) = lower(?))");
        built.values.push_back(query.actor);
        built.values.push_back(query.actor);
    }
    if (!query.correlation_id.empty()) {
        built.where("correlation_id = ?");
        built.values.push_back(query.correlation_id);
    }
    if (query.outcome) {
        built.where("outcome = ?");
        built.values.push_back(to_string(*query.outcome));
    }
    // id order is append order, which stays right even if the clock stepped back.
    built.sql += " ORDER BY id DESC";
    if (query.limit > 0) {
        // Bound, not written into the SQL: one prepared statement for every limit.
        built.sql += " LIMIT ?";
        built.values.push_back(std::to_string(query.limit));
    }
    return built;
}

}  // namespace

struct AuditLog::Impl {
    Impl(Connections& connections, const Clock& time_source)
        : pool(connections),
          clock(time_source),
          appends([this](const auto& group) { append_group(group); }) {}

    // Appends that arrive together share one transaction: one turn of the
    // chain's lock and one commit for the group, each row linked to the one
    // before it in the group.
    void append_group(const std::vector<AuditRecord*>& group) {
        auto db = pool.borrow();
        Transaction transaction(*db, Serialize::audit_chain);
        // Read under the chain's lock rather than cached: another opsbot
        // process (the console, a replica) may have appended since our last row.
        std::string prev_hash = last_hash(*db);
        for (auto* record : group) {
            record->prev_hash = prev_hash;
            record->time = to_milliseconds(clock.now());
            record->hash = audit_chain_hash(record->prev_hash, audit_content_for_hash(*record));
            record->id = insert(*db, *record);
            prev_hash = record->hash;
        }
        transaction.commit();
    }

    Connections& pool;
    const Clock& clock;
    GroupCommit<AuditRecord> appends;
};

AuditLog::AuditLog(Connections& pool, const Clock& clock)
    : impl_(std::make_unique<Impl>(pool, clock)) {}

AuditLog::~AuditLog() = default;

AuditRecord AuditLog::append(AuditEntry entry) {
    clean_text(entry);
    AuditRecord record;
    static_cast<AuditEntry&>(record) = std::move(entry);

    impl_->appends.submit(record);
    return record;
}

std::vector<AuditRecord> AuditLog::query(const AuditQuery& query) const {
    const auto built = build_query(query);
    auto db = impl_->pool.borrow();
    auto statement = db->prepare(built.sql);
    for (std::size_t i = 0; i < built.values.size(); ++i)
        statement.bind(static_cast<int>(i) + 1, built.values[i]);
    std::vector<AuditRecord> records;
    while (statement.step()) records.push_back(read_record(statement));
    return records;
}

AuditVerification AuditLog::verify() const {
    auto db = impl_->pool.borrow();
    auto statement = db->prepare(std::string("SELECT ") + kColumns + " FROM audit_log ORDER BY id");
    AuditChainCheck chain;
    while (statement.step()) {
        if (!chain.add(statement.column_int(0), statement.column_text(16),
                       statement.column_text(17), stored_content(statement)))
            break;
    }
    return chain.result();
}

}  // namespace opsbot::db
