#pragma once
// Keeps acknowledged Socket Mode envelopes across a crash: each command
// envelope is journaled before its ack (SocketModeEvents::before_ack), marked
// handled when the router says its reply went out, and replayed at start-up
// when a kill -9 or a shutdown deadline left it unhandled. With replicas
// (PostgreSQL), journaling is claiming: the envelope another replica claimed
// is acknowledged and not routed, and a dead replica's unhandled envelopes
// are taken over and replayed here.
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
struct JournaledEnvelope;
}  // namespace db

class StoreHealth;

class EnvelopeLedger {
public:
    // journal: db::Storage::open_envelope_journal's (none: nothing is
    // journaled); its failures are reported to health.
    EnvelopeLedger(std::unique_ptr<db::EnvelopeJournal> journal, StoreHealth& health);
    ~EnvelopeLedger();

    // On the socket thread, before the acks of a burst. False when the
    // journal could not take them (the store is down): logged, and the
    // burst is left unacknowledged for Slack to deliver again. Marks
    // duplicate those another delivery claimed.
    bool before_ack(std::vector<slack::ReceivedEnvelope>& envelopes);
    // What the router calls when the envelope is done; empty for envelopes
    // that are not journaled.
    slack::EnvelopeDone done_for(const slack::Envelope& envelope);
    // Feeds the envelopes left unhandled by the last run to the router;
    // returns how many.
    std::size_t replay(slack::SlackRouter& router);
    // Takes a dead replica's unhandled envelopes and feeds them to the
    // router; returns how many.
    std::size_t take_over(const std::string& replica, slack::SlackRouter& router);
    // Forgets the envelopes handled long enough ago that no delivery of
    // them can come again; returns how many.
    std::size_t prune();

private:
    void replay(const std::vector<db::JournaledEnvelope>& envelopes, slack::SlackRouter& router);

    std::unique_ptr<db::EnvelopeJournal> journal_;
    StoreHealth& health_;
};

}  // namespace opsbot
