#include "persistence/envelope_claims.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/text.hpp"

namespace opsbot::db {
namespace {

std::int64_t unix_ms(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::vector<std::string> first_column(Statement& statement) {
    std::vector<std::string> values;
    while (statement.step()) values.push_back(statement.column_text(0));
    return values;
}

// One row per envelope, and the burst's bodies in one row of
// envelope_bursts (the file journal's records): one statement per burst.
// Claims are inserted in the order of their keys, so that two replicas
// claiming overlapping bursts wait for each other in one order and never
// deadlock. Slack sends UTF-8 JSON; anything else could not be stored as
// text.
struct NewClaims {
    std::vector<std::string> claims;
    std::vector<std::string> envelope_ids;
    std::vector<std::string> bodies;

    void add(std::string_view envelope_id, std::string_view event_id, std::string_view body) {
        claims.push_back(event_id.empty() ? "envelope:" + valid_utf8(envelope_id)
                                          : "event:" + valid_utf8(event_id));
        envelope_ids.push_back(valid_utf8(envelope_id));
        bodies.push_back(valid_utf8(body));
    }
    void add_row(const NewClaims& from, std::size_t i) {
        claims.push_back(from.claims[i]);
        envelope_ids.push_back(from.envelope_ids[i]);
        bodies.push_back(from.bodies[i]);
    }

    // Why the bodies go as one text in the journal's record format, not as
    // a text[]: PostgreSQL reads an array literal a character at a time,
    // and a burst of JSON bodies cost the ack path 10 ms more that way.
    std::string records(TimePoint received) const {
        std::string out;
        std::size_t size = 0;
        for (const auto& body : bodies) size += body.size() + 64;
        out.reserve(size);
        for (std::size_t i = 0; i < bodies.size(); ++i)
            append_envelope_record(out, envelope_ids[i], bodies[i], received);
        return out;
    }

    // The envelope ids of the rows inserted: the claims won.
    std::vector<std::string> insert(Database& db, const std::string& replica,
                                    TimePoint received) const {
        auto insert = db.prepare(
            "WITH burst AS (INSERT INTO envelope_bursts (records) VALUES (?) RETURNING id) "
            "INSERT INTO envelope_claims (claim, envelope_id, replica, burst, received_ms) "
            "SELECT claim, envelope_id, ?, (SELECT id FROM burst), ? FROM "
            "unnest(?::text[], ?::text[]) AS arrived (claim, envelope_id) ORDER BY claim "
            "ON CONFLICT DO NOTHING RETURNING envelope_id");
        insert.bind(1, records(received))
            .bind(2, replica)
            .bind(3, unix_ms(received))
            .bind(4, text_array(claims))
            .bind(5, text_array(envelope_ids));
        return first_column(insert);
    }

    // Of these claims, those this replica holds unhandled: claim → the
    // envelope id it holds them under.
    std::map<std::string, std::string> held(Database& db, const std::string& replica) const {
        auto select = db.prepare(
            "SELECT claim, envelope_id FROM envelope_claims WHERE claim = ANY(?::text[]) AND "
            "replica = ? AND handled_ms IS NULL");
        select.bind(1, text_array(claims)).bind(2, replica);
        std::map<std::string, std::string> out;
        while (select.step()) out[select.column_text(0)] = select.column_text(1);
        return out;
    }

    // Makes this replica's unhandled claims these envelopes'; returns their ids.
    std::vector<std::string> take_back(Database& db, const std::string& replica,
                                       TimePoint received) const {
        auto update = db.prepare(
            "WITH burst AS (INSERT INTO envelope_bursts (records) VALUES (?) RETURNING id) "
            "UPDATE envelope_claims SET envelope_id = arrived.envelope_id, burst = (SELECT id "
            "FROM burst) FROM unnest(?::text[], ?::text[]) AS arrived (claim, envelope_id) "
            "WHERE envelope_claims.claim = arrived.claim AND replica = ? AND handled_ms IS NULL "
            "RETURNING arrived.envelope_id");
        update.bind(1, records(received))
            .bind(2, text_array(claims))
            .bind(3, text_array(envelope_ids))
            .bind(4, replica);
        return first_column(update);
    }
};

// The claims lost to this very replica that nothing here handles: a burst
// whose commit went through while the connection failed was not
// acknowledged, and its delivery again finds it claimed. It is answered now,
// under the new envelope's id.
NewClaims orphans_of(Database& db, const NewClaims& claims, const std::vector<std::string>& won,
                     const std::string& replica,
                     const std::function<bool(const std::string&)>& in_flight) {
    const std::unordered_set<std::string> ours(won.begin(), won.end());
    NewClaims lost;
    for (std::size_t i = 0; i < claims.claims.size(); ++i)
        if (!ours.count(claims.envelope_ids[i])) lost.add_row(claims, i);
    const auto held = lost.held(db, replica);
    NewClaims orphans;
    for (std::size_t i = 0; i < lost.claims.size(); ++i) {
        const auto found = held.find(lost.claims[i]);
        if (found != held.end() && !in_flight(found->second)) orphans.add_row(lost, i);
    }
    return orphans;
}

// Envelope id → body, from the bursts' records.
std::unordered_map<std::string, std::string> bodies_in(Database& db,
                                                       const std::vector<std::string>& bursts) {
    auto select = db.prepare("SELECT records FROM envelope_bursts WHERE id = ANY(?::bigint[])");
    select.bind(1, text_array(bursts));
    std::unordered_map<std::string, std::string> bodies;
    while (select.step())
        for (auto& envelope : parse_envelope_journal(select.column_text(0)))
            bodies[envelope.envelope_id] = std::move(envelope.body);
    return bodies;
}

// The unhandled claims of `from`, made `to`'s, oldest first. Rows another
// transaction holds are skipped: that one is taking them.
// claims: envelope id → its claim, for the handled marks.
std::vector<JournaledEnvelope> move_unhandled(
    Database& db, const std::string& from, const std::string& to,
    std::unordered_map<std::string, std::string>& claims) {
    auto update = db.prepare(
        "UPDATE envelope_claims SET replica = ? WHERE claim IN (SELECT claim FROM "
        "envelope_claims WHERE replica = ? AND handled_ms IS NULL FOR UPDATE SKIP LOCKED) "
        "RETURNING envelope_id, burst, received_ms, claim");
    update.bind(1, to).bind(2, from);
    std::vector<JournaledEnvelope> taken;
    std::vector<std::string> bursts;
    while (update.step()) {
        taken.push_back({update.column_text(0), "",
                         TimePoint(std::chrono::milliseconds(update.column_int(2)))});
        bursts.push_back(update.column_text(1));
        claims[taken.back().envelope_id] = update.column_text(3);
    }
    if (taken.empty()) return taken;
    const auto bodies = bodies_in(db, bursts);
    for (auto& envelope : taken)
        if (const auto found = bodies.find(envelope.envelope_id); found != bodies.end())
            envelope.body = found->second;
    std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) {
        return std::tie(a.received, a.envelope_id) < std::tie(b.received, b.envelope_id);
    });
    return taken;
}

}  // namespace

