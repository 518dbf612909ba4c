#pragma once
// Keeps acknowledged Socket Mode envelopes across a crash: each command
// envelope is journaled before its ack (SocketModeEvents::before_ack), marked
// handled when the router says its reply went out, and replayed at start-up
// when a kill -9 or a shutdown deadline left it unhandled.
//
// Why a replay and not a durable outbound queue: replaying re-creates the
// reply through the normal path, and the intent journal turns a replayed
// action that had already started into an "already handled" answer instead
// of a second run. A reply is marked handled right after Slack answered, so
// the one duplicate left is a reply whose HTTP exchange was under way at the
// kill: Slack may have received it, opsbot cannot know (a response_url has
// no idempotency key and cannot be queried), and it is sent again: at least
// once, rather than possibly never.

#include <memory>
#include <string>
#include <vector>

#include "bot/slack/envelope.hpp"
#include "bot/slack/slack_router.hpp"

namespace opsbot {

namespace db {
class EnvelopeJournal;
}  // namespace db

class EnvelopeLedger {
public:
    // The journal file sits next to the database (db::envelope_journal_path);
    // an in-memory database gets none. Throws std::runtime_error when the
    // file cannot be written.
    EnvelopeLedger(const std::string& database_path, const Clock& clock);
    ~EnvelopeLedger();

    // On the socket thread, before the acks of a burst. A journal failure is
    // logged and the envelopes handled all the same: only a crash could lose
    // them then.
    void before_ack(const std::vector<slack::ReceivedEnvelope>& envelopes);
    // What the router calls when the envelope is done; empty for envelopes
    // that are not journaled.
    slack::EnvelopeDone done_for(const slack::Envelope& envelope);
    // Feeds the envelopes left unhandled by the last run to the router;
    // returns how many.
    std::size_t replay(slack::SlackRouter& router);

private:
    std::unique_ptr<db::EnvelopeJournal> journal_;
};

}  // namespace opsbot
