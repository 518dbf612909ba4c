#pragma once
// The Socket Mode connection: apps.connections.open, then a WebSocket (wss://
// with verified TLS, or ws:// for local fakes) that is acknowledged envelope
// by envelope, kept alive with pings, refreshed without a gap and reconnected
// with backoff. Beast stays in the .cpp.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/slack/envelope.hpp"
#include "core/metrics.hpp"

namespace opsbot::slack {

struct SocketModeOptions {
    // Silence on a link (nothing read, not even a pong) this long makes the
    // client ping; pong_timeout more and the link is replaced.
    std::chrono::milliseconds ping_interval{3'000};
    std::chrono::milliseconds pong_timeout{5'000};
    std::chrono::milliseconds backoff_initial{1'000};
    std::chrono::milliseconds backoff_max{30'000};
    std::chrono::milliseconds connect_timeout{10'000};
    // How long an ack that carries a handler's answer (answered_in_ack)
    // waits for it before going plain: Slack waits 3 s.
    std::chrono::milliseconds answer_within{2'500};
};

// The answer of apps.connections.open. fatal: retrying cannot help (a bad or
// revoked app token); error says which token and what to do.
struct ConnectionUrl {
    bool ok = false;
    bool fatal = false;
    std::string url;
    std::string error;
};

struct SocketModeEvents {
    // Called after the ack went out, on the client's routing thread, one
    // envelope at a time in the order received: must hand work off and
    // return at once.
    std::function<void(Envelope)> on_envelope;
    // The link can never work again (link_disabled, token rejected).
    std::function<void(const std::string& reason)> on_fatal;
    // Called on the socket thread before the acks of envelopes that carry an
    // id (those read in one burst, in order), with their text as received:
    // where they are made durable, so that an acknowledged envelope survives
    // a kill -9. Must be quick. Returns false when they could not be made
    // durable (the store is down): the burst is then neither acknowledged
    // nor routed, and Slack delivers it again. An envelope it marks
    // duplicate (claimed by another delivery) is acknowledged, not routed.
    std::function<bool(std::vector<ReceivedEnvelope>&)> before_ack;
};

class SocketModeClient {
public:
    // open_connection blocks (an HTTP call); it is run off the socket thread.
    SocketModeClient(SocketModeOptions options, std::function<ConnectionUrl()> open_connection,
                     SocketModeEvents events, Metrics& metrics);
    ~SocketModeClient();
    SocketModeClient(const SocketModeClient&) = delete;
    SocketModeClient& operator=(const SocketModeClient&) = delete;

    void start();  // returns at once; the connection runs on its own thread
    void stop();   // closes the links and joins the thread
    bool connected() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace opsbot::slack
