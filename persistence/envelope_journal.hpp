#pragma once
// The Socket Mode envelope journal: an append-only file next to the database
// (`<OPSBOT_DB>-envelopes`).
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
// Format, binary-safe: `+<id bytes> <body bytes> <received unix ms>\n<id><body>\n`
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

// `<database>-envelopes`, beside the database; empty for an in-memory one.
std::string envelope_journal_path(const std::string& database_path);

class EnvelopeJournal {
public:
    // Reads what the last run left and keeps only that. Throws
    // std::runtime_error naming the path when the file cannot be written.
    EnvelopeJournal(std::string path, const Clock& clock);
    ~EnvelopeJournal();
    EnvelopeJournal(const EnvelopeJournal&) = delete;
    EnvelopeJournal& operator=(const EnvelopeJournal&) = delete;

    // Unhandled envelopes found at opening, oldest first.
    const std::vector<JournaledEnvelope>& left_over() const { return left_over_; }

    struct Arrival {
        std::string_view envelope_id;
        std::string_view body;
    };
    // Journals the envelopes of one burst in one write(); returns how many
    // were new. One already pending (a redelivery while the first delivery
    // runs) is not written again; each arrival needs its handled().
    std::size_t record(const std::vector<Arrival>& arrivals);
    bool record(std::string_view envelope_id, std::string_view body) {
        return record({{envelope_id, body}}) == 1;
    }
    void handled(const std::string& envelope_id);
    std::size_t pending() const;

private:
    void append(const std::string& bytes);  // mutex_ held

    std::string path_;
    const Clock& clock_;
    int fd_ = -1;
    std::size_t size_ = 0;
    std::vector<JournaledEnvelope> left_over_;
    std::unordered_map<std::string, int> pending_;  // id → deliveries in flight
    mutable std::mutex mutex_;
};

}  // namespace opsbot::db
