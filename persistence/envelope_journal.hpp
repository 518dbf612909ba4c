#pragma once
// The Socket Mode envelope journal. On SQLite, an append-only file next to
// the database (`<OPSBOT_DB>-envelopes`), for the one process that owns it;
// on PostgreSQL, claims in the table envelope_claims (migration 016) that
// replicas share (envelope_claims.hpp).
//
// Slack envelopes are acknowledged before their handler runs, so an envelope
// acknowledged and then lost to a kill -9 would be a lost command. The socket
// thread appends each envelope here before its ack; the router marks it
// handled once its reply went out; at start-up the envelopes still unhandled
// are replayed through the normal path, where the intent journal keeps an
// action that already started from running again.
//
// Why a file and not a table: the ack path must never wait on SQLite (a
// commit there, contending with the workers' commits, cut the storm ack rate
// sevenfold). An append is one write() into the page cache, which outlives
// the process: kill -9 loses nothing. Only a power loss or a kernel crash
// could drop the last envelopes; an fsync per envelope would cost the ack
// path milliseconds, so that is the trade (SQLite's synchronous=NORMAL makes
// the same one).
//
// On PostgreSQL there is no file beside the database, and replicas must
// agree on who answers what, so a burst is claimed in one statement
// committed before its acks (the server is a network hop away anyway, and
// its commit is what makes the envelope durable). A failed commit throws:
// the burst is then not acknowledged, and Slack delivers it again.
//
// File format, binary-safe: `+<id bytes> <body bytes> <received unix ms>\n<id><body>\n`
// for an envelope, `-<id bytes>\n<id>\n` once it was handled. A torn last
// record (power loss) is ignored. The file is rewritten at opening with only
// the unhandled envelopes, and emptied whenever nothing is pending.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"

namespace opsbot::db {

struct JournaledEnvelope {
    std::string envelope_id;
    std::string body;  // the envelope's text as Slack sent it
    TimePoint received;
};

// The unhandled envelopes in a journal's bytes, oldest first; a torn or
// garbled tail ends the reading. `ignored` gets how many bytes were skipped.
std::vector<JournaledEnvelope> parse_envelope_journal(std::string_view bytes,
                                                      std::size_t* ignored = nullptr);

// The journal's records, the same in the file and in PostgreSQL's table:
// an envelope as it arrived, and the mark that it was handled.
void append_envelope_record(std::string& out, std::string_view id, std::string_view body,
                            TimePoint received);
std::string handled_record(std::string_view id);

// `<database>-envelopes`, beside the database; empty for an in-memory one.
std::string envelope_journal_path(const std::string& database_path);

// Deliveries in flight by envelope id: a redelivery while the first
// delivery runs is journaled once and closed by the last handled(). Not
// locked: each journal guards it with its own mutex.
class PendingEnvelopes {
public:
    bool arrived(const std::string& id) { return pending_[id]++ == 0; }  // true: the first
    bool finished(const std::string& id);  // true: the last one in flight
    bool contains(const std::string& id) const { return pending_.count(id) > 0; }
    std::size_t size() const { return pending_.size(); }

private:
    std::unordered_map<std::string, int> pending_;  // id → deliveries in flight
};

class EnvelopeJournal {
public:
    struct Arrival {
        std::string_view envelope_id;
        std::string_view body;
        // An events_api envelope's event_id: the event is claimed by it, so
        // that Slack's delivery of it again in a new envelope loses.
        std::string_view event_id = {};
    };

    virtual ~EnvelopeJournal() = default;

    // Unhandled envelopes found at opening, oldest first.
    const std::vector<JournaledEnvelope>& left_over() const { return left_over_; }

    // Journals the envelopes of one burst at once (one write(), or one
    // commit); returns how many were new. One already pending (a redelivery
    // while the first delivery runs) is not written again; each arrival
    // needs its handled(), except a duplicate. duplicates, when given, gets
    // for each arrival whether another delivery had claimed it (another
    // replica, or an earlier delivery of its event): it is acknowledged and
    // not routed. Throws when the burst could not be made durable: none of
    // it counts as arrived then.
    virtual std::size_t record(const std::vector<Arrival>& arrivals,
                               std::vector<bool>* duplicates) = 0;
    std::size_t record(const std::vector<Arrival>& arrivals) { return record(arrivals, nullptr); }
    bool record(std::string_view envelope_id, std::string_view body) {
        return record({{envelope_id, body}}) == 1;
    }
    virtual void handled(const std::string& envelope_id) = 0;
    virtual std::size_t pending() const = 0;
    // A dead replica's unhandled envelopes, now this one's, oldest first;
    // each is taken by one replica only. Nothing where one process owns the
    // journal.
    virtual std::vector<JournaledEnvelope> take_over(const std::string& /*replica*/) { return {}; }
    // Forgets envelopes handled before `before`; returns how many.
    virtual std::size_t prune(TimePoint /*before*/) { return 0; }

protected:
    std::vector<JournaledEnvelope> left_over_;
};

class FileEnvelopeJournal final : public EnvelopeJournal {
public:
    // Reads what the last run left and keeps only that. Throws
    // std::runtime_error naming the path when the file cannot be written.
    FileEnvelopeJournal(std::string path, const Clock& clock);
    ~FileEnvelopeJournal() override;
    FileEnvelopeJournal(const FileEnvelopeJournal&) = delete;
    FileEnvelopeJournal& operator=(const FileEnvelopeJournal&) = delete;

    using EnvelopeJournal::record;
    std::size_t record(const std::vector<Arrival>& arrivals,
                       std::vector<bool>* duplicates) override;
    void handled(const std::string& envelope_id) override;
    std::size_t pending() const override;

private:
    void append(const std::string& bytes);  // mutex_ held

    std::string path_;
    const Clock& clock_;
    int fd_ = -1;
    std::size_t size_ = 0;
    PendingEnvelopes pending_;
    mutable std::mutex mutex_;
};

}  // namespace opsbot::db
