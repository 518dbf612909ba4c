#pragma once
// Envelopes are acknowledged by the burst: those read back to back are
// journaled in one write, acked in as few TCP segments as they fit and
// handed to the router as one job. A burst ends when the links have nothing
// more to read, or at kMaxBurst envelopes. Runs on the socket thread.
// Internal to opsbot_net: it pulls in Asio.

#include <cstdint>
#include <functional>
#include <vector>

#include "bot/slack/envelope.hpp"
#include "bot/slack/socket_link.hpp"
#include "core/metrics.hpp"

namespace opsbot::slack {

class AckBatcher {
public:
    struct Hooks {
        // Before the acks, with the envelopes as received: where they are
        // made durable (see SocketModeEvents::before_ack); false: they
        // were not, and the burst is dropped unacknowledged. Those it marks
        // duplicate are acknowledged and not routed.
        std::function<bool(std::vector<ReceivedEnvelope>&)> before_ack;
        // After the acks, the envelopes to route, in the order received.
        std::function<void(std::vector<ReceivedEnvelope>)> route;
    };

    AckBatcher(boost::asio::io_context& io, const LinkSet& links, Metrics& metrics, Hooks hooks);

    // Every message read, on any link, before it is handled.
    void message_read(LinkClock::time_point now) {
        last_read_ = now;
        ++reads_;
    }
    // route false: the caller routes the envelope itself.
    void queue(const LinkPtr& link, ReceivedEnvelope envelope, LinkClock::time_point received,
               bool route);
    // Acks what is queued now; false when before_ack refused the burst, which
    // was then dropped: neither acknowledged nor routed. last_duplicate: set
    // to whether before_ack marked the last envelope queued a duplicate.
    bool flush(bool* last_duplicate = nullptr);
    // For an envelope answered in its ack (answered_in_ack): what is queued
    // is flushed first, then the envelope is made durable alone, and not
    // acknowledged. False: before_ack refused it (the store is down); unacked,
    // Slack tells the person the app did not answer.
    bool claim(ReceivedEnvelope& envelope);
    // Sends such an envelope's ack (ack_with_payload), on its link or, when
    // that one is closing, on the live one.
    void answer(const LinkPtr& link, const std::string& text, LinkClock::time_point received);
    // Reads not counted in the metrics yet, counted (the metrics' lock is
    // shared with every thread, so they are counted by the burst).
    void count_reads();

private:
    static constexpr std::size_t kMaxBurst = 256;
    struct AckTo {
        LinkPtr link;  // where the envelope came from
        LinkClock::time_point received;
        bool route = true;
    };
    struct Unacked {
        std::vector<ReceivedEnvelope> envelopes;  // as before_ack takes them
        std::vector<AckTo> acks;                  // one per envelope
    };

    void post_flush_check(std::uint64_t reads_before);
    void acknowledge(const Unacked& burst);
    const LinkPtr& ack_link(const LinkPtr& link) const;
    void refuse_commands(const Unacked& burst);

    boost::asio::io_context& io_;
    const LinkSet& links_;
    Metrics& metrics_;
    Hooks hooks_;
    Unacked unacked_;
    std::uint64_t reads_ = 0;  // messages read, on any link
    LinkClock::time_point last_read_;
    std::uint64_t reads_counted_ = 0;  // of those, in the metrics
    bool flush_check_posted_ = false;
};

}  // namespace opsbot::slack
