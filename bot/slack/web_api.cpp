#include "bot/slack/web_api.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot::slack {
namespace {

using SteadyClock = std::chrono::steady_clock;
using PaceKey = std::pair<std::string, std::string>;  // (method, channel)
using PaceMap = std::map<PaceKey, SteadyClock::time_point>;

constexpr const char* kJson = "application/json; charset=utf-8";
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kRateLimitedHint = "Slack is rate limiting opsbot; try again in a minute";

// Read methods that Slack documents as form-encoded only: they ignore a JSON
// body and answer as if no argument had been sent (users.info with no user is
// user_not_found). Write methods all take JSON.
bool form_encoded_only(const std::string& method) {
    return method == "users.info" || method == "users.lookupByEmail" ||
           method == "usergroups.users.list";
}

// The token itself was refused: no retry can help until it is replaced.
bool token_refused(const std::string& code) {
    return code == "invalid_auth" || code == "not_authed" || code == "account_inactive" ||
           code == "token_revoked" || code == "token_expired" || code == "not_allowed_token_type";
}

bool bool_of(const nlohmann::json& json, const char* key) {
    if (!json.is_object()) return false;
    const auto it = json.find(key);
    return it != json.end() && it->is_boolean() && it->get<bool>();
}

nlohmann::json object_of(const nlohmann::json& json, const char* key) {
    if (!json.is_object()) return nlohmann::json::object();
    const auto it = json.find(key);
    return it != json.end() && it->is_object() ? *it : nlohmann::json::object();
}

std::string dump(const nlohmann::json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Slack's read methods take a form; nested values go as JSON text.
std::string form_body(const nlohmann::json& body) {
    std::map<std::string, std::string> fields;
    for (const auto& [key, value] : body.items())
        fields[key] = value.is_string() ? value.get<std::string>() : dump(value);
    return form_encode(fields);
}

// The one place a POST to Slack is put together; the token is left out when
// empty (a response_url carries its own credential in its path).
HttpRequest slack_post(std::string url, std::string content_type, std::string payload,
                       const std::string& token) {
    HttpRequest request;
    request.method = "POST";
    request.url = std::move(url);
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    request.headers.emplace_back("Content-Type", std::move(content_type));
    request.body = std::move(payload);
    return request;
}

HttpRequest api_request(const std::string& api_url, const std::string& method,
                        const nlohmann::json& body, const std::string& token) {
    if (form_encoded_only(method))
        return slack_post(api_url + method, kForm, form_body(body), token);
    return slack_post(api_url + method, kJson, dump(body), token);
}

// blocks_json is produced by opsbot itself: one that does not parse is a bug,
// logged, and the message goes out as text rather than not at all.
void add_blocks(nlohmann::json& body, const std::string& blocks_json) {
    if (blocks_json.empty()) return;
    auto blocks = nlohmann::json::parse(blocks_json, nullptr, false);
    if (blocks.is_array())
        body["blocks"] = std::move(blocks);
    else
        spdlog::warn("slack: blocks are not a JSON array; sending the text alone");
}

nlohmann::json message_body(const OutgoingMessage& message) {
    nlohmann::json body{{"channel", message.channel}, {"text", message.text}};
    if (!message.thread_ts.empty()) body["thread_ts"] = message.thread_ts;
    add_blocks(body, message.blocks_json);
    return body;
}

UserInfo user_from(const nlohmann::json& answer) {
    const auto user = object_of(answer, "user");
    const auto profile = object_of(user, "profile");
    std::string shown = string_field(profile, "display_name");
    if (shown.empty()) shown = string_field(user, "real_name");
    if (shown.empty()) shown = string_field(profile, "real_name");
    return UserInfo{string_field(user, "id"), string_field(user, "name"), std::move(shown),
                    string_field(profile, "email"), bool_of(user, "is_bot")};
}

// Retry-After in whole seconds, as Slack sends it; 1 s when absent or unreadable.
std::chrono::seconds retry_after(const HttpResponse& response) {
    const std::string text = trim(response.header("Retry-After"));
    long seconds = 0;
    const auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (failed != std::errc{} || end != text.data() + text.size() || seconds < 0)
        return std::chrono::seconds(1);
    return std::chrono::seconds(seconds);
}

void wait_turn(std::mutex& mutex, PaceMap& not_before, const PaceKey& key) {
    for (;;) {
        SteadyClock::time_point until;
        {
            std::lock_guard lock(mutex);
            const auto it = not_before.find(key);
            if (it == not_before.end()) return;
            if (it->second <= SteadyClock::now()) {
                not_before.erase(it);
                return;
            }
            until = it->second;
        }
        std::this_thread::sleep_until(until);  // then look again: another 429 may have moved it
    }
}

// No call for key before now + wait; a later deadline already set stands.
void hold_off(std::mutex& mutex, PaceMap& not_before, const PaceKey& key,
              std::chrono::seconds wait) {
    const auto until = SteadyClock::now() + wait;
    std::lock_guard lock(mutex);
    auto& slot = not_before[key];
    slot = std::max(slot, until);
}

std::string hint_for(const std::string& code, const nlohmann::json& answer,
                     const std::string& token_variable) {
    if (token_refused(code)) return "check " + token_variable;
    if (code == "missing_scope")
        return "add the " + string_field(answer, "needed") +
               " scope to the Slack app, reinstall it and update SLACK_BOT_TOKEN";
    if (code == "not_in_channel" || code == "channel_not_found")
        return "invite opsbot to the channel, and check the channel ID";
    if (code == "ratelimited") return kRateLimitedHint;
    return {};
}

// A response that came back: 5xx, not JSON, ok:false, or the JSON itself.
Result<nlohmann::json> read_answer(const std::string& method, const HttpResponse& response,
                                   const std::string& token_variable) {
    const std::string status = std::to_string(response.status);
    if (response.status >= 500)
        return Error{"http_" + status, "Slack " + method + " failed: HTTP " + status,
                     "Slack is having trouble; see https://slack-status.com and try again"};
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        const std::string type = response.header("Content-Type");
        const std::string what = "Slack " + method + " answered HTTP " + status +
                                 " with a body that is not a JSON object" +
                                 (type.empty() ? "" : " (" + type + ")");
        if (response.status / 100 == 2)
            return Error{"bad_response", what, "the answer was cut short or garbled; try again"};
        return Error{"http_" + status, what, "check SLACK_API_URL"};
    }
    if (!bool_of(json, "ok")) {
        std::string code = string_field(json, "error");
        if (code.empty()) code = "unknown_error";
        return Error{code, "Slack " + method + " failed: " + code,
                     hint_for(code, json, token_variable)};
    }
    return json;
}

Error gave_up(const std::string& method, int attempts) {
    return Error{"ratelimited",
                 "Slack " + method + " failed: rate limited on all " + std::to_string(attempts) +
                     " attempt(s)",
                 kRateLimitedHint};
}

Status status_of(const Result<nlohmann::json>& answer) {
    if (!answer) return answer.error();
    return success();
}

// What curl said, without the URL it appends: a response_url's path is its
// credential.
std::string without_url(const std::string& message) {
    return message.substr(0, message.rfind(" calling "));
}

}  // namespace

