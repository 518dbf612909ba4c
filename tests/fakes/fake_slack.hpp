#pragma once
// A fake Slack on 127.0.0.1: the Web API methods opsbot calls, response_url
// endpoints, and the Socket Mode WebSocket. Tests drive it (send envelopes,
// drop or freeze links, ask for a refresh, answer 429) and read what opsbot
// sent back. Payloads follow Slack's documented shapes.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_server.hpp"
#include "tests/fakes/fake_views.hpp"
#include "tests/fakes/socket_mode_links.hpp"

namespace opsbot::test {

struct SlashCommand {
    std::string text;
    std::string command = "/ops";
    std::string user = "U01ALICE01";
    std::string user_name = "alice";
    std::string channel = "C0ACME0001";
    int retry_attempt = 0;
    std::string trigger_id;   // empty: a new one
    std::string envelope_id;  // empty: a new one
};

struct Mention {
    std::string text;  // "<@U0OPSBOT> help"
    std::string user = "U01ALICE01";
    std::string channel = "C0ACME0001";
    std::string ts;         // empty: a new one
    std::string thread_ts;  // empty: not in a thread
    std::string event_id;   // empty: a new one
    std::string bot_id;     // set: the message came from a bot
};

class FakeSlack {
public:
    static constexpr const char* kBotUserId = "U0OPSBOT01";
    static constexpr const char* kAppToken = "xapp-1-A0TEST-1234-fakeapptokenvalue";
    static constexpr const char* kBotToken = "xoxb-1234-5678-fakebottokenvalue";

    // With link_tls, the Socket Mode links are wss:// on a server of their
    // own (as Slack's are), the Web API stays plain HTTP.
    explicit FakeSlack(int threads = 1,
                       const TlsIdentity* link_tls = nullptr);  // see FakeHttpServer
    // The servers' threads stop before the members their handlers use go.
    ~FakeSlack() {
        links_.stop();
        if (link_server_) link_server_->stop();
        server_.stop();
    }
    FakeSlack(const FakeSlack&) = delete;
    FakeSlack& operator=(const FakeSlack&) = delete;

    std::string api_url() const { return server_.base_url() + "/api/"; }
    // The same Web API for one client (one opsbot process of several): the
    // Socket Mode links it opens and the messages it posts carry its name.
    std::string api_url(const std::string& client) const {
        return server_.base_url() + "/as/" + client + "/api/";
    }
    FakeHttpServer& server() { return server_; }
    // The host name apps.connections.open puts in link URLs (it resolves to
    // 127.0.0.1), for tests of certificate name checks.
    void set_link_host(std::string host) {
        std::lock_guard lock(mutex_);
        link_host_ = std::move(host);
    }

    // What the next calls answer.
    void refuse_app_token(bool refuse) { refuse_app_token_ = refuse; }
    void refuse_bot_token(bool refuse) { refuse_bot_token_ = refuse; }
    void fail_connections_open(int times) { fail_connections_open_ = times; }
    // The next `times` chat.postMessage calls answer 429 with Retry-After.
    void rate_limit_post_message(int times, int retry_after_seconds);
    void send_hello(bool send) { send_hello_ = send; }
    // chat.postMessage and chat.update closer than `gap` to the previous one
    // in the same channel answer 429 (Retry-After: 1), like Slack's
    // one-message-per-second pace. Zero turns it off.
    void enforce_channel_pace(std::chrono::milliseconds gap);
    std::size_t pace_rejections() const;
    // chat.postMessage answers this HTTP status (ok:false) until set to 0.
    void fail_posts(int status) { fail_posts_ = status; }
    // Calls to this Web API method answer only after delay (0: at once),
    // and with ok:false and this error when one is given.
    void slow_method(const std::string& method, std::chrono::milliseconds delay,
                     const std::string& error = "");
    // Calls to a channel made before the Retry-After we gave it ran out.
    std::size_t retry_after_violations() const;

