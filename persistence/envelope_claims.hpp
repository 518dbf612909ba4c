#pragma once
// The envelope journal on PostgreSQL, shared by replicas: each envelope is
// claimed before its ack by a row of envelope_claims (migration 016) keyed
// "event:<event_id>" for an events_api envelope, else
// "envelope:<envelope_id>". The burst is one INSERT … ON CONFLICT DO NOTHING
// RETURNING, one commit: the rows it returns are this replica's to answer;
// the others were claimed by another replica or an earlier delivery, and
// are acknowledged and dropped. Why the event alone for events: Slack's
// retry of an event comes in a new envelope, and the same envelope twice
// carries the same event, so the event's key catches both.
//
// A claim carries its replica, the envelope's text (to replay it), when it
// arrived, and when it was handled (group-committed, off the ack path). At
// opening a replica takes its own unhandled claims, its previous process's,
// to replay; a dead replica's are moved to a survivor by take_over(), with
// FOR UPDATE SKIP LOCKED so that two survivors never both take one.
//
// Handled claims are kept an hour (prune): Slack retries an event for a few
// minutes and a response_url is valid for 30; a delivery later than that
// could not be answered anyway.

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/group_commit.hpp"
#include "persistence/database.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot::db {

class SqlEnvelopeClaims final : public EnvelopeJournal {
public:
    // Takes this replica's unhandled claims (and what an older version left
    // in envelope_log) as left_over(). Throws DatabaseError.
    SqlEnvelopeClaims(Connections& pool, const Clock& clock, std::string replica);

    using EnvelopeJournal::record;
    std::size_t record(const std::vector<Arrival>& arrivals,
                       std::vector<bool>* duplicates) override;
    void handled(const std::string& envelope_id) override;
    std::size_t pending() const override;
    std::vector<JournaledEnvelope> take_over(const std::string& replica) override;
    std::size_t prune(TimePoint before) override;

private:
    // Indexes of the arrivals new to this process, counted as in flight.
    std::vector<std::size_t> arrive(const std::vector<Arrival>& arrivals);
    // The envelope ids of those this replica won.
    std::vector<std::string> claim(const std::vector<Arrival>& arrivals,
                                   const std::vector<std::size_t>& fresh);
    void settle(const std::vector<Arrival>& arrivals, const std::vector<std::size_t>& fresh,
                const std::vector<std::string>& won, std::vector<bool>* duplicates);
    void adopt_log(Database& db);
    void stamp_handled(const std::vector<std::string*>& claims);

    Connections& pool_;
    const Clock& clock_;
    const std::string replica_;
    PendingEnvelopes pending_;
    std::unordered_map<std::string, std::string> claim_of_;  // envelope id → claim, in flight
    std::vector<std::string> unstamped_;  // claims handled, their mark failed: with the next
    mutable std::mutex mutex_;            // the above, never held over a query
    GroupCommit<std::string> handled_marks_;
};

// `{"a","b"}`: PostgreSQL's text[] literal, for one parameter per column.
std::string text_array(const std::vector<std::string>& values);

}  // namespace opsbot::db