WebApi::WebApi(HttpClient& http, WebApiConfig config, Metrics& metrics)
    : http_(http), config_(std::move(config)), metrics_(metrics) {}

Result<nlohmann::json> WebApi::call(const std::string& method, const nlohmann::json& body) {
    return call_with_token(method, body, config_.bot_token, string_field(body, "channel"));
}

Result<nlohmann::json> WebApi::call_with_token(const std::string& method,
                                               const nlohmann::json& body, const std::string& token,
                                               const std::string& channel) {
    const PaceKey key{method, channel};
    const HttpRequest request = api_request(config_.api_url, method, body, token);
    const std::string token_variable = token == config_.app_token && token != config_.bot_token
                                           ? "SLACK_APP_TOKEN"
                                           : "SLACK_BOT_TOKEN";
    for (int attempt = 0;; ++attempt) {
        wait_turn(mutex_, not_before_, key);
        auto sent = http_.send(request);
        if (!sent) {
            metrics_.increment(metric::kWebApiCalls, {{"method", method}, {"status", "network"}});
            return Error{"network", "Slack " + method + " failed: " + sent.error().message,
                         sent.error().hint};
        }
        const HttpResponse& response = sent.value();
        metrics_.increment(metric::kWebApiCalls,
                           {{"method", method}, {"status", std::to_string(response.status)}});
        if (response.status != 429) return read_answer(method, response, token_variable);

        const auto wait = retry_after(response);
        hold_off(mutex_, not_before_, key, wait);
        metrics_.increment(metric::kWebApiRateLimited, {{"method", method}});
        spdlog::warn("slack: {} answered 429 for channel {}: waiting {} s (Retry-After)", method,
                     channel.empty() ? "(none)" : channel, wait.count());
        if (attempt >= config_.max_rate_limit_retries) return gave_up(method, attempt + 1);
    }
}

