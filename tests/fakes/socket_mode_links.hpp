#pragma once
// The fake Slack's Socket Mode side: the links an app holds (Slack allows up
// to 10, from one process or several), which link each envelope goes to,
// and what became of it: on which link it was acknowledged and when, and
// the Events API retries of an envelope left unacknowledged. Tests read the
// records to count, per request, deliveries, acks and answers.
//
// Delivery follows Slack: by default (as opsbot's single-process tests
// expect) every envelope goes to the newest open link and nothing is
// retried; spread() sends each envelope to ONE open link chosen at random
// (a seeded generator: a run can be replayed) and retries events.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

using SlackClock = std::chrono::steady_clock;

// Slack's retries of an events_api envelope not acknowledged in time. Each
// retry is a new envelope (a new envelope_id: Slack's documentation does not
// say, and apps have reported retries with ids other than the first's) with
// the same payload, event_id included, retry_attempt one more and
// retry_reason "timeout", on a link chosen again at random. Slack waits
// about 3 s for an ack and retries up to 3 times, the first at once and the
// next after about 1 and 5 minutes; the fake retries each time ack_timeout
// passes unacknowledged. Slash commands and button presses are never
// retried. max_retries 0: no retries.
struct RetryPolicy {
    std::chrono::milliseconds ack_timeout{3000};
    int max_retries = 3;
};

// One envelope sent on one link.
struct EnvelopeRecord {
    std::string envelope_id;
    std::string type;     // slash_commands, events_api, interactive...
    std::string request;  // the key of the RequestRecord it delivers
    int retry_attempt = 0;
    std::size_t link = 0;  // as FakeSlack::link(index)
    std::string client;    // who opened that link (FakeSlack::api_url(client))
    SlackClock::time_point sent;
    std::optional<SlackClock::time_point> acked;  // the first ack
    std::optional<std::size_t> acked_on;          // the link that ack came on
    std::size_t acks = 0;                         // every ack of it
    bool lost = false;                            // its link closed before it was acknowledged
};

// One request as the user made it: a slash command or a button press (one
// envelope, never delivered again), or an event (keyed by its event_id,
// one envelope per delivery). Answers are counted as they reach the fake:
// posts to the request's response_url, and chat.postMessage calls in the
// thread an event started (channel and thread_ts; several mentions in one
// existing thread count for the last of them).
struct RequestRecord {
    std::string key;  // the event_id, else the first envelope's id
    std::string type;
    std::vector<std::string> envelopes;  // its deliveries, first one first
    bool acked = false;                  // one of them was acknowledged
    std::size_t responses = 0;           // posts to its response_url
    std::size_t messages = 0;            // chat.postMessage calls in its thread
    std::vector<std::string> posted_by;  // the client of each of those calls
    std::size_t answers() const { return responses + messages; }
};

struct DeliveryTally {
    std::size_t requests = 0;
    std::size_t envelopes = 0;  // deliveries, retries included
    std::size_t acked_envelopes = 0;
    std::size_t lost_envelopes = 0;    // unacknowledged when their link closed
    std::size_t retries = 0;           // redeliveries of events
    std::size_t unacked_requests = 0;  // no delivery of them acknowledged
    // Slash commands and button presses delivered and never acknowledged:
    // Slack does not send them again, the user saw a timeout.
    std::size_t unacked_commands = 0;
    std::size_t unanswered = 0;  // requests with no answer at all
    std::size_t answered_once = 0;
    std::size_t answered_more = 0;  // answered twice or more
};

// The text of a Socket Mode envelope, as Slack frames it.
std::string socket_mode_envelope(const std::string& type, nlohmann::json payload, int retry_attempt,
                                 const std::string& envelope_id);

class SocketModeLinks {
public:
    SocketModeLinks() = default;
    ~SocketModeLinks() { stop(); }
    SocketModeLinks(const SocketModeLinks&) = delete;
    SocketModeLinks& operator=(const SocketModeLinks&) = delete;

    // Ends retries; nothing is sent after it returns.
    void stop();
    void spread(std::uint64_t seed, RetryPolicy retry);

    // A link that finished its handshake, opened by client; its acks and its
    // end are recorded from now on. Returns its index.
    std::size_t add(const std::shared_ptr<WebSocketPeer>& peer, const std::string& client);
    std::shared_ptr<WebSocketPeer> link(std::size_t index) const;
    std::size_t size() const;
    std::size_t open_count() const;
    std::size_t open_count(const std::string& client) const;
    std::string client(std::size_t index) const;
    std::shared_ptr<WebSocketPeer> newest_open() const;

    // Sends an envelope and records it; the request it delivers is read from
    // the payload (event_id, response_url, the event's thread). Throws when
    // no link is open.
    void send(const std::string& type, nlohmann::json payload, int retry_attempt,
              const std::string& envelope_id);

    // Answers as they reach the fake.
    void response_posted(const std::string& path);
    void message_posted(const std::string& channel, const std::string& thread_ts,
                        const std::string& client);

    std::vector<EnvelopeRecord> envelopes() const;  // in the order sent
    std::optional<EnvelopeRecord> envelope(const std::string& envelope_id) const;
    std::vector<RequestRecord> requests() const;  // in the order first sent
    std::optional<RequestRecord> request(const std::string& key) const;
    // The deliveries of one event, first one first.
    std::vector<EnvelopeRecord> deliveries_of(const std::string& event_id) const;
    DeliveryTally tally() const;

private:
    struct Link {
        std::shared_ptr<WebSocketPeer> peer;
        std::string client;
    };
    struct Request {
        RequestRecord record;
        nlohmann::json payload;  // events only: what a retry sends again
    };
    // With mutex_ held.
    std::optional<std::size_t> pick_link();
    std::optional<std::size_t> newest_open_index() const;
    Request& request_for(const std::string& type, const nlohmann::json& payload,
                         const std::string& envelope_id);
    void deliver(std::size_t link, const std::string& type, const nlohmann::json& payload,
                 int retry_attempt, const std::string& envelope_id, const std::string& request);
    void retry(std::size_t record);
    void count_answer(const RequestRecord& record);
    // On the link server's threads.
    void acknowledged(std::size_t link, const std::string& text);
    void closed(std::size_t link);
    void retry_loop();

    mutable std::mutex mutex_;
    std::vector<Link> links_;
    bool spread_ = false;
    std::mt19937_64 random_;
    RetryPolicy retry_{.ack_timeout = std::chrono::milliseconds(3000), .max_retries = 0};
    // Every envelope sent, in order; an id sent twice has two records.
    std::vector<EnvelopeRecord> records_;
    std::unordered_map<std::string, std::vector<std::size_t>> by_envelope_id_;
    std::vector<std::string> request_order_;
    std::unordered_map<std::string, Request> requests_;
    std::unordered_map<std::string, std::string> by_response_path_;  // → request key
    std::unordered_map<std::string, std::string> by_thread_;         // channel:ts → key
    std::multimap<SlackClock::time_point, std::size_t> due_;         // record to check
    std::condition_variable wake_;
    std::thread retries_;
    bool stopping_ = false;
    DeliveryTally tally_;  // kept as records change: tests poll it
};

}  // namespace opsbot::test
