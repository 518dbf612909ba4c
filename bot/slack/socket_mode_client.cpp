// The client wires the pieces together on one io_context and one thread:
// LinkSupervisor (links: open, refresh, watch, reconnect), AckBatcher (acks
// by the burst), and here, what a message read means and the routing thread.
#include <pthread.h>

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "bot/slack/socket_mode_client.hpp"

#include <atomic>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/slack/ack_batcher.hpp"
#include "bot/slack/link_supervisor.hpp"
#include "core/keyed_executor.hpp"

namespace opsbot::slack {

namespace asio = boost::asio;

// An envelope acknowledged once its handler answers (answered_in_ack), or
// plain at SocketModeOptions::answer_within, so that Slack never shows the
// person an error. Whichever comes first takes `sent`, from any thread; the
// rest is touched on the socket thread only.
struct PendingAnswer {
    PendingAnswer(asio::io_context& io, LinkPtr on, std::string id, LinkClock::time_point at)
        : link(std::move(on)), envelope_id(std::move(id)), received(at), deadline(io) {}
    LinkPtr link;
    std::string envelope_id;
    LinkClock::time_point received;
    asio::steady_timer deadline;
    std::atomic<bool> sent{false};
};

struct SocketModeClient::Impl : std::enable_shared_from_this<SocketModeClient::Impl> {
    SocketModeEvents events;
    asio::io_context io{1};
    std::thread thread;
    LinkSet links;
    AckBatcher acks;
    LinkSupervisor supervisor;
    // Parses and routes acknowledged envelopes in the order received (one
    // worker, one key). Niced like the handlers it feeds: it is not on the
    // ack path. Last, so that it stops before the members its work uses go.
    KeyedExecutor routing{{.name = "routing", .workers = 1, .capacity = 50'000, .nice = 19}};
    std::chrono::milliseconds answer_within;

    Impl(SocketModeOptions options, std::function<ConnectionUrl()> open, SocketModeEvents e,
         Metrics& metrics)
        : events(std::move(e)),
          acks(io, links, metrics,
               {.before_ack = events.before_ack,
                .route =
                    [this](std::vector<ReceivedEnvelope> envelopes) {
                        to_router([this, envelopes = std::move(envelopes)] {
                            for (const auto& envelope : envelopes)
                                route(envelope.head, envelope.text);
                        });
                    }}),
          supervisor(
              io, options, links, acks, metrics,
              {.open_connection = std::move(open),
               .on_fatal = events.on_fatal,
               .on_message =
                   [this](const LinkPtr& link, std::string text, LinkClock::time_point received) {
                       handle_message(link, std::move(text), received);
                   }}),
          answer_within(options.answer_within) {}

    void handle_message(const LinkPtr& link, std::string text, LinkClock::time_point received) {
        // The common case acks on the head alone; the full parse and the
        // routing run on the routing thread, off the ack path.
        // Interactions are few (a person clicks): parsed whole, since some
        // are answered in their ack.
        if (auto head = scan_envelope_head(text); head && carries_request(head->type) &&
                                                  head->type != EnvelopeType::interactive &&
                                                  !head->envelope_id.empty())
            return acks.queue(link, {std::move(*head), std::move(text)}, received, true);
        acks.count_reads();
        auto parsed = parse_envelope(text);
        if (!parsed) {
            spdlog::warn("slack: ignoring a malformed Socket Mode message ({} bytes): {}",
                         text.size(), parsed.error().message);
            return;
        }
        Envelope envelope = std::move(parsed).value();
        if (!envelope.envelope_id.empty() && answered_in_ack(envelope))
            return answer_later(link, std::move(envelope), std::move(text), received);
        if (!envelope.envelope_id.empty()) {
            acks.queue(link, {envelope, text}, received, false);
            // Now, so that what follows comes after the ack; not journaled,
            // not acknowledged: Slack delivers it again. A duplicate is
            // another delivery's to answer.
            bool duplicate = false;
            if (!acks.flush(&duplicate) || duplicate) return;
        }
        if (envelope.type_name.empty()) {
            spdlog::warn("slack: acknowledged a malformed Socket Mode message with no type");
            return;
        }
        switch (envelope.type) {
            case EnvelopeType::hello:
                return supervisor.on_hello(*link);
            case EnvelopeType::disconnect:
                return supervisor.on_disconnect(link, envelope.disconnect_reason);
            default:
                // Through the routing thread too, to keep the order received.
                to_router([this, envelope = std::move(envelope)]() mutable {
                    if (events.on_envelope) events.on_envelope(std::move(envelope));
                });
        }
    }

    // Made durable like any request, but acknowledged with the router's
    // answer (Envelope::answer), or plain at answer_within.
    void answer_later(const LinkPtr& link, Envelope envelope, std::string text,
                      LinkClock::time_point received) {
        ReceivedEnvelope claimed{envelope, std::move(text)};
        if (!acks.claim(claimed)) {
            spdlog::warn(
                "slack: could not record interaction {}; not acknowledged, Slack shows "
                "the person an error and they may try again",
                envelope.envelope_id);
            return;
        }
        if (claimed.duplicate) return acks.answer(link, ack_for(envelope.envelope_id), received);
        auto pending = std::make_shared<PendingAnswer>(io, link, envelope.envelope_id, received);
        pending->deadline.expires_after(answer_within);
        pending->deadline.async_wait([this, pending](const boost::system::error_code& ec) {
            if (ec || pending->sent.exchange(true)) return;
            spdlog::warn("slack: no answer to interaction {} within {} ms; acknowledged it plain",
                         pending->envelope_id, answer_within.count());
            send_answer(*pending, {});
        });
        envelope.answer = [weak = weak_from_this(), pending](nlohmann::json payload) {
            const auto impl = weak.lock();
            if (!impl || pending->sent.exchange(true)) return false;
            asio::post(impl->io, [impl, pending, payload = std::move(payload)] {
                pending->deadline.cancel();
                impl->send_answer(*pending, payload);
            });
            return true;
        };
        to_router([this, envelope = std::move(envelope)]() mutable {
            if (events.on_envelope) events.on_envelope(std::move(envelope));
        });
    }

    void send_answer(const PendingAnswer& pending, const nlohmann::json& payload) {
        acks.answer(pending.link, ack_with_payload(pending.envelope_id, payload), pending.received);
    }

    void to_router(std::function<void()> job) {
        if (!routing.post("envelopes", std::move(job)))
            spdlog::error(
                "slack: the routing queue is full; acknowledged envelopes wait for the next "
                "start, where the envelope journal replays them");
    }

    // On the routing thread. An envelope the quick reader took but the full
    // parser refuses was acknowledged: it goes on as `other`, so that it is
    // logged and its journal entry closed.
    void route(const EnvelopeHead& head, const std::string& text) {
        auto parsed = parse_envelope(text);
        Envelope envelope;
        if (parsed) {
            envelope = std::move(parsed).value();
        } else {
            spdlog::warn("slack: acknowledged envelope {} is malformed ({} bytes): {}",
                         head.envelope_id, text.size(), parsed.error().message);
            static_cast<EnvelopeHead&>(envelope) = head;
            envelope.type = EnvelopeType::other;
        }
        if (events.on_envelope) events.on_envelope(std::move(envelope));
    }
};

SocketModeClient::SocketModeClient(SocketModeOptions options,
                                   std::function<ConnectionUrl()> open_connection,
                                   SocketModeEvents events, Metrics& metrics)
    : impl_(std::make_shared<Impl>(options, std::move(open_connection), std::move(events),
                                   metrics)) {}

SocketModeClient::~SocketModeClient() {
    stop();
}

void SocketModeClient::start() {
    impl_->supervisor.start();
    impl_->thread = std::thread([impl = impl_] {
        pthread_setname_np(pthread_self(), "slack-socket");
        impl->io.run();
    });
}

void SocketModeClient::stop() {
    if (!impl_->thread.joinable()) return;
    asio::post(impl_->io, [impl = impl_] { impl->supervisor.stop(); });
    // Slack may not finish the close handshake: the supervisor gives it a
    // moment, and we give the supervisor a little more, then stop.
    static_cast<void>(impl_->supervisor.finished().wait_for(std::chrono::seconds(2)));
    impl_->io.stop();
    impl_->thread.join();
    impl_->supervisor.join();
    // What was acknowledged is routed, not dropped: routing only parses and
    // queues, so this is quick.
    impl_->routing.drain(std::chrono::seconds(10));
    impl_->routing.stop();
}

bool SocketModeClient::connected() const {
    return impl_->supervisor.connected();
}

}  // namespace opsbot::slack
