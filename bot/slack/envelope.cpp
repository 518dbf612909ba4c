#include "bot/slack/envelope.hpp"

#include <algorithm>
#include <cctype>

#include "core/json.hpp"

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

// Walks one JSON object without building it. Lenient only where the full
// parser will have the last word anyway (the spelling of numbers and
// literals); strict about structure, strings and the values it returns.
class HeadScanner {
public:
    explicit HeadScanner(std::string_view text) : s_(text) {}

    std::optional<EnvelopeHead> scan() {
        EnvelopeHead head;
        skip_space();
        if (!take('{')) return std::nullopt;
        skip_space();
        if (!take('}')) {
            do {
                skip_space();
                std::string_view key;
                if (!string(&key) || !plain_) return std::nullopt;
                skip_space();
                if (!take(':')) return std::nullopt;
                skip_space();
                std::string* wanted = key == "envelope_id" ? &head.envelope_id
                                      : key == "type"      ? &head.type_name
                                                           : nullptr;
                if (wanted) {
                    std::string_view value;
                    if (!string(&value) || !plain_) return std::nullopt;
                    *wanted = value;
                } else if (key == "payload" && at_ < s_.size() && s_[at_] == '{') {
                    head.event_id.clear();  // a second payload replaces the first
                    if (!container('}', 1, &head.event_id)) return std::nullopt;
                } else if (!value(1)) {
                    return std::nullopt;
                }
                skip_space();
            } while (take(','));
            if (!take('}')) return std::nullopt;
        }
        skip_space();
        if (at_ != s_.size()) return std::nullopt;
        head.type = type_from(head.type_name);
        return head;
    }

private:
    static constexpr int kMaxDepth = 64;

    bool take(char c) {
        if (at_ >= s_.size() || s_[at_] != c) return false;
        ++at_;
        return true;
    }

    void skip_space() {
        while (at_ < s_.size() &&
               (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r'))
            ++at_;
    }

    // A string at the cursor; plain_ says whether it is printable ASCII
    // without escapes, so that its raw bytes are its value.
    bool string(std::string_view* out) {
        if (!take('"')) return false;
        const auto start = at_;
        plain_ = true;
        while (at_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[at_]);
            if (c == '"') {
                *out = s_.substr(start, at_ - start);
                ++at_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                plain_ = false;
                at_ += 2;
                continue;
            }
            if (c >= 0x80) plain_ = false;
            ++at_;
        }
        return false;
    }

    bool value(int depth) {
        if (at_ >= s_.size()) return false;
        const char c = s_[at_];
        if (c == '"') {
            std::string_view ignored;
            return string(&ignored);
        }
        if (c == '{' || c == '[') return container(c == '{' ? '}' : ']', depth);
        const auto start = at_;
        while (at_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at_])) ||
                                   s_[at_] == '-' || s_[at_] == '+' || s_[at_] == '.'))
            ++at_;
        return at_ > start;
    }

    // event_id: where an object's own "event_id" string goes (the payload's).
    bool container(char close, int depth, std::string* event_id = nullptr) {
        if (depth > kMaxDepth) return false;
        ++at_;
        skip_space();
        if (take(close)) return true;
        do {
            skip_space();
            if (close == '}') {
                std::string_view key;
                if (!string(&key) || (event_id && !plain_)) return false;
                skip_space();
                if (!take(':')) return false;
                skip_space();
                if (event_id && key == "event_id") {
                    std::string_view id;
                    if (!string(&id) || !plain_) return false;
                    *event_id = id;
                    skip_space();
                    continue;
                }
            }
            if (!value(depth + 1)) return false;
            skip_space();
        } while (take(','));
        return take(close);
    }

    std::string_view s_;
    std::size_t at_ = 0;
    bool plain_ = true;
};

}  // namespace

bool carries_request(EnvelopeType type) {
    return type == EnvelopeType::slash_commands || type == EnvelopeType::events_api ||
           type == EnvelopeType::interactive;
}

bool answered_in_ack(const Envelope& envelope) {
    if (envelope.type != EnvelopeType::interactive || !envelope.payload.is_object()) return false;
    const auto type = string_field(envelope.payload, "type");
    return type == "view_submission" || type == "block_suggestion";
}

std::optional<EnvelopeHead> scan_envelope_head(std::string_view text) {
    return HeadScanner(text).scan();
}

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
    if (envelope.payload.is_object())
        envelope.event_id = string_field(envelope.payload, "event_id");
    return envelope;
}

std::string ack_for(const std::string& envelope_id) {
    // Slack's ids are plain ASCII: the JSON encoder only for anything else.
    const bool plain = std::all_of(envelope_id.begin(), envelope_id.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (!plain) return nlohmann::json{{"envelope_id", envelope_id}}.dump();
    return R"({"envelope_id":")" + envelope_id + R"("})";
}

std::string ack_with_payload(const std::string& envelope_id, const nlohmann::json& payload) {
    if (!payload.is_object() || payload.empty()) return ack_for(envelope_id);
    return nlohmann::json{{"envelope_id", envelope_id}, {"payload", payload}}.dump();
}

std::string ack_with_text(const std::string& envelope_id, const std::string& text) {
    return nlohmann::json{{"envelope_id", envelope_id},
                          {"payload", {{"response_type", "ephemeral"}, {"text", text}}}}
        .dump();
}

}  // namespace opsbot::slack