Result<AuthInfo> WebApi::auth_test() {
    auto answer = call("auth.test", nlohmann::json::object());
    if (!answer) return answer.error();
    const auto& json = answer.value();
    return AuthInfo{string_field(json, "user_id"), string_field(json, "bot_id"),
                    string_field(json, "team")};
}

ConnectionUrl WebApi::open_connection() {
    auto answer =
        call_with_token("apps.connections.open", nlohmann::json::object(), config_.app_token, "");
    if (!answer) {
        const Error& e = answer.error();
        if (token_refused(e.code))
            return {false, true, "",
                    "SLACK_APP_TOKEN was refused by Slack (" + e.code +
                        "): create an app-level token with connections:write and set "
                        "SLACK_APP_TOKEN"};
        return {false, false, "", e.message};
    }
    std::string url = string_field(answer.value(), "url");
    if (url.empty())
        return {false, false, "", "Slack apps.connections.open failed: the answer has no url"};
    return {true, false, std::move(url), ""};
}

Result<PostedMessage> WebApi::post_message(const OutgoingMessage& message) {
    auto answer = call("chat.postMessage", message_body(message));
    if (!answer) return answer.error();
    std::string channel = string_field(answer.value(), "channel");
    return PostedMessage{channel.empty() ? message.channel : std::move(channel),
                         string_field(answer.value(), "ts")};
}

Status WebApi::update_message(const std::string& channel, const std::string& ts,
                              const std::string& text, const std::string& blocks_json) {
    // An explicit empty array: the old blocks (confirmation buttons, say) go.
    nlohmann::json body{
        {"channel", channel}, {"ts", ts}, {"text", text}, {"blocks", nlohmann::json::array()}};
    add_blocks(body, blocks_json);
    return status_of(call("chat.update", body));
}

Status WebApi::post_ephemeral(const std::string& channel, const std::string& user,
                              const OutgoingMessage& message) {
    auto body = message_body(message);
    body["channel"] = channel;
    body["user"] = user;
    return status_of(call("chat.postEphemeral", body));
}

namespace {

Result<ViewInfo> view_of(const Result<nlohmann::json>& answer) {
    if (!answer) return answer.error();
    const auto view = answer.value().find("view");
    if (view == answer.value().end() || !view->is_object())
        return Error{"bad_response", "Slack answered a views call without a view", ""};
    return ViewInfo{string_field(*view, "id"), string_field(*view, "hash")};
}

}  // namespace

Result<ViewInfo> WebApi::views_open(const std::string& trigger_id, const nlohmann::json& view) {
    return view_of(call("views.open", {{"trigger_id", trigger_id}, {"view", view}}));
}

Result<ViewInfo> WebApi::views_update(const std::string& view_id, const std::string& hash,
                                      const nlohmann::json& view) {
    nlohmann::json body{{"view_id", view_id}, {"view", view}};
    if (!hash.empty()) body["hash"] = hash;
    return view_of(call("views.update", body));
}

