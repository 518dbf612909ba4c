#include "bot/slack/slack_router.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::slack {
namespace {

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
    static const nlohmann::json empty = nlohmann::json::object();
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

// "/deploy acme stage" runs "deploy acme stage"; "/ops <anything>" runs it as is.
std::string command_text(const std::string& slash, const std::string& text) {
    const std::string name = slash.empty() || slash[0] != '/' ? slash : slash.substr(1);
    if (name == "ops" || name.empty()) return text;
    return trim(name + " " + text);
}

void finish(const EnvelopeDone& done) {
    if (done) done();
}

// The handler registered under the longest prefix of id; call under the lock.
template <typename Handler>
Handler longest_prefix(const std::map<std::string, Handler>& handlers, const std::string& id) {
    Handler found;
    std::size_t best = 0;
    for (const auto& [prefix, handler] : handlers)
        if (starts_with(id, prefix) && prefix.size() >= best) {
            best = prefix.size();
            found = handler;
        }
    return found;
}

}  // namespace

bool RecentKeys::insert(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (!keys_.insert(key).second) return false;
    order_.push_back(key);
    if (order_.size() > capacity_) {
        keys_.erase(order_.front());
        order_.pop_front();
    }
    return true;
}

std::string strip_bot_mention(const std::string& text, const std::string& bot_user_id) {
    std::string out = trim(text);
    const std::string mention = "<@" + bot_user_id;
    while (starts_with(out, mention)) {
        const auto close = out.find('>');
        if (close == std::string::npos) break;
        out = trim(std::string_view(out).substr(close + 1));
    }
    return out;
}

SlackRouter::SlackRouter(Dispatcher& dispatcher, WebApi& api, const Catalogue& catalogue,
                         AuditStore& audit, KeyedExecutor& handlers, KeyedExecutor& outbound,
                         std::string bot_user_id)
    : dispatcher_(dispatcher),
      api_(api),
      catalogue_(catalogue),
      audit_(audit),
      handlers_(handlers),
      outbound_(outbound),
      bot_user_id_(std::move(bot_user_id)) {}

void SlackRouter::on_action(std::string action_id_prefix, ActionHandler handler) {
    std::lock_guard lock(mutex_);
    action_handlers_[std::move(action_id_prefix)] = std::move(handler);
}

void SlackRouter::on_view(std::string callback_id_prefix, ViewHandler handler) {
    std::lock_guard lock(mutex_);
    view_handlers_[std::move(callback_id_prefix)] = std::move(handler);
}

void SlackRouter::on_suggestion(std::string action_id_prefix, SuggestionHandler handler) {
    std::lock_guard lock(mutex_);
    suggestion_handlers_[std::move(action_id_prefix)] = std::move(handler);
}

void SlackRouter::on_event(std::string type, EventHandler handler) {
    std::lock_guard lock(mutex_);
    event_handlers_[std::move(type)] = std::move(handler);
}

void SlackRouter::on_slash(FormOpener opener) {
    std::lock_guard lock(mutex_);
    form_opener_ = std::move(opener);
}

void SlackRouter::on_command_button(std::string action_id_prefix,
                                    std::function<std::string(const BlockAction&)> to_text) {
    on_action(std::move(action_id_prefix),
              [this, to_text = std::move(to_text)](const BlockAction& action, EnvelopeDone done) {
                  run_command_button(action, to_text(action), std::move(done));
              });
}

void SlackRouter::run_command_button(const BlockAction& action, const std::string& text,
                                     EnvelopeDone done) {
    CommandRequest request;
    request.text = text;
    request.actor = actor_for(action.user_id, action.user_name);
    request.channel = action.channel;
    request.thread = action.message_ts;
    request.idempotency_key = "action:" + action.trigger_id + ":" + action.action_ts;
    const auto result = dispatcher_.handle(request);
    const ResponseUrlMessage message{result.reply.text, result.reply.blocks_json, true, false};
    respond(action.response_url, message, "answer to a button", result.correlation_id,
            std::move(done));
}

void SlackRouter::on_envelope(Envelope envelope, EnvelopeDone done) {
    if (envelope.retry_attempt > 0)
        spdlog::info("slack: redelivery {} of envelope {} ({})", envelope.retry_attempt,
                     envelope.envelope_id, envelope.retry_reason);
    switch (envelope.type) {
        case EnvelopeType::slash_commands:
            return route_slash(envelope.payload, std::move(done));
        case EnvelopeType::events_api:
            return route_event(envelope.payload, std::move(done));
        case EnvelopeType::interactive:
            return route_interactive(envelope.payload, envelope.answer, std::move(done));
        default:
            spdlog::debug("slack: acknowledged and ignored a '{}' envelope", envelope.type_name);
            finish(done);
    }
}

