#pragma once
// The Slack Web API methods opsbot uses, over HttpClient. JSON bodies with
// charset=utf-8; ok:false answers come back as Error{code = Slack's error};
// HTTP 429 waits out Retry-After exactly, per method and channel, before the
// next call of that kind.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/slack/socket_mode_client.hpp"
#include "core/http.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace opsbot::slack {

struct WebApiConfig {
    std::string api_url = "https://slack.com/api/";  // SLACK_API_URL, with a trailing slash
    std::string bot_token;                           // xoxb-
    std::string app_token;                           // xapp-
    int max_rate_limit_retries = 5;
    std::chrono::minutes usergroup_cache_ttl{5};
};

struct OutgoingMessage {
    std::string channel;
    std::string text;  // mrkdwn, and the fallback when blocks are set
    std::string thread_ts;
    std::string blocks_json;  // a JSON array, or empty
};

struct PostedMessage {
    std::string channel;
    std::string ts;
};

struct ResponseUrlMessage {
    std::string text;
    std::string blocks_json;
    bool ephemeral = true;  // response_type: ephemeral or in_channel
    bool replace_original = false;
};

struct UserInfo {
    std::string id;
    std::string name;       // handle
    std::string real_name;  // display name when set
    std::string email;
    bool is_bot = false;
};

// A view Slack shows (a modal, or a person's Home tab).
struct ViewInfo {
    std::string id;
    std::string hash;
};

struct AuthInfo {
    std::string user_id;  // the bot user
    std::string bot_id;
    std::string team;
};

class WebApi {
public:
    WebApi(HttpClient& http, WebApiConfig config, Metrics& metrics);

    // Any method: POST api_url + method with a JSON body and the bot token.
    Result<nlohmann::json> call(const std::string& method, const nlohmann::json& body);

    Result<AuthInfo> auth_test();
    // apps.connections.open with the app token; fatal when the token is refused.
    ConnectionUrl open_connection();

    Result<PostedMessage> post_message(const OutgoingMessage& message);
    Status update_message(const std::string& channel, const std::string& ts,
                          const std::string& text, const std::string& blocks_json = "");
    Status post_ephemeral(const std::string& channel, const std::string& user,
                          const OutgoingMessage& message);
    // The response_url of a slash command or an interaction.
    Status respond(const std::string& response_url, const ResponseUrlMessage& message);

    // views.open: within 3 s of the interaction that gave trigger_id (else
    // Error{"expired_trigger_id"}). view: a modal, as JSON.
    Result<ViewInfo> views_open(const std::string& trigger_id, const nlohmann::json& view);
    // views.update: hash empty, or the view's hash (refused if it changed since).
    Result<ViewInfo> views_update(const std::string& view_id, const std::string& hash,
                                  const nlohmann::json& view);
    // views.publish: a person's Home tab.
    Result<ViewInfo> views_publish(const std::string& user_id, const nlohmann::json& view);

    Result<UserInfo> user_info(const std::string& user_id);
    Result<UserInfo> lookup_by_email(const std::string& email);
    // usergroups.users.list, cached for usergroup_cache_ttl.
    Result<std::vector<std::string>> usergroup_members(const std::string& usergroup_id);
    Result<std::string> conversations_create(const std::string& name, bool is_private);
    Status conversations_invite(const std::string& channel, const std::vector<std::string>& users);
    // conversations.list, paged: the id of the channel named `name` (no "#").
    Result<std::optional<std::string>> find_channel(const std::string& name);
    Status conversations_join(const std::string& channel);

private:
    Result<nlohmann::json> call_with_token(const std::string& method, const nlohmann::json& body,
                                           const std::string& token, const std::string& channel);

    HttpClient& http_;
    WebApiConfig config_;
    Metrics& metrics_;
    std::mutex mutex_;
    // (method, channel) → no call before this time, from Retry-After.
    std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point>
        not_before_;
    struct CachedGroup {
        std::vector<std::string> members;
        std::chrono::steady_clock::time_point expires;
    };
    std::map<std::string, CachedGroup> usergroups_;
};

}  // namespace opsbot::slack