Result<ViewInfo> WebApi::views_publish(const std::string& user_id, const nlohmann::json& view) {
    return view_of(call("views.publish", {{"user_id", user_id}, {"view", view}}));
}

Status WebApi::respond(const std::string& response_url, const ResponseUrlMessage& message) {
    nlohmann::json body{{"text", message.text},
                        {"response_type", message.ephemeral ? "ephemeral" : "in_channel"},
                        {"replace_original", message.replace_original}};
    add_blocks(body, message.blocks_json);
    auto sent = http_.send(slack_post(response_url, kJson, dump(body), ""));
    const std::string status = sent ? std::to_string(sent.value().status) : "network";
    metrics_.increment(metric::kWebApiCalls, {{"method", "response_url"}, {"status", status}});
    if (!sent)
        return Error{
            "network",
            "Slack response_url could not be reached: " + without_url(sent.error().message),
            sent.error().hint};
    if (sent.value().status / 100 != 2)
        return Error{"http_" + status,
                     "Slack refused the reply (HTTP " + status +
                         "): " + redact(trim(sent.value().body.substr(0, 120))),
                     "a response_url takes at most 5 replies within 30 minutes"};
    return success();
}

Result<UserInfo> WebApi::user_info(const std::string& user_id) {
    auto answer = call("users.info", {{"user", user_id}});
    if (!answer) return answer.error();
    return user_from(answer.value());
}

Result<UserInfo> WebApi::lookup_by_email(const std::string& email) {
    auto answer = call("users.lookupByEmail", {{"email", email}});
    if (!answer) return answer.error();
    return user_from(answer.value());
}

Result<std::vector<std::string>> WebApi::usergroup_members(const std::string& usergroup_id) {
    {
        std::lock_guard lock(mutex_);
        const auto cached = usergroups_.find(usergroup_id);
        if (cached != usergroups_.end() && cached->second.expires > SteadyClock::now())
            return cached->second.members;
    }
    auto answer = call("usergroups.users.list", {{"usergroup", usergroup_id}});
    if (!answer) return answer.error();
    std::vector<std::string> members;
    if (const auto users = answer.value().find("users");
        users != answer.value().end() && users->is_array())
        for (const auto& user : *users)
            if (user.is_string()) members.push_back(user.get<std::string>());
    std::lock_guard lock(mutex_);
    usergroups_[usergroup_id] = {members, SteadyClock::now() + config_.usergroup_cache_ttl};
    return members;
}

Result<std::string> WebApi::conversations_create(const std::string& name, bool is_private) {
    auto answer = call("conversations.create", {{"name", name}, {"is_private", is_private}});
    if (!answer) return answer.error();
    return string_field(object_of(answer.value(), "channel"), "id");
}

Status WebApi::conversations_invite(const std::string& channel,
                                    const std::vector<std::string>& users) {
    return status_of(
        call("conversations.invite", {{"channel", channel}, {"users", join(users, ",")}}));
}

Result<std::optional<std::string>> WebApi::find_channel(const std::string& name) {
    std::string cursor;
    // Bounded: 50 pages of 1,000 channels is more than any agency workspace.
    for (int page = 0; page < 50; ++page) {
        nlohmann::json body{{"types", "public_channel,private_channel"},
                            {"exclude_archived", true},
                            {"limit", 1000}};
        if (!cursor.empty()) body["cursor"] = cursor;
        auto answer = call("conversations.list", body);
        if (!answer) return answer.error();
        const auto& channels = answer.value().value("channels", nlohmann::json::array());
        for (const auto& channel : channels)
            if (string_field(channel, "name") == name)
                return std::optional<std::string>{string_field(channel, "id")};
        cursor = string_field(object_of(answer.value(), "response_metadata"), "next_cursor");
        if (cursor.empty()) break;
    }
    return std::optional<std::string>{};
}

Status WebApi::conversations_join(const std::string& channel) {
    return status_of(call("conversations.join", {{"channel", channel}}));
}

}  // namespace opsbot::slack