std::string text_array(const std::vector<std::string>& values) {
    std::size_t size = 2;
    for (const auto& value : values) size += value.size() + 3;
    std::string out;
    out.reserve(size + size / 4);
    out += '{';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (const char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

SqlEnvelopeClaims::SqlEnvelopeClaims(Connections& pool, const Clock& clock, std::string replica)
    : pool_(pool),
      clock_(clock),
      replica_(std::move(replica)),
      handled_marks_([this](const auto& group) { stamp_handled(group); }) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    adopt_log(*db);
    left_over_ = move_unhandled(*db, replica_, replica_, claim_of_);
    transaction.commit();
    for (const auto& envelope : left_over_) pending_.arrived(envelope.envelope_id);
}

// What a version before claims left unhandled in its log is this replica's,
// whichever takes it first.
void SqlEnvelopeClaims::adopt_log(Database& db) {
    auto rows = db.prepare("DELETE FROM envelope_log RETURNING id, records");
    std::vector<std::pair<std::int64_t, std::string>> log;
    while (rows.step()) log.emplace_back(rows.column_int(0), rows.column_text(1));
    if (log.empty()) return;
    std::sort(log.begin(), log.end());
    std::string bytes;
    for (const auto& [id, records] : log) bytes += records;
    NewClaims claims;
    for (const auto& envelope : parse_envelope_journal(bytes))
        claims.add(envelope.envelope_id, "", envelope.body);
    if (!claims.claims.empty()) claims.insert(db, replica_, clock_.now());
}

std::vector<std::size_t> SqlEnvelopeClaims::arrive(const std::vector<Arrival>& arrivals) {
    std::vector<std::size_t> fresh;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < arrivals.size(); ++i)
        if (pending_.arrived(std::string(arrivals[i].envelope_id))) fresh.push_back(i);
    return fresh;
}

std::vector<std::string> SqlEnvelopeClaims::claim(const std::vector<Arrival>& arrivals,
                                                  const std::vector<std::size_t>& fresh) {
    NewClaims claims;
    for (const auto i : fresh)
        claims.add(arrivals[i].envelope_id, arrivals[i].event_id, arrivals[i].body);
    auto db = pool_.borrow();
    auto won = claims.insert(*db, replica_, clock_.now());
    if (won.size() != fresh.size()) {
        const auto orphans = orphans_of(*db, claims, won, replica_, [this](const std::string& id) {
            std::lock_guard lock(mutex_);
            return pending_.contains(id);
        });
        if (!orphans.claims.empty()) {
            const auto taken = orphans.take_back(*db, replica_, clock_.now());
            won.insert(won.end(), taken.begin(), taken.end());
        }
    }
    const std::unordered_set<std::string> ours(won.begin(), won.end());
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < claims.claims.size(); ++i)
        if (ours.count(claims.envelope_ids[i]))
            claim_of_[claims.envelope_ids[i]] = claims.claims[i];
    return won;
}