void SlackRouter::schedule(const std::string& conversation, std::function<void()> job) {
    if (!handlers_.post(conversation, std::move(job)))
        spdlog::error(
            "slack: the handler queue is full; a request in {} was dropped — opsbot is "
            "overloaded, see /metrics",
            conversation);
}

void SlackRouter::route_slash(const nlohmann::json& payload, EnvelopeDone done) {
    const std::string trigger = string_field(payload, "trigger_id");
    const std::string key = "slash:" + trigger;
    if (!trigger.empty() && !recent_.insert(key)) return finish(done);
    CommandRequest request;
    request.text = command_text(string_field(payload, "command"), string_field(payload, "text"));
    request.channel = string_field(payload, "channel_id");
    request.idempotency_key = trigger.empty() ? "" : key;
    const std::string user = string_field(payload, "user_id");
    const std::string user_name = string_field(payload, "user_name");
    const std::string response_url = string_field(payload, "response_url");
    FormOpener opener;
    {
        std::lock_guard lock(mutex_);
        opener = form_opener_;
    }
    const SlashRequest slash{request.text, user, user_name, request.channel, trigger, response_url};
    schedule("conversation:" + request.channel, [this, request, slash, opener, done]() mutable {
        if (opener && opener(slash)) return finish(done);
        request.actor = actor_for(slash.user_id, slash.user_name);
        reply_to_slash(slash.response_url, dispatcher_.handle(request), done);
    });
}

void SlackRouter::route_event(const nlohmann::json& payload, EnvelopeDone done) {
    const auto& event = member(payload, "event");
    const std::string type = string_field(event, "type");
    const std::string user = string_field(event, "user");
    if (!string_field(event, "bot_id").empty() || user == bot_user_id_ || user.empty())
        return finish(done);
    if (type != "app_mention") {
        EventHandler handler;
        {
            std::lock_guard lock(mutex_);
            if (const auto it = event_handlers_.find(type); it != event_handlers_.end())
                handler = it->second;
        }
        if (!handler) {
            spdlog::debug("slack: ignored event '{}'", type);
            return finish(done);
        }
        return schedule("user:" + user,
                        [handler, event, done] { handler(event, [done] { finish(done); }); });
    }
    const std::string event_id = string_field(payload, "event_id");
    const std::string key = "event:" + event_id;
    if (!event_id.empty() && !recent_.insert(key)) return finish(done);
    CommandRequest request;
    request.text = strip_bot_mention(string_field(event, "text"), bot_user_id_);
    request.channel = string_field(event, "channel");
    request.thread = string_field(event, "thread_ts").empty() ? string_field(event, "ts")
                                                              : string_field(event, "thread_ts");
    request.idempotency_key = event_id.empty() ? "" : key;
    schedule("conversation:" + request.channel + ":" + request.thread, [this, request, user,
                                                                        done]() mutable {
        request.actor = actor_for(user, "");
        reply_in_thread(request.channel, request.thread, user, dispatcher_.handle(request), done);
    });
}

void SlackRouter::route_interactive(const nlohmann::json& payload, const AckAnswer& answer,
                                    EnvelopeDone done) {
    const std::string type = string_field(payload, "type");
    if (type == "block_actions") return route_block_actions(payload, std::move(done));
    if (type == "view_submission" || type == "block_suggestion")
        return route_answered(payload, answer, std::move(done));
    spdlog::debug("slack: ignored interaction '{}'", type);
    if (answer) answer({});
    finish(done);
}

// On the handler threads like any request, keyed by person: the ack waits
// for the answer (Slack allows 3 s; the socket acks plain at
// OPSBOT_SLACK_ANSWER_WITHIN, 2.5 s).
void SlackRouter::route_answered(const nlohmann::json& payload, const AckAnswer& answer,
                                 EnvelopeDone done) {
    const auto& user = member(payload, "user");
    const std::string user_id = string_field(user, "id");
    const std::string user_name = string_field(user, "username");
    const ViewRef view = read_view(member(payload, "view"));
    const auto reply = [this, answer, user_id, done](const nlohmann::json& ack_payload) {
        if (!answer || answer(ack_payload)) return finish(done);
        answered_late(user_id, ack_payload, done);
    };
    if (string_field(payload, "type") == "view_submission") {
        ViewHandler handler;
        {
            std::lock_guard lock(mutex_);
            handler = longest_prefix(view_handlers_, view.callback_id);
        }
        if (!handler) {
            spdlog::warn("slack: no handler for the form '{}'", view.callback_id);
            return reply({});
        }
        const ViewSubmission submission{user_id, user_name, string_field(payload, "trigger_id"),
                                        view};
        return schedule("user:" + user_id,
                        [handler, submission, reply] { reply(handler(submission)); });
    }
    const SuggestionRequest request{user_id,
                                    user_name,
                                    string_field(payload, "action_id"),
                                    string_field(payload, "block_id"),
                                    string_field(payload, "value"),
                                    view};
    SuggestionHandler handler;
    {
        std::lock_guard lock(mutex_);
        handler = longest_prefix(suggestion_handlers_, request.action_id);
    }
    if (!handler) {
        spdlog::warn("slack: no options for the select '{}'", request.action_id);
        return reply({{"options", nlohmann::json::array()}});
    }
    schedule("user:" + user_id, [handler, request, reply] { reply(handler(request)); });
}

