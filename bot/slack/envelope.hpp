#pragma once
// Socket Mode envelopes as Slack sends them, parsed without exceptions. The
// payload stays JSON here: this is the Slack edge, and the router turns it
// into plain structs for the core.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace opsbot::slack {

enum class EnvelopeType { hello, disconnect, events_api, slash_commands, interactive, other };

// What the socket thread needs to journal and acknowledge an envelope.
struct EnvelopeHead {
    EnvelopeType type = EnvelopeType::other;
    std::string type_name;    // as sent, for logs ("events_api")
    std::string envelope_id;  // empty for hello and disconnect
    // The payload's event_id (events_api): the event's own id, which Slack
    // keeps when it delivers the event again in a new envelope.
    std::string event_id;
};

// An envelope as read off the socket, head read, not yet acknowledged.
struct ReceivedEnvelope {
    EnvelopeHead head;
    std::string text;
    // Set by before_ack: another delivery (another replica, or an earlier
    // one) claimed this envelope or its event: acknowledged, not routed.
    bool duplicate = false;
};

struct Envelope : EnvelopeHead {
    int retry_attempt = 0;
    std::string retry_reason;
    std::string disconnect_reason;  // warning, refresh_requested, link_disabled
    bool accepts_response_payload = false;
    nlohmann::json payload;
    // Set when Slack waits for the handler's answer in the ack itself (a
    // modal's submission, an external select's options: see
    // answered_in_ack). Call it once; {} is a plain ack. False when it came
    // too late: the ack went plain, and the answer with it is lost. Unset on
    // an envelope replayed after a restart: its ack is long gone.
    std::function<bool(nlohmann::json payload)> answer;
};

Result<Envelope> parse_envelope(std::string_view text);

// Slash commands, events and interactions: the envelopes that carry work
// for the router, hence are journaled before their ack and routed.
bool carries_request(EnvelopeType type);

// Interactions whose ack carries the answer: view_submission (close the
// modal, or response_action errors/update) and block_suggestion (the
// options). Their ack waits for the router; every other envelope is
// acknowledged before it is handled.
bool answered_in_ack(const Envelope& envelope);

// The head of an envelope read without building the rest, so that the ack
// does not wait for a full parse. Nullopt when this quick reader cannot vouch
// for the answer (not one JSON object, an escape or a non-ASCII byte in a
// top-level key or in those two values, nesting past 64): parse it whole.
// When both succeed, they agree.
std::optional<EnvelopeHead> scan_envelope_head(std::string_view text);

// {"envelope_id":"…"}: what Slack needs back, within 3 seconds.
std::string ack_for(const std::string& envelope_id);
// {"envelope_id":"…","payload":{…}}; an empty payload is a plain ack.
std::string ack_with_payload(const std::string& envelope_id, const nlohmann::json& payload);
// A slash command's ack that answers it at once, only to the person who typed
// it (Slack shows the payload's text as the command's response).
std::string ack_with_text(const std::string& envelope_id, const std::string& text);

}  // namespace opsbot::slack
