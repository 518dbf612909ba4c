#include "persistence/sql_envelope_journal.hpp"

#include "core/text.hpp"

namespace opsbot::db {
namespace {

// Rows written with nothing pending before the log is emptied.
constexpr std::size_t kEmptyAfterRows = 1000;

std::string read_log(Database& db) {
    std::string bytes;
    auto select = db.prepare("SELECT records FROM envelope_log ORDER BY id");
    while (select.step()) bytes += select.column_text(0);
    return bytes;
}

}  // namespace

SqlEnvelopeJournal::SqlEnvelopeJournal(Connections& pool, const Clock& clock)
    : pool_(pool),
      clock_(clock),
      handled_marks_([this](const auto& group) { stamp_handled(group); }) {
    auto db = pool_.borrow();
    Transaction transaction(*db);
    left_over_ = parse_envelope_journal(read_log(*db));
    std::string kept;
    for (const auto& envelope : left_over_) {
        pending_.arrived(envelope.envelope_id);
        append_envelope_record(kept, envelope.envelope_id, envelope.body, envelope.received);
    }
    db->exec("DELETE FROM envelope_log");
    if (!kept.empty()) {
        auto insert = db->prepare("INSERT INTO envelope_log (records) VALUES (?)");
        insert.bind(1, kept);
        insert.run();
    }
    transaction.commit();
}

std::vector<EnvelopeJournal::Arrival> SqlEnvelopeJournal::arrive(
    const std::vector<Arrival>& arrivals) {
    std::vector<Arrival> fresh;
    std::lock_guard lock(mutex_);
    for (const auto& arrival : arrivals)
        if (pending_.arrived(std::string(arrival.envelope_id))) fresh.push_back(arrival);
    return fresh;
}

std::int64_t SqlEnvelopeJournal::write(const std::string& records) {
    auto db = pool_.borrow();
    auto insert = db->prepare("INSERT INTO envelope_log (records) VALUES (?) RETURNING id");
    insert.bind(1, records);
    return returned_id(insert);
}

std::size_t SqlEnvelopeJournal::record(const std::vector<Arrival>& arrivals) {
    const auto fresh = arrive(arrivals);
    if (fresh.empty()) return 0;
    std::string records;
    const auto now = clock_.now();
    // Slack sends UTF-8 JSON; anything else could not be stored as text.
    for (const auto& [id, body] : fresh)
        append_envelope_record(records, valid_utf8(id), valid_utf8(body), now);
    try {
        write(records);
    } catch (...) {
        // Not acknowledged: delivered again (an event) or refused (a command).
        std::lock_guard lock(mutex_);
        for (const auto& arrival : fresh) pending_.finished(std::string(arrival.envelope_id));
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
        handled_marks_.submit(id);
    } catch (...) {
        // Written with the next one: without its mark it would be replayed
        // (answered again) at the next start.
        std::lock_guard lock(mutex_);
        unstamped_.push_back(envelope_id);
        throw;
    }
}

void SqlEnvelopeJournal::stamp_handled(const std::vector<std::string*>& envelope_ids) {
    std::vector<std::string> earlier;
    {
        std::lock_guard lock(mutex_);
        earlier.swap(unstamped_);
    }
    std::string records;
    for (const auto& id : earlier) records += handled_record(valid_utf8(id));
    for (const auto* id : envelope_ids) records += handled_record(valid_utf8(*id));
    std::int64_t written = 0;
    try {
        written = write(records);
    } catch (...) {
        std::lock_guard lock(mutex_);
        unstamped_.insert(unstamped_.end(), earlier.begin(), earlier.end());
        throw;
    }
    empty_if_idle(written);
}

// With nothing pending, every row up to the one just written is spent: a
// burst counted after this check is written after it, with a higher id.
void SqlEnvelopeJournal::empty_if_idle(std::int64_t up_to) {
    {
        std::lock_guard lock(mutex_);
        if (++rows_since_emptied_ < kEmptyAfterRows || pending_.size() != 0 || !unstamped_.empty())
            return;
        rows_since_emptied_ = 0;
    }
    auto db = pool_.borrow();
    auto remove = db->prepare("DELETE FROM envelope_log WHERE id <= ?");
    remove.bind(1, up_to);
    remove.run();
}

std::size_t SqlEnvelopeJournal::pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

}  // namespace opsbot::db
