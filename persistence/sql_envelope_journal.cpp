#include "persistence/sql_envelope_journal.hpp"

#include <string_view>
#include <vector>

namespace opsbot::db {
namespace {

// How long a handled row stays, and how often the old ones are pruned.
constexpr auto kKeepHandled = std::chrono::hours(24);
constexpr std::size_t kPruneEvery = 10'000;

std::int64_t unix_ms(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// A PostgreSQL array literal of texts: {"a","b\"c"}.
std::string text_array(const std::vector<std::string_view>& texts) {
    std::string out = "{";
    for (const auto text : texts) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

}  // namespace

SqlEnvelopeJournal::SqlEnvelopeJournal(Connections& pool, const Clock& clock)
    : pool_(pool),
      clock_(clock),
      handled_stamps_([this](const auto& group) { stamp_handled(group); }) {
    prune();
    auto db = pool_.borrow();
    auto select = db->prepare(
        "SELECT envelope_id, body, received_ms FROM envelope_journal WHERE handled_ms IS NULL "
        "ORDER BY received_ms, envelope_id");
    while (select.step()) {
        left_over_.push_back({select.column_text(0), select.column_text(1),
                              TimePoint(std::chrono::milliseconds(select.column_int(2)))});
        pending_.arrived(left_over_.back().envelope_id);
    }
}

std::vector<EnvelopeJournal::Arrival> SqlEnvelopeJournal::arrive(
    const std::vector<Arrival>& arrivals) {
    std::vector<Arrival> fresh;
    std::lock_guard lock(mutex_);
    for (const auto& arrival : arrivals)
        if (pending_.arrived(std::string(arrival.envelope_id))) fresh.push_back(arrival);
    return fresh;
}

std::size_t SqlEnvelopeJournal::record(const std::vector<Arrival>& arrivals) {
    const auto fresh = arrive(arrivals);
    if (fresh.empty()) return 0;
    try {
        // One statement, so one round trip and one commit for the burst.
        std::vector<std::string_view> ids, bodies;
        for (const auto& [id, body] : fresh) {
            ids.push_back(id);
            bodies.push_back(body);
        }
        auto db = pool_.borrow();
        auto insert = db->prepare(
            "INSERT INTO envelope_journal (envelope_id, body, received_ms) "
            "SELECT id, body, ?::bigint FROM unnest(?::text[], ?::text[]) AS burst (id, body) "
            "ON CONFLICT (envelope_id) DO NOTHING");
        insert.bind(1, unix_ms(clock_.now())).bind(2, text_array(ids)).bind(3, text_array(bodies));
        insert.run();
    } catch (...) {
        // Not acknowledged, so Slack delivers them again: as new then.
        std::lock_guard lock(mutex_);
        for (const auto& arrival : arrivals) pending_.finished(std::string(arrival.envelope_id));
        throw;
    }
    return fresh.size();
}

void SqlEnvelopeJournal::handled(const std::string& envelope_id) {
    {
        std::lock_guard lock(mutex_);
        if (!pending_.finished(envelope_id)) return;
    }
    std::string id = envelope_id;
    try {
        handled_stamps_.submit(id);
    } catch (...) {
        // Stamped with the next one: left unstamped, it would be replayed
        // (answered again) at the next start.
        std::lock_guard lock(mutex_);
        unstamped_.push_back(envelope_id);
        throw;
    }
    bool prune_now = false;
    {
        std::lock_guard lock(mutex_);
        prune_now = ++handled_since_prune_ >= kPruneEvery;
        if (prune_now) handled_since_prune_ = 0;
    }
    if (prune_now) prune();
}

std::size_t SqlEnvelopeJournal::pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

void SqlEnvelopeJournal::stamp_handled(const std::vector<std::string*>& envelope_ids) {
    std::vector<std::string> earlier;  // stamps that failed before
    {
        std::lock_guard lock(mutex_);
        earlier.swap(unstamped_);
    }
    std::vector<std::string_view> ids(earlier.begin(), earlier.end());
    for (const auto* id : envelope_ids) ids.push_back(*id);
    try {
        auto db = pool_.borrow();
        auto update = db->prepare(
            "UPDATE envelope_journal SET handled_ms = ? WHERE envelope_id = ANY (?::text[]) AND "
            "handled_ms IS NULL");
        update.bind(1, unix_ms(clock_.now())).bind(2, text_array(ids));
        update.run();
    } catch (...) {
        std::lock_guard lock(mutex_);
        unstamped_.insert(unstamped_.end(), earlier.begin(), earlier.end());
        throw;
    }
}

void SqlEnvelopeJournal::prune() {
    auto db = pool_.borrow();
    auto remove =
        db->prepare("DELETE FROM envelope_journal WHERE handled_ms IS NOT NULL AND handled_ms < ?");
    remove.bind(1, unix_ms(clock_.now() - kKeepHandled));
    remove.run();
}

}  // namespace opsbot::db
