#include "tests/fakes/socket_mode_links.hpp"

#include <stdexcept>

namespace opsbot::test {
namespace {

std::string text_of(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Where the fake serves a response_url: its path from "/response/" on.
std::string response_path(const nlohmann::json& payload) {
    const std::string url = text_of(payload, "response_url");
    const auto at = url.find("/response/");
    return at == std::string::npos ? "" : url.substr(at);
}

// The thread a mention's answer goes to, as "channel:ts".
std::string event_thread(const nlohmann::json& payload) {
    const auto event = payload.find("event");
    if (event == payload.end() || !event->is_object()) return "";
    std::string ts = text_of(*event, "thread_ts");
    if (ts.empty()) ts = text_of(*event, "ts");
    return ts.empty() ? "" : text_of(*event, "channel") + ":" + ts;
}

}  // namespace

std::string socket_mode_envelope(const std::string& type, nlohmann::json payload, int retry_attempt,
                                 const std::string& envelope_id) {
    nlohmann::json envelope{{"envelope_id", envelope_id},
                            {"type", type},
                            {"accepts_response_payload", type == "slash_commands"},
                            {"payload", std::move(payload)}};
    if (type == "events_api") {
        envelope["retry_attempt"] = retry_attempt;
        envelope["retry_reason"] = retry_attempt > 0 ? "timeout" : "";
    }
    return envelope.dump();
}

void SocketModeLinks::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (retries_.joinable()) retries_.join();
}

void SocketModeLinks::spread(std::uint64_t seed, RetryPolicy retry) {
    std::lock_guard lock(mutex_);
    spread_ = true;
    random_.seed(seed);
    retry_ = retry;
    if (retry.max_retries > 0 && !retries_.joinable())
        retries_ = std::thread([this] { retry_loop(); });
}

std::size_t SocketModeLinks::add(const std::shared_ptr<WebSocketPeer>& peer,
                                 const std::string& client) {
    std::lock_guard lock(mutex_);
    const std::size_t index = links_.size();
    links_.push_back({peer, client});
    peer->on_message([this, index](const std::string& text) { acknowledged(index, text); });
    peer->on_close([this, index] { closed(index); });
    return index;
}

std::shared_ptr<WebSocketPeer> SocketModeLinks::link(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return index < links_.size() ? links_[index].peer : nullptr;
}

std::size_t SocketModeLinks::size() const {
    std::lock_guard lock(mutex_);
    return links_.size();
}

std::size_t SocketModeLinks::open_count() const {
    std::lock_guard lock(mutex_);
    std::size_t open = 0;
    for (const auto& link : links_) open += link.peer->open() ? 1 : 0;
    return open;
}

std::size_t SocketModeLinks::open_count(const std::string& client) const {
    std::lock_guard lock(mutex_);
    std::size_t open = 0;
    for (const auto& link : links_) open += link.client == client && link.peer->open() ? 1 : 0;
    return open;
}

std::string SocketModeLinks::client(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return index < links_.size() ? links_[index].client : "";
}

std::shared_ptr<WebSocketPeer> SocketModeLinks::newest_open() const {
    std::lock_guard lock(mutex_);
    const auto index = newest_open_index();
    return index ? links_[*index].peer : nullptr;
}

std::optional<std::size_t> SocketModeLinks::newest_open_index() const {
    for (std::size_t i = links_.size(); i-- > 0;)
        if (links_[i].peer->open()) return i;
    return std::nullopt;
}

std::optional<std::size_t> SocketModeLinks::pick_link() {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < links_.size(); ++i)
        if (links_[i].peer->open()) open.push_back(i);
    if (open.empty()) return std::nullopt;
    return open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(random_)];
}

void SocketModeLinks::send(const std::string& type, nlohmann::json payload, int retry_attempt,
                           const std::string& envelope_id) {
    std::lock_guard lock(mutex_);
    const auto link = spread_ ? pick_link() : newest_open_index();
    if (!link) throw std::runtime_error("fake Slack: no open Socket Mode link to send on");
    auto& request = request_for(type, payload, envelope_id);
    if (type == "events_api" && request.payload.is_null()) request.payload = payload;
    deliver(*link, type, payload, retry_attempt, envelope_id, request.record.key);
}

// The request an envelope delivers, recorded at its first delivery.
SocketModeLinks::Request& SocketModeLinks::request_for(const std::string& type,
                                                       const nlohmann::json& payload,
                                                       const std::string& envelope_id) {
    std::string key = type == "events_api" ? text_of(payload, "event_id") : "";
    if (key.empty()) key = envelope_id;
    const auto [it, added] = requests_.try_emplace(key);
    if (!added) return it->second;
    it->second.record.key = key;
    it->second.record.type = type;
    request_order_.push_back(key);
    ++tally_.requests;
    ++tally_.unacked_requests;
    ++tally_.unanswered;
    if (type != "events_api") ++tally_.unacked_commands;
    if (const auto path = response_path(payload); !path.empty()) by_response_path_[path] = key;
    if (type == "events_api")
        if (const auto thread = event_thread(payload); !thread.empty()) by_thread_[thread] = key;
    return it->second;
}

