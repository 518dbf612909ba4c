#pragma once
// The Socket Mode envelope journal (table envelope_journal, migration 009).
//
// Slack envelopes are acknowledged before their handler runs, so an envelope
// acknowledged and then lost to a kill -9 would be a lost command. The socket
// thread records each envelope here before its ack; the router marks it
// handled once its reply went out; at start-up the envelopes still unhandled
// are replayed through the normal path, where the intent journal keeps an
// action that already started from running again.
//
// Durability: a commit in WAL mode with synchronous=NORMAL is a write() into
// the WAL file without fsync. The data is then in the OS page cache, which
// outlives the process: kill -9 loses nothing, only a power loss or a kernel
// crash could drop the last envelopes. An fsync per envelope would cost the
// ack path milliseconds, so that is the trade.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

struct JournaledEnvelope {
    std::string envelope_id;
    std::string body;  // the envelope's text as Slack sent it
    TimePoint received;
};

class SqliteEnvelopeJournal {
public:
    // Give it a connection of its own: the socket thread writes through it.
    SqliteEnvelopeJournal(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

    // False when the id is already journaled (a redelivery of the same envelope).
    bool record(const std::string& envelope_id, std::string_view body);
    void handled(const std::string& envelope_id);
    // Envelopes recorded and never handled, oldest first.
    std::vector<JournaledEnvelope> pending() const;
    // Forgets handled envelopes received before the cutoff; returns how many.
    std::size_t prune(TimePoint before);

private:
    Database& db_;
    const Clock& clock_;
    mutable std::mutex mutex_;
};

}  // namespace opsbot::db
