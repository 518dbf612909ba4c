#pragma once
// Socket Mode envelopes as Slack sends them, parsed without exceptions. The
// payload stays JSON here: this is the Slack edge, and the router turns it
// into plain structs for the core.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace opsbot::slack {

enum class EnvelopeType { hello, disconnect, events_api, slash_commands, interactive, other };

struct Envelope {
    EnvelopeType type = EnvelopeType::other;
    std::string type_name;    // as sent, for logs ("events_api")
    std::string envelope_id;  // empty for hello and disconnect
    int retry_attempt = 0;
    std::string retry_reason;
    std::string disconnect_reason;  // warning, refresh_requested, link_disabled
    bool accepts_response_payload = false;
    nlohmann::json payload;
};

Result<Envelope> parse_envelope(std::string_view text);

// {"envelope_id":"…"}: what Slack needs back, within 3 seconds.
std::string ack_for(const std::string& envelope_id);

}  // namespace opsbot::slack