    // Socket Mode. apps.connections.open hands out a link to every caller,
    // as Slack does for up to 10 links of an app.
    std::shared_ptr<WebSocketPeer> link(std::size_t index) const { return links_.link(index); }
    std::size_t links() const { return links_.size(); }  // ever opened
    bool wait_for_links(std::size_t count,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // The newest open one: where envelopes go unless spread.
    std::shared_ptr<WebSocketPeer> current_link() const { return links_.newest_open(); }
    // From now on each envelope goes to one open link chosen at random (a
    // generator seeded with seed), and events left unacknowledged are
    // delivered again (see RetryPolicy), as Slack does with several links.
    void spread_over_links(std::uint64_t seed, RetryPolicy retry = {}) {
        links_.spread(seed, retry);
    }
    // Every envelope sent, and what became of it and of its request.
    const SocketModeLinks& deliveries() const { return links_; }

    std::string send_slash(const SlashCommand& command);  // returns the envelope id
    std::string send_mention(const Mention& mention);
    // A button press (block_actions) on a message; its response_url is the
    // fake's, like a slash command's.
    std::string send_block_action(const std::string& user, const std::string& action_id,
                                  const std::string& value,
                                  const std::string& channel = "C0ACME0001",
                                  const std::string& message_ts = "1700000000.000001");
    // Forms and the Home tab (fake_slack_views.cpp). A view's interactions
    // carry the view as the fake holds it, with the values given: block_id →
    // element state (FakeViews::text, select, date, checked).
    FakeViews& views() { return views_; }
    const FakeViews& views() const { return views_; }
    std::string send_view_submission(const std::string& user, const std::string& view_id,
                                     const nlohmann::json& values);
    std::string send_block_suggestion(const std::string& user, const std::string& view_id,
                                      const std::string& action_id, const std::string& typed);
    // A select chosen or a button pressed in a modal or Home tab; value: the
    // chosen option's value (or the button's). Returns the envelope id.
    std::string send_view_action(const std::string& user, const std::string& view_id,
                                 const std::string& action_id, const std::string& value,
                                 const nlohmann::json& values = nlohmann::json::object());
    std::string send_home_opened(const std::string& user);
    // The trigger_id an envelope sent carried ("" if none).
    std::string trigger_of(const std::string& envelope_id) const;

    // users.lookupByEmail answers this user for this address.
    void add_user_email(const std::string& email, const std::string& user_id);
    // usergroups.users.list answers these members for this group (else none).
    void set_usergroup(const std::string& usergroup_id, std::vector<std::string> users);
    // A channel that exists before the test (conversations.* answer from these).
    void add_channel(const std::string& name, const std::string& id);
    std::string send_envelope(const std::string& type, nlohmann::json payload,
                              int retry_attempt = 0, const std::string& envelope_id = "");
    // The text send_envelope would send, for senders that build ahead.
    static std::string envelope_text(const std::string& type, nlohmann::json payload,
                                     int retry_attempt, const std::string& envelope_id) {
        return socket_mode_envelope(type, std::move(payload), retry_attempt, envelope_id);
    }
    // On the newest open link, unrecorded.
    void send_raw(const std::string& text);
    void request_refresh(const std::string& reason = "refresh_requested");

    // What opsbot sent
    std::vector<std::string> acked_envelope_ids() const;
    // Every ack received, as JSON; the first ack of an envelope, if any.
    std::vector<nlohmann::json> acks() const;
    std::optional<nlohmann::json> ack_of(const std::string& envelope_id) const;
    bool wait_for_ack(const std::string& envelope_id,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::vector<nlohmann::json> responses() const;  // bodies posted to response_urls
    // The first body posted to the response_url of one envelope sent: an
    // answer to a redelivered older envelope does not take its place.
    std::optional<nlohmann::json> response_to(const std::string& envelope_id) const;
    std::optional<nlohmann::json> wait_for_response_to(
        const std::string& envelope_id,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::vector<nlohmann::json> api_calls(const std::string& method) const;  // request bodies
    bool wait_for_responses(std::size_t count,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    bool wait_for_api_calls(const std::string& method, std::size_t count,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

private:
    struct Slow {
        std::chrono::milliseconds delay{0};
        std::string error;
    };
    Slow slowness_of(const std::string& method) const;
    FakeResponse api(const std::string& method, const RecordedRequest& request,
                     const std::string& client = "");
    FakeResponse connections_open(const RecordedRequest& request, const std::string& client);
    void link_opened(const std::shared_ptr<WebSocketPeer>& peer);
    FakeResponse check_token(const RecordedRequest& request, const char* token, bool refuse) const;
    FakeResponse conversations(const std::string& method, const nlohmann::json& body);
    std::map<std::string, std::string> channels_;  // name → id
    // A 429 for a paced call, or nothing (status 0) when it may go ahead.
    FakeResponse pace(const std::string& channel);
    std::string next_id(const std::string& prefix);

    FakeHttpServer& links_server() { return link_server_ ? *link_server_ : server_; }
    FakeHttpServer server_;
    std::unique_ptr<FakeHttpServer> link_server_;  // with link_tls only
    std::string link_host_ = "127.0.0.1";
    mutable std::mutex mutex_;
    std::map<std::string, std::string> clients_;  // link ticket → client
    SocketModeLinks links_;
    std::atomic<bool> refuse_app_token_{false};
    std::atomic<bool> refuse_bot_token_{false};
    std::atomic<bool> send_hello_{true};
    std::atomic<int> fail_connections_open_{0};
    std::atomic<int> rate_limited_posts_{0};
    std::atomic<int> fail_posts_{0};
    int retry_after_seconds_ = 1;
    std::atomic<long> counter_{0};
    std::map<std::string, std::string> users_by_email_;
    std::map<std::string, std::vector<std::string>> usergroups_;
    std::map<std::string, Slow> slow_methods_;
    std::map<std::string, std::string> response_paths_;  // envelope id → /response/<n>
    std::map<std::string, std::string> triggers_;        // envelope id → trigger_id
    FakeViews views_;
    std::chrono::milliseconds pace_gap_{0};
    std::map<std::string, std::chrono::steady_clock::time_point> last_call_;    // per channel
    std::map<std::string, std::chrono::steady_clock::time_point> retry_until_;  // per channel
    std::size_t pace_rejections_ = 0;
    std::size_t retry_after_violations_ = 0;
};

}  // namespace opsbot::test
