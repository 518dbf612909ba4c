#pragma once
// The envelope journal as a table (PostgreSQL; see envelope_journal.hpp):
// a burst is one INSERT … ON CONFLICT DO NOTHING (one round trip, one
// commit), handled() stamps the row (stamps arriving together share one
// UPDATE), and rows left unhandled are replayed at the next start.
// Handled rows are kept a day, so that Slack's redelivery of an envelope
// whose ack was lost is still seen as handled, then pruned.

#include <mutex>
#include <string>
#include <vector>

#include "core/group_commit.hpp"
#include "persistence/database.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot::db {

class SqlEnvelopeJournal final : public EnvelopeJournal {
public:
    // Reads the unhandled rows and prunes old handled ones. Throws
    // DatabaseError when the database cannot be read.
    SqlEnvelopeJournal(Connections& pool, const Clock& clock);

    using EnvelopeJournal::record;
    std::size_t record(const std::vector<Arrival>& arrivals) override;
    void handled(const std::string& envelope_id) override;
    std::size_t pending() const override;

private:
    void prune();
    void stamp_handled(const std::vector<std::string*>& envelope_ids);
    // The arrivals new to this process, counted as in flight.
    std::vector<Arrival> arrive(const std::vector<Arrival>& arrivals);

    Connections& pool_;
    const Clock& clock_;
    PendingEnvelopes pending_;
    std::size_t handled_since_prune_ = 0;
    GroupCommit<std::string> handled_stamps_;
    std::vector<std::string> unstamped_;  // handled, their stamp failed: retried with the next
    mutable std::mutex mutex_;            // pending_ and the counter, never held over a query
};

}  // namespace opsbot::db
