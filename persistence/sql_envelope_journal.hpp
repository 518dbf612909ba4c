#pragma once
// The envelope journal in PostgreSQL (see envelope_journal.hpp): the file's
// log of records kept as rows of the table envelope_log, a row per write.
// A burst of envelopes is one row, one INSERT and one commit before its acks,
// whatever its size: an envelope's cost on the ack path is a memcpy, not a
// row and an index entry. Handled marks arriving together are one row too,
// off the ack path. At opening, the rows read in order are the same log as
// the file, and the envelopes without a handled mark are replayed; the log
// is then rewritten to just those, and emptied whenever nothing is pending
// and it grew.

#include <mutex>
#include <string>
#include <vector>

#include "core/group_commit.hpp"
#include "persistence/database.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot::db {

class SqlEnvelopeJournal final : public EnvelopeJournal {
public:
    // Reads the log and keeps only what is unhandled. Throws DatabaseError
    // when the database cannot be read.
    SqlEnvelopeJournal(Connections& pool, const Clock& clock);

    using EnvelopeJournal::record;
    std::size_t record(const std::vector<Arrival>& arrivals) override;
    void handled(const std::string& envelope_id) override;
    std::size_t pending() const override;

private:
    // The arrivals new to this process, counted as in flight.
    std::vector<Arrival> arrive(const std::vector<Arrival>& arrivals);
    std::int64_t write(const std::string& records);  // the row's id
    void stamp_handled(const std::vector<std::string*>& envelope_ids);
    void empty_if_idle(std::int64_t up_to);

    Connections& pool_;
    const Clock& clock_;
    PendingEnvelopes pending_;
    std::size_t rows_since_emptied_ = 0;
    std::vector<std::string> unstamped_;  // handled, their mark failed: written with the next
    mutable std::mutex mutex_;            // the above, never held over a query
    GroupCommit<std::string> handled_marks_;
};

}  // namespace opsbot::db
