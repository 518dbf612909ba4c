

#include "core/text.hpp"
#include "persistence/ops_stores.hpp"

namespace opsbot::db {
namespace {

constexpr const char* kColumns =
    "id, correlation_id, command, requester_id, requester_name, requester_groups, source, "
    "channel, thread, project, environment, digest, created_at, expires_at, state, decided_by, "
    "decided_at";

Confirmation read_confirmation(const Statement& row) {
    Confirmation c;
    c.id = row.column_text(0);
    c.correlation_id = row.column_text(1);
    c.command = row.column_text(2);
    c.requester_id = row.column_text(3);
    c.requester_name = row.column_text(4);
    c.requester_groups = split(row.column_text(5), ',');
    c.source = parse_source(row.column_text(6)).value_or(Source::slack);
    c.channel = row.column_text(7);
    c.thread = row.column_text(8);
    c.project = row.column_text(9);
    c.environment = row.column_text(10);
    c.digest = row.column_text(11);
    c.created = parse_iso8601(row.column_text(12)).value_or(TimePoint{});
    c.expires = parse_iso8601(row.column_text(13)).value_or(TimePoint{});
    c.state = parse_confirmation_state(row.column_text(14)).value_or(ConfirmationState::expired);
    c.decided_by = row.column_text(15);
    if (!row.column_is_null(16)) c.decided = parse_iso8601(row.column_text(16));
    return c;
}

}  // namespace

void SqlConfirmationStore::create(const Confirmation& c) {
    auto db = pool_.borrow();
    auto insert = db->prepare(std::string("INSERT INTO confirmations (") + kColumns +
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)");
    insert.bind(1, c.id)
        .bind(2, c.correlation_id)
        .bind(3, c.command)
        .bind(4, c.requester_id)
        .bind(5, c.requester_name)
        .bind(6, join(c.requester_groups, ","))
        .bind(7, to_string(c.source))
        .bind(8, c.channel)
        .bind(9, c.thread)
        .bind(10, c.project)
        .bind(11, c.environment)
        .bind(12, c.digest)
        .bind(13, format_iso8601(c.created))
        .bind(14, format_iso8601(c.expires))
        .bind(15, to_string(c.state))
        .bind(16, c.decided_by);
    insert.run();
}

std::optional<Confirmation> SqlConfirmationStore::find(const std::string& id) const {
    auto db = pool_.borrow();
    auto select =
        db->prepare(std::string("SELECT ") + kColumns + " FROM confirmations WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) return std::nullopt;
    return read_confirmation(select);
}

// A transaction: the expiry sweep's decisions are fenced by its lease.
bool SqlConfirmationStore::decide(const std::string& id, ConfirmationState state,
                                  const std::string& decided_by, TimePoint when) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    auto update = db->prepare(
        "UPDATE confirmations SET state = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND state = 'pending'");
    update.bind(1, to_string(state)).bind(2, decided_by).bind(3, format_iso8601(when)).bind(4, id);
    update.run();
    const bool decided = update.changes() == 1;
    transaction.commit();
    return decided;
}

// ISO 8601 times of one width compare as text.
std::vector<Confirmation> SqlConfirmationStore::expired(TimePoint now, int limit) const {
    auto db = pool_.borrow();
    auto select = db->prepare(std::string("SELECT ") + kColumns +
                              " FROM confirmations WHERE state = 'pending' AND expires_at < ? "
                              "ORDER BY expires_at LIMIT ?");
    select.bind(1, format_iso8601(now)).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Confirmation> out;
    while (select.step()) out.push_back(read_confirmation(select));
    return out;
}

}  // namespace opsbot::db