std::size_t SqlEnvelopeClaims::record(const std::vector<Arrival>& arrivals,
                                      std::vector<bool>* duplicates) {
    if (duplicates) duplicates->assign(arrivals.size(), false);
    const auto fresh = arrive(arrivals);
    std::vector<std::string> won;
    try {
        if (!fresh.empty()) won = claim(arrivals, fresh);
    } catch (...) {
        // Not acknowledged: delivered again (an event) or refused (a command).
        std::lock_guard lock(mutex_);
        for (const auto& arrival : arrivals) pending_.finished(std::string(arrival.envelope_id));
        throw;
    }
    settle(arrivals, fresh, won, duplicates);
    return won.size();
}

// An arrival new to this process that won no row is another delivery's: it
// is not in flight here. One already in flight here (a redelivery while the
// first runs) is this replica's, and the router answers it once.
void SqlEnvelopeClaims::settle(const std::vector<Arrival>& arrivals,
                               const std::vector<std::size_t>& fresh,
                               const std::vector<std::string>& won, std::vector<bool>* duplicates) {
    if (won.size() == fresh.size()) return;
    const std::unordered_set<std::string_view> ours(won.begin(), won.end());
    std::unordered_set<std::string_view> lost;
    for (const auto i : fresh)
        if (!ours.count(valid_utf8(arrivals[i].envelope_id))) lost.insert(arrivals[i].envelope_id);
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
        if (!lost.count(arrivals[i].envelope_id)) continue;
        if (duplicates) (*duplicates)[i] = true;
        pending_.finished(std::string(arrivals[i].envelope_id));
    }
}

std::vector<JournaledEnvelope> SqlEnvelopeClaims::take_over(const std::string& replica) {
    auto db = pool_.borrow();
    std::unordered_map<std::string, std::string> claims;
    auto taken = move_unhandled(*db, replica, replica_, claims);
    std::lock_guard lock(mutex_);
    claim_of_.merge(claims);
    for (const auto& envelope : taken) pending_.arrived(envelope.envelope_id);
    return taken;
}

// Marked by claim, the table's key: an index on envelope_id would cost
// every ack one more entry.
void SqlEnvelopeClaims::handled(const std::string& envelope_id) {
    std::string claim;
    {
        std::lock_guard lock(mutex_);
        if (!pending_.finished(envelope_id)) return;
        const auto found = claim_of_.find(valid_utf8(envelope_id));
        if (found == claim_of_.end()) return;
        claim = std::move(found->second);
        claim_of_.erase(found);
    }
    try {
        handled_marks_.submit(claim);
    } catch (...) {
        // Written with the next one: without its mark it would be replayed
        // (answered again) at the next start or takeover.
        std::lock_guard lock(mutex_);
        unstamped_.push_back(claim);
        throw;
    }
}

void SqlEnvelopeClaims::stamp_handled(const std::vector<std::string*>& claims) {
    std::vector<std::string> earlier;
    {
        std::lock_guard lock(mutex_);
        earlier.swap(unstamped_);
    }
    std::vector<std::string> keys = earlier;
    for (const auto* claim : claims) keys.push_back(*claim);
    try {
        auto db = pool_.borrow();
        auto update = db->prepare(
            "UPDATE envelope_claims SET handled_ms = ? "
            "WHERE claim = ANY(?::text[]) AND handled_ms IS NULL");
        update.bind(1, unix_ms(clock_.now())).bind(2, text_array(keys));
        update.run();
    } catch (...) {
        std::lock_guard lock(mutex_);
        unstamped_.insert(unstamped_.end(), earlier.begin(), earlier.end());
        throw;
    }
}

std::size_t SqlEnvelopeClaims::prune(TimePoint before) {
    auto db = pool_.borrow();
    auto remove = db->prepare("DELETE FROM envelope_claims WHERE handled_ms < ?");
    remove.bind(1, unix_ms(before));
    remove.run();
    // A burst row is written with its claims, in one statement: one that no
    // claim names is spent (or all its envelopes were another's).
    db->exec(
        "DELETE FROM envelope_bursts AS burst WHERE NOT EXISTS (SELECT 1 FROM envelope_claims "
        "AS claim WHERE claim.burst = burst.id)");
    return static_cast<std::size_t>(remove.changes());
}

std::size_t SqlEnvelopeClaims::pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

}  // namespace opsbot::db
