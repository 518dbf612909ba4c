#include "persistence/sql_envelope_journal.hpp"

namespace opsbot::db {
namespace {

// How long a handled row stays, and how often the old ones are pruned.
constexpr auto kKeepHandled = std::chrono::hours(24);
constexpr std::size_t kPruneEvery = 10'000;

std::int64_t unix_ms(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

}  // namespace

SqlEnvelopeJournal::SqlEnvelopeJournal(Connections& pool, const Clock& clock)
    : pool_(pool), clock_(clock) {
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
        auto db = pool_.borrow();
        Transaction transaction(*db);
        auto insert = db->prepare(
            "INSERT INTO envelope_journal (envelope_id, body, received_ms) VALUES (?, ?, ?) "
            "ON CONFLICT (envelope_id) DO NOTHING");
        const auto now = unix_ms(clock_.now());
        for (const auto& [id, body] : fresh) {
            insert.reset();
            insert.bind(1, id).bind(2, body).bind(3, now);
            insert.run();
        }
        transaction.commit();
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
    {
        auto db = pool_.borrow();
        auto update = db->prepare(
            "UPDATE envelope_journal SET handled_ms = ? WHERE envelope_id = ? AND handled_ms IS "
            "NULL");
        update.bind(1, unix_ms(clock_.now())).bind(2, envelope_id);
        update.run();
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

void SqlEnvelopeJournal::prune() {
    auto db = pool_.borrow();
    auto remove =
        db->prepare("DELETE FROM envelope_journal WHERE handled_ms IS NOT NULL AND handled_ms < ?");
    remove.bind(1, unix_ms(clock_.now() - kKeepHandled));
    remove.run();
}

}  // namespace opsbot::db