// Past the ack's wait the modal closed on a plain ack. Field errors would be
// lost with it, the person believing their command ran: they are told by
// direct message instead (the refusal itself is already audited).
void SlackRouter::answered_late(const std::string& user_id, const nlohmann::json& ack_payload,
                                EnvelopeDone done) {
    if (ack_payload.value("response_action", "") != "errors") {
        spdlog::info("slack: an answer for {} came after its ack went plain; dropped", user_id);
        return finish(done);
    }
    std::string text =
        "Your form closed before opsbot could check it (Slack waits 3 s), and nothing was run:";
    const auto errors = ack_payload.value("errors", nlohmann::json::object());
    for (const auto& [field, message] : errors.items())
        text += "\n• " + field + ": " + (message.is_string() ? message.get<std::string>() : "");
    text += "\nOpen the form again, or type the command.";
    const std::string id = new_correlation_id();
    spdlog::warn(
        "slack: a form's field errors came too late for its ack; told {} by direct "
        "message corr={}",
        user_id, id);
    reply_in_thread(user_id, "", user_id,
                    DispatchResult{{text, Visibility::ephemeral, {}}, Outcome::failed, id},
                    std::move(done));
}

// The actions of one payload share a message, hence a conversation, and run
// in order: the envelope is done once the answer to the last of them went out.
void SlackRouter::route_block_actions(const nlohmann::json& payload, EnvelopeDone done) {
    const auto& user = member(payload, "user");
    const ViewRef view = read_view(member(payload, "view"));
    const auto actions = payload.find("actions");
    if (actions == payload.end() || !actions->is_array()) return finish(done);
    std::vector<std::pair<std::string, BlockAction>> jobs;
    for (const auto& a : *actions) {
        const auto values = element_values(a);
        BlockAction action{.action_id = string_field(a, "action_id"),
                           .value = values.empty() ? "" : values.front(),
                           .action_ts = string_field(a, "action_ts"),
                           .trigger_id = string_field(payload, "trigger_id"),
                           .user_id = string_field(user, "id"),
                           .user_name = string_field(user, "username"),
                           .channel = string_field(member(payload, "channel"), "id"),
                           .message_ts = string_field(member(payload, "message"), "ts"),
                           .response_url = string_field(payload, "response_url"),
                           .view = view};
        if (!recent_.insert("action:" + action.trigger_id + ":" + action.action_ts)) continue;
        jobs.emplace_back(view.id.empty()
                              ? "conversation:" + action.channel + ":" + action.message_ts
                              : "view:" + view.id,
                          action);
    }
    if (jobs.empty()) return finish(done);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const EnvelopeDone last = i + 1 == jobs.size() ? done : EnvelopeDone{};
        schedule(jobs[i].first,
                 [this, action = jobs[i].second, last] { handle_block_action(action, last); });
    }
}

// Confirm and Cancel: the presser's answer replaces the buttons when it
// decided something; a refusal goes to the presser alone.
void SlackRouter::decide_confirmation(const BlockAction& action, EnvelopeDone done) {
    const bool approve = action.action_id == kConfirmAction;
    const Actor actor = actor_for(action.user_id, action.user_name);
    const auto decided =
        dispatcher_.decide({action.value, approve, actor, action.channel, action.message_ts});
    const auto& reply = decided.result.reply;
    ResponseUrlMessage message{reply.text, reply.blocks_json, !decided.decided, decided.decided};
    respond(action.response_url, message, "answer to a confirmation button", new_correlation_id(),
            std::move(done));
}