void SocketModeLinks::deliver(std::size_t link, const std::string& type,
                              const nlohmann::json& payload, int retry_attempt,
                              const std::string& envelope_id, const std::string& request) {
    const auto now = SlackClock::now();
    const std::size_t index = records_.size();
    records_.push_back({.envelope_id = envelope_id,
                        .type = type,
                        .request = request,
                        .retry_attempt = retry_attempt,
                        .link = link,
                        .client = links_[link].client,
                        .sent = now});
    by_envelope_id_[envelope_id].push_back(index);
    ++tally_.envelopes;
    requests_[request].record.envelopes.push_back(envelope_id);
    links_[link].peer->send(socket_mode_envelope(type, payload, retry_attempt, envelope_id));
    if (type != "events_api" || retry_attempt >= retry_.max_retries) return;
    due_.emplace(now + retry_.ack_timeout, index);
    wake_.notify_all();
}

void SocketModeLinks::acknowledged(std::size_t link, const std::string& text) {
    if (text.find("envelope_id") == std::string::npos) return;
    const auto ack = nlohmann::json::parse(text, nullptr, false);
    if (!ack.is_object()) return;
    const std::string id = text_of(ack, "envelope_id");
    const auto now = SlackClock::now();
    std::lock_guard lock(mutex_);
    const auto found = by_envelope_id_.find(id);
    if (found == by_envelope_id_.end()) return;
    for (const std::size_t index : found->second) {
        auto& record = records_[index];
        ++record.acks;
        if (record.acked) continue;
        record.acked = now;
        record.acked_on = link;
        ++tally_.acked_envelopes;
        auto& request = requests_[record.request].record;
        if (request.acked) continue;
        request.acked = true;
        --tally_.unacked_requests;
        if (request.type != "events_api") --tally_.unacked_commands;
    }
}

void SocketModeLinks::closed(std::size_t link) {
    std::lock_guard lock(mutex_);
    for (auto& record : records_)
        if (record.link == link && !record.acked && !record.lost) {
            record.lost = true;
            ++tally_.lost_envelopes;
        }
}

void SocketModeLinks::retry_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (due_.empty()) {
            wake_.wait(lock);
            continue;
        }
        if (const auto next = due_.begin()->first; SlackClock::now() < next) {
            wake_.wait_until(lock, next);
            continue;
        }
        const std::size_t record = due_.begin()->second;
        due_.erase(due_.begin());
        retry(record);
    }
}

// An event whose delivery went unacknowledged for ack_timeout: delivered
// again on a link chosen anew, or checked again later while none is open.
void SocketModeLinks::retry(std::size_t index) {
    const EnvelopeRecord record = records_[index];
    auto& request = requests_[record.request];
    if (request.record.acked || record.retry_attempt >= retry_.max_retries) return;
    const auto link = pick_link();
    if (!link) {
        due_.emplace(SlackClock::now() + retry_.ack_timeout, index);
        return;
    }
    ++tally_.retries;
    deliver(*link, record.type, request.payload, record.retry_attempt + 1,
            "env-retry-" + std::to_string(tally_.retries), record.request);
}

void SocketModeLinks::response_posted(const std::string& path) {
    std::lock_guard lock(mutex_);
    const auto key = by_response_path_.find(path);
    if (key == by_response_path_.end()) return;
    auto& record = requests_[key->second].record;
    count_answer(record);
    ++record.responses;
}

void SocketModeLinks::message_posted(const std::string& channel, const std::string& thread_ts,
                                     const std::string& client) {
    if (thread_ts.empty()) return;
    std::lock_guard lock(mutex_);
    const auto key = by_thread_.find(channel + ":" + thread_ts);
    if (key == by_thread_.end()) return;
    auto& record = requests_[key->second].record;
    count_answer(record);
    ++record.messages;
    record.posted_by.push_back(client);
}

// Before a request's answers grow by one.
void SocketModeLinks::count_answer(const RequestRecord& record) {
    if (record.answers() == 0) {
        --tally_.unanswered;
        ++tally_.answered_once;
    } else if (record.answers() == 1) {
        --tally_.answered_once;
        ++tally_.answered_more;
    }
}

std::vector<EnvelopeRecord> SocketModeLinks::envelopes() const {
    std::lock_guard lock(mutex_);
    return records_;
}

std::optional<EnvelopeRecord> SocketModeLinks::envelope(const std::string& envelope_id) const {
    std::lock_guard lock(mutex_);
    const auto found = by_envelope_id_.find(envelope_id);
    if (found == by_envelope_id_.end()) return std::nullopt;
    return records_[found->second.back()];
}

std::vector<RequestRecord> SocketModeLinks::requests() const {
    std::lock_guard lock(mutex_);
    std::vector<RequestRecord> out;
    out.reserve(request_order_.size());
    for (const auto& key : request_order_) out.push_back(requests_.at(key).record);
    return out;
}

std::optional<RequestRecord> SocketModeLinks::request(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto found = requests_.find(key);
    if (found == requests_.end()) return std::nullopt;
    return found->second.record;
}

std::vector<EnvelopeRecord> SocketModeLinks::deliveries_of(const std::string& event_id) const {
    std::lock_guard lock(mutex_);
    std::vector<EnvelopeRecord> out;
    for (const auto& record : records_)
        if (record.request == event_id) out.push_back(record);
    return out;
}

DeliveryTally SocketModeLinks::tally() const {
    std::lock_guard lock(mutex_);
    return tally_;
}

}  // namespace opsbot::test
