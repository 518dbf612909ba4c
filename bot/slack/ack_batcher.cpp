#include "bot/slack/ack_batcher.hpp"

#include <map>

#include <boost/asio/post.hpp>

namespace opsbot::slack {

AckBatcher::AckBatcher(boost::asio::io_context& io, const LinkSet& links, Metrics& metrics,
                       Hooks hooks)
    : io_(io), links_(links), metrics_(metrics), hooks_(std::move(hooks)) {}

void AckBatcher::count_reads() {
    metrics_.increment(metric::kEnvelopesReceived, {},
                       static_cast<double>(reads_ - reads_counted_));
    reads_counted_ = reads_;
}

void AckBatcher::queue(const LinkPtr& link, ReceivedEnvelope envelope,
                       LinkClock::time_point received, bool route) {
    unacked_.envelopes.push_back(std::move(envelope));
    unacked_.acks.push_back({link, received, route});
    if (unacked_.envelopes.size() >= kMaxBurst) {
        flush();
        return;
    }
    if (flush_check_posted_) return;
    flush_check_posted_ = true;
    post_flush_check(reads_ - 1);
}

// The burst goes on while messages keep coming in, and while the kernel or
// TLS holds more bytes for a link (a frame read in two pieces completes no
// message in between), for at most kMaxWaitForRead after the last message:
// a link that stopped reading must not hold the acks back.
void AckBatcher::post_flush_check(std::uint64_t reads_before) {
    static constexpr auto kMaxWaitForRead = std::chrono::milliseconds(1);
    boost::asio::post(io_, [this, reads_before] {
        if (!unacked_.envelopes.empty() &&
            (reads_ != reads_before ||
             (links_.more_to_read() && LinkClock::now() - last_read_ < kMaxWaitForRead)))
            return post_flush_check(reads_);
        flush_check_posted_ = false;
        flush();
    });
}

bool AckBatcher::flush(bool* last_duplicate) {
    if (unacked_.envelopes.empty()) return true;
    Unacked burst = std::exchange(unacked_, {});
    count_reads();
    // Unacknowledged, Slack delivers events again (retry_attempt 1, 2, 3).
    if (hooks_.before_ack && !hooks_.before_ack(burst.envelopes)) {
        refuse_commands(burst);
        return false;
    }
    acknowledge(burst);
    if (last_duplicate) *last_duplicate = burst.envelopes.back().duplicate;
    std::vector<ReceivedEnvelope> to_route;
    for (std::size_t i = 0; i < burst.envelopes.size(); ++i)
        if (burst.acks[i].route && !burst.envelopes[i].duplicate)
            to_route.push_back(std::move(burst.envelopes[i]));
    if (!to_route.empty()) hooks_.route(std::move(to_route));
    return true;
}

bool AckBatcher::claim(ReceivedEnvelope& envelope) {
    if (!flush()) return false;
    if (!hooks_.before_ack) return true;
    std::vector<ReceivedEnvelope> one{envelope};
    if (!hooks_.before_ack(one)) return false;
    envelope.duplicate = one.front().duplicate;
    return true;
}

void AckBatcher::answer(const LinkPtr& link, const std::string& text,
                        LinkClock::time_point received) {
    ack_link(link)->send({text});
    metrics_.increment(metric::kEnvelopesAcked, {}, 1.0);
    metrics_.observe(metric::kAckLatency,
                     std::chrono::duration<double>(LinkClock::now() - received).count());
}

// A link we are closing can send no more frames: Slack may still deliver on
// it until our close arrives, so ack on the live one.
const LinkPtr& AckBatcher::ack_link(const LinkPtr& link) const {
    return link->closing() && links_.live ? links_.live : link;
}

// Slash commands are never delivered again: the person is told at once that
// nothing was done, rather than waiting for Slack's timeout.
void AckBatcher::refuse_commands(const Unacked& burst) {
    static const std::string kText =
        ":warning: opsbot could not record this command: its database is unavailable. "
        "Nothing was done; try again in a minute.";
    for (std::size_t i = 0; i < burst.envelopes.size(); ++i) {
        const auto& head = burst.envelopes[i].head;
        if (head.type != EnvelopeType::slash_commands) continue;
        ack_link(burst.acks[i].link)->send({ack_with_text(head.envelope_id, kText)});
    }
}

void AckBatcher::acknowledge(const Unacked& burst) {
    std::map<LinkPtr, std::vector<std::string>> acks;
    for (std::size_t i = 0; i < burst.envelopes.size(); ++i)
        acks[ack_link(burst.acks[i].link)].push_back(ack_for(burst.envelopes[i].head.envelope_id));
    for (auto& [link, texts] : acks) link->send(std::move(texts));
    const auto now = LinkClock::now();
    std::vector<double> latencies;
    for (const auto& ack : burst.acks)
        latencies.push_back(std::chrono::duration<double>(now - ack.received).count());
    metrics_.increment(metric::kEnvelopesAcked, {}, static_cast<double>(latencies.size()));
    metrics_.observe(metric::kAckLatency, latencies);
}

}  // namespace opsbot::slack