void SlackRouter::handle_block_action(const BlockAction& action, EnvelopeDone done) {
    if (action.action_id == kConfirmAction || action.action_id == kCancelAction)
        return decide_confirmation(action, std::move(done));
    ActionHandler handler;
    {
        std::lock_guard lock(mutex_);
        handler = longest_prefix(action_handlers_, action.action_id);
    }
    if (handler) return handler(action, std::move(done));
    spdlog::warn("slack: no handler for button '{}'", action.action_id);
    reply_to_slash(action.response_url,
                   DispatchResult{{"This button is no longer handled by opsbot; run the command "
                                   "again.",
                                   Visibility::ephemeral,
                                   {}},
                                  Outcome::failed,
                                  new_correlation_id()},
                   std::move(done));
}

std::vector<std::string> SlackRouter::usergroups_of(const std::string& user_id) {
    std::vector<std::string> groups;
    for (const auto& m : catalogue_.members) {
        if (m.usergroup.empty()) continue;
        const auto users = api_.usergroup_members(m.usergroup);
        if (!users) {
            spdlog::warn("slack: cannot read user group {}: {}", m.usergroup,
                         users.error().message);
            continue;
        }
        const auto& list = users.value();
        if (std::find(list.begin(), list.end(), user_id) != list.end() &&
            std::find(groups.begin(), groups.end(), m.usergroup) == groups.end())
            groups.push_back(m.usergroup);
    }
    return groups;
}

Actor SlackRouter::actor_for(const std::string& user_id, const std::string& user_name) {
    Actor actor;
    actor.user_id = user_id;
    actor.source = Source::slack;
    actor.name = user_name;
    if (actor.name.empty()) {
        std::lock_guard lock(mutex_);
        actor.name = user_names_[user_id];
    }
    if (actor.name.empty()) {
        if (const auto info = api_.user_info(user_id)) {
            actor.name =
                info.value().real_name.empty() ? info.value().name : info.value().real_name;
            std::lock_guard lock(mutex_);
            user_names_[user_id] = actor.name;
        }
    }
    actor.usergroups = usergroups_of(user_id);
    return actor;
}

void SlackRouter::reply_to_slash(const std::string& response_url, const DispatchResult& result,
                                 EnvelopeDone done) {
    if (response_url.empty()) return finish(done);
    ResponseUrlMessage message{result.reply.text, result.reply.blocks_json,
                               result.reply.visibility == Visibility::ephemeral, false};
    respond(response_url, message, "reply to a slash command", result.correlation_id,
            std::move(done));
}

// Queues a message for a response_url; a failure is logged and audited as `what`.
void SlackRouter::respond(const std::string& response_url, const ResponseUrlMessage& message,
                          const std::string& what, const std::string& correlation_id,
                          EnvelopeDone done) {
    const bool queued =
        outbound_.post(response_url, [this, response_url, message, what, correlation_id, done] {
            if (auto sent = api_.respond(response_url, message); !sent)
                delivery_failed(what, sent.error(), correlation_id);
            finish(done);
        });
    if (queued) return;
    delivery_failed(what, {"queue_full", "outbound queue full", ""}, correlation_id);
    finish(done);
}

void SlackRouter::reply_in_thread(const std::string& channel, const std::string& thread_ts,
                                  const std::string& user, const DispatchResult& result,
                                  EnvelopeDone done) {
    OutgoingMessage message{channel, result.reply.text, thread_ts, result.reply.blocks_json};
    // A mention is public, so the answer is too, in its thread; only a reply
    // carrying a personal link goes to the requester alone.
    const bool ephemeral = result.reply.carries_secret;
    const std::string id = result.correlation_id;
    const bool queued = outbound_.post(
        "channel:" + channel,
        [this, message, ephemeral, user, id, done] {
            Status sent = success();
            if (ephemeral)
                sent = api_.post_ephemeral(message.channel, user, message);
            else if (auto posted = api_.post_message(message); !posted)
                sent = posted.error();
            if (!sent) delivery_failed("reply in a thread", sent.error(), id);
            finish(done);
        },
        /*paced=*/true);
    if (queued) return;
    delivery_failed("reply in a thread", {"queue_full", "outbound queue full", ""}, id);
    finish(done);
}

void SlackRouter::delivery_failed(const std::string& what, const Error& error,
                                  const std::string& correlation_id) {
    spdlog::error("slack: could not deliver a {} (corr={}): {} ({})", what, correlation_id,
                  error.message, error.code);
    AuditEntry entry;
    entry.correlation_id = correlation_id;
    entry.source = Source::slack;
    entry.command = what;
    entry.outcome = Outcome::failed;
    entry.error = "reply not delivered: " + error.code + " " + error.message;
    audit_.append(std::move(entry));
}

}  // namespace opsbot::slack
