#include "bot/slack/envelope.hpp"

namespace opsbot::slack {
namespace {

EnvelopeType type_from(const std::string& name) {
    if (name == "hello") return EnvelopeType::hello;
    if (name == "disconnect") return EnvelopeType::disconnect;
    if (name == "events_api") return EnvelopeType::events_api;
    if (name == "slash_commands") return EnvelopeType::slash_commands;
    if (name == "interactive") return EnvelopeType::interactive;
    return EnvelopeType::other;
}

std::string string_field(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

Result<Envelope> parse_envelope(std::string_view text) {
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error{"malformed_envelope", "a Socket Mode message is not a JSON object", ""};
    Envelope envelope;
    envelope.type_name = string_field(json, "type");
    envelope.type = type_from(envelope.type_name);
    envelope.envelope_id = string_field(json, "envelope_id");
    envelope.retry_reason = string_field(json, "retry_reason");
    envelope.disconnect_reason = string_field(json, "reason");
    if (const auto it = json.find("retry_attempt"); it != json.end() && it->is_number_integer())
        envelope.retry_attempt = it->get<int>();
    if (const auto it = json.find("accepts_response_payload"); it != json.end() && it->is_boolean())
        envelope.accepts_response_payload = it->get<bool>();
    if (const auto it = json.find("payload"); it != json.end()) envelope.payload = std::move(*it);
    return envelope;
}

std::string ack_for(const std::string& envelope_id) {
    return nlohmann::json{{"envelope_id", envelope_id}}.dump();
}

}  // namespace opsbot::slack
