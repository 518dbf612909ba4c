#pragma once
// Routes Socket Mode envelopes (already acknowledged) into the command core
// and sends the replies back where they belong:
//   slash_commands        → dispatcher → response_url (ephemeral or in channel)
//   events_api/app_mention→ dispatcher → the thread of the mention
//   interactive           → buttons (block_actions), forms (view_submission)
//                           and options (block_suggestion), by id prefix
//   other events          → handlers by event type (app_home_opened)
// Messages from bots (opsbot included) are ignored; anything else is logged
// at debug. Handlers run on a KeyedExecutor keyed by conversation, so one
// slow command never delays another conversation, nor the acks.

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

#include "bot/dispatcher.hpp"
#include "bot/slack/envelope.hpp"
#include "bot/slack/interactions.hpp"
#include "bot/slack/web_api.hpp"
#include "core/keyed_executor.hpp"

namespace opsbot::slack {

struct BlockAction {
    std::string action_id;
    std::string value;
    std::string action_ts;
    std::string trigger_id;
    std::string user_id;
    std::string user_name;
    std::string channel;
    std::string message_ts;
    std::string response_url;  // empty for a button in a modal or the Home tab
    ViewRef view;              // the modal or Home tab it is in, if any
};

// Called once an envelope's work is over: its reply went out (or failed and
// was audited), or there was nothing to do. Not called for a request that
// never ran (handler queue full, opsbot stopped first): the envelope journal
// replays those at the next start.
using EnvelopeDone = std::function<void()>;
// A button's handler; it calls done (when set) once its answer went out.
using ActionHandler = std::function<void(const BlockAction&, EnvelopeDone done)>;

// Remembers the last few thousand request keys so a duplicate delivery of a
// non-action event is dropped before it costs anything.
class RecentKeys {
public:
    explicit RecentKeys(std::size_t capacity) : capacity_(capacity) {}
    bool insert(const std::string& key);  // false when already seen

private:
    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_set<std::string> keys_;
    std::deque<std::string> order_;
};

class SlackRouter {
public:
    SlackRouter(Dispatcher& dispatcher, WebApi& api, const Catalogue& catalogue, AuditStore& audit,
                KeyedExecutor& handlers, KeyedExecutor& outbound, std::string bot_user_id);

    // On the Socket Mode client's routing thread: must return at once.
    void on_envelope(Envelope envelope, EnvelopeDone done = {});
    // Buttons whose action_id starts with prefix go to handler.
    void on_action(std::string action_id_prefix, ActionHandler handler);
    // Buttons that run a command as the person who pressed them: to_text
    // turns the press into the command's text ("alert resolve 123"), so the
    // permission check, the audit row and the journal are the command's.
    // The answer goes to the presser alone.
    void on_command_button(std::string action_id_prefix,
                           std::function<std::string(const BlockAction&)> to_text);
    // Submissions of views whose callback_id starts with prefix.
    void on_view(std::string callback_id_prefix, ViewHandler handler);
    // Options for external selects whose action_id starts with prefix.
    void on_suggestion(std::string action_id_prefix, SuggestionHandler handler);
    // An events_api event of this type (not app_mention, which runs commands).
    void on_event(std::string type, EventHandler handler);
    // Asked first about every slash command; one it takes is not run.
    void on_slash(FormOpener opener);
    // The person as commands see them: name (users.info, cached) and the
    // catalogue's user groups they are in (usergroups.users.list).
    Actor actor_for(const std::string& user_id, const std::string& user_name);

private:
    void route_slash(const nlohmann::json& payload, EnvelopeDone done);
    void route_event(const nlohmann::json& payload, EnvelopeDone done);
    void route_interactive(const nlohmann::json& payload, const AckAnswer& answer,
                           EnvelopeDone done);
    void route_block_actions(const nlohmann::json& payload, EnvelopeDone done);
    // view_submission and block_suggestion: answered through the ack.
    void route_answered(const nlohmann::json& payload, const AckAnswer& answer, EnvelopeDone done);
    void answered_late(const std::string& user_id, const nlohmann::json& ack_payload,
                       EnvelopeDone done);
    void handle_block_action(const BlockAction& action, EnvelopeDone done);
    void decide_confirmation(const BlockAction& action, EnvelopeDone done);
    void run_command_button(const BlockAction& action, const std::string& text, EnvelopeDone done);
    void schedule(const std::string& conversation, std::function<void()> job);

    std::vector<std::string> usergroups_of(const std::string& user_id);
    void reply_to_slash(const std::string& response_url, const DispatchResult& result,
                        EnvelopeDone done = {});
    void respond(const std::string& response_url, const ResponseUrlMessage& message,
                 const std::string& what, const std::string& correlation_id,
                 EnvelopeDone done = {});
    void reply_in_thread(const std::string& channel, const std::string& thread_ts,
                         const std::string& user, const DispatchResult& result, EnvelopeDone done);
    void delivery_failed(const std::string& what, const Error& error,
                         const std::string& correlation_id);

    Dispatcher& dispatcher_;
    WebApi& api_;
    const Catalogue& catalogue_;
    AuditStore& audit_;
    KeyedExecutor& handlers_;
    KeyedExecutor& outbound_;
    std::string bot_user_id_;
    RecentKeys recent_{4096};
    std::mutex mutex_;
    std::map<std::string, std::string> user_names_;
    std::map<std::string, ActionHandler> action_handlers_;
    std::map<std::string, ViewHandler> view_handlers_;
    std::map<std::string, SuggestionHandler> suggestion_handlers_;
    std::map<std::string, EventHandler> event_handlers_;
    FormOpener form_opener_;
};

// "<@U0BOT> deploy acme stage" → "deploy acme stage"
std::string strip_bot_mention(const std::string& text, const std::string& bot_user_id);

}  // namespace opsbot::slack
