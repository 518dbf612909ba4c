#include "tests/fakes/fake_slack.hpp"

#include <thread>

#include "core/encoding.hpp"

namespace opsbot::test {
namespace {

FakeResponse json_response(const nlohmann::json& body, int status = 200) {
    return FakeResponse{status, body.dump(), "application/json; charset=utf-8", {}};
}

// Slack takes JSON for write methods and a form for read methods.
nlohmann::json parse_body(const RecordedRequest& request) {
    if (request.header("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
        return nlohmann::json(parse_form(request.body));
    auto json = nlohmann::json::parse(request.body, nullptr, false);
    return json.is_discarded() ? nlohmann::json::object() : json;
}

// "/as/<client>/api/<method>": the client and the method.
std::pair<std::string, std::string> client_and_method(const std::string& path) {
    const auto api = path.find("/api/", 4);
    if (api == std::string::npos) return {"", ""};
    return {path.substr(4, api - 4), path.substr(api + 5)};
}

std::string ticket_of(const std::string& target) {
    const auto at = target.find("ticket=");
    if (at == std::string::npos) return "";
    const auto end = target.find('&', at);
    return target.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

}  // namespace

FakeSlack::FakeSlack(int threads, const TlsIdentity* link_tls)
    : server_(threads),
      link_server_(link_tls ? std::make_unique<FakeHttpServer>(threads, link_tls) : nullptr) {
    server_.route("POST", "/api/", [this](const RecordedRequest& request) {
        return api(request.path().substr(5), request);
    });
    server_.route("POST", "/as/", [this](const RecordedRequest& request) {
        const auto [client, method] = client_and_method(request.path());
        return api(method, request, client);
    });
    server_.route("POST", "/response/", [this](const RecordedRequest& request) {
        links_.response_posted(request.path());
        return FakeResponse{200, "ok", "text/plain", {}};
    });
    links_server().websocket("/link/",
                             [this](std::shared_ptr<WebSocketPeer> peer) { link_opened(peer); });
}

void FakeSlack::link_opened(const std::shared_ptr<WebSocketPeer>& peer) {
    std::string client;
    {
        std::lock_guard lock(mutex_);
        client = clients_[ticket_of(peer->target())];
    }
    links_.add(peer, client);
    if (send_hello_)
        peer->send(nlohmann::json{
            {"type", "hello"},
            {"num_connections", links_.open_count()},
            {"debug_info", {{"host", "applink-test"}, {"approximate_connection_time", 18060}}},
            {"connection_info", {{"app_id", "A0TEST"}}}}
                       .dump());
}

void FakeSlack::rate_limit_post_message(int times, int retry_after_seconds) {
    std::lock_guard lock(mutex_);
    retry_after_seconds_ = retry_after_seconds;
    rate_limited_posts_ = times;
}

void FakeSlack::enforce_channel_pace(std::chrono::milliseconds gap) {
    std::lock_guard lock(mutex_);
    pace_gap_ = gap;
}

std::size_t FakeSlack::pace_rejections() const {
    std::lock_guard lock(mutex_);
    return pace_rejections_;
}

std::size_t FakeSlack::retry_after_violations() const {
    std::lock_guard lock(mutex_);
    return retry_after_violations_;
}

FakeResponse FakeSlack::pace(const std::string& channel) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (const auto until = retry_until_.find(channel);
        until != retry_until_.end() && now < until->second)
        ++retry_after_violations_;
    const auto limited = [&](int seconds) {
        retry_until_[channel] = now + std::chrono::seconds(seconds);
        auto response = json_response({{"ok", false}, {"error", "ratelimited"}}, 429);
        response.headers.emplace_back("Retry-After", std::to_string(seconds));
        return response;
    };
    if (rate_limited_posts_ > 0) {
        --rate_limited_posts_;
        return limited(retry_after_seconds_);
    }
    const auto last = last_call_.find(channel);
    if (pace_gap_.count() > 0 && last != last_call_.end() && now - last->second < pace_gap_) {
        ++pace_rejections_;
        return limited(1);
    }
    last_call_[channel] = now;
    return FakeResponse{0, "", "", {}};
}

std::string FakeSlack::next_id(const std::string& prefix) {
    return prefix + std::to_string(++counter_);
}

FakeResponse FakeSlack::check_token(const RecordedRequest& request, const char* token,
                                    bool refuse) const {
    if (refuse || request.header("Authorization") != std::string("Bearer ") + token)
        return json_response({{"ok", false}, {"error", "invalid_auth"}});
    return FakeResponse{0, "", "", {}};
}

// A link URL for every caller, each with a ticket of its own.
FakeResponse FakeSlack::connections_open(const RecordedRequest& request,
                                         const std::string& client) {
    if (auto refused = check_token(request, kAppToken, refuse_app_token_); refused.status)
        return refused;
    if (fail_connections_open_ > 0) {
        --fail_connections_open_;
        return json_response({{"ok", false}, {"error", "internal_error"}}, 500);
    }
    const std::string scheme = link_server_ ? "wss://" : "ws://";
    const std::string ticket = next_id("ticket-");
    std::string host;
    {
        std::lock_guard lock(mutex_);
        host = link_host_;
        clients_[ticket] = client;
    }
    return json_response({{"ok", true},
                          {"url", scheme + host + ":" + std::to_string(links_server().port()) +
                                      "/link/?ticket=" + ticket + "&app_id=A0TEST"}});
}

void FakeSlack::set_usergroup(const std::string& usergroup_id, std::vector<std::string> users) {
    std::lock_guard lock(mutex_);
    usergroups_[usergroup_id] = std::move(users);
}

void FakeSlack::slow_method(const std::string& method, std::chrono::milliseconds delay,
                            const std::string& error) {
    std::lock_guard lock(mutex_);
    slow_methods_[method] = {delay, error};
}

FakeSlack::Slow FakeSlack::slowness_of(const std::string& method) const {
    std::lock_guard lock(mutex_);
    const auto found = slow_methods_.find(method);
    return found == slow_methods_.end() ? Slow{} : found->second;
}

FakeResponse FakeSlack::api(const std::string& method, const RecordedRequest& request,
                            const std::string& client) {
    if (method == "apps.connections.open") return connections_open(request, client);
    if (auto refused = check_token(request, kBotToken, refuse_bot_token_); refused.status)
        return refused;
    const auto body = parse_body(request);
    if (const auto slow = slowness_of(method); slow.delay.count() > 0) {
        std::this_thread::sleep_for(slow.delay);
        if (!slow.error.empty()) return json_response({{"ok", false}, {"error", slow.error}});
    }
    if (method == "auth.test")
        return json_response({{"ok", true},
                              {"user_id", kBotUserId},
                              {"bot_id", "B0OPSBOT01"},
                              {"team", "Test Agency"},
                              {"team_id", "T0TEST0001"}});
    if (method == "chat.postMessage") {
        if (const int status = fail_posts_; status)
            return json_response({{"ok", false}, {"error", "internal_error"}}, status);
        if (auto limited = pace(body.value("channel", "")); limited.status) return limited;
        links_.message_posted(body.value("channel", ""), body.value("thread_ts", ""), client);
        return json_response({{"ok", true},
                              {"channel", body.value("channel", "")},
                              {"ts", "1700000000." + next_id("")}});
    }
    if (method == "chat.update") {
        if (auto limited = pace(body.value("channel", "")); limited.status) return limited;
        return json_response({{"ok", true},
                              {"channel", body.value("channel", "")},
                              {"ts", body.value("ts", "1700000000.1")}});
    }
    if (method == "chat.postEphemeral")
        return json_response({{"ok", true},
                              {"channel", body.value("channel", "")},
                              {"ts", body.value("ts", "1700000000.1")},
                              {"message_ts", "1"}});
    if (method == "users.info")
        return json_response({{"ok", true},
                              {"user",
                               {{"id", body.value("user", "")},
                                {"name", "alice"},
                                {"real_name", "Alice Martin"},
                                {"profile", {{"email", "alice@example.com"}}}}}});
    if (method == "users.lookupByEmail") {
        std::lock_guard lock(mutex_);
        const auto found = users_by_email_.find(body.value("email", ""));
        if (found == users_by_email_.end())
            return json_response({{"ok", false}, {"error", "users_not_found"}});
        return json_response({{"ok", true}, {"user", {{"id", found->second}, {"name", "dev"}}}});
    }
    if (method == "usergroups.users.list") {
        std::lock_guard lock(mutex_);
        const auto found = usergroups_.find(body.value("usergroup", ""));
        return json_response(
            {{"ok", true},
             {"users", found == usergroups_.end() ? nlohmann::json::array()
                                                  : nlohmann::json(found->second)}});
    }
    if (method.rfind("conversations.", 0) == 0) return conversations(method, body);
    if (method.rfind("views.", 0) == 0) return views_.call(method, body);
    return json_response({{"ok", false}, {"error", "unknown_method"}}, 404);
}

// Channels by name, one page of at most two channels per conversations.list
// call, so that the client's paging is exercised.
FakeResponse FakeSlack::conversations(const std::string& method, const nlohmann::json& body) {
    std::lock_guard lock(mutex_);
    if (method == "conversations.list") {
        const std::size_t from =
            body.value("cursor", "").empty() ? 0 : std::stoul(body.value("cursor", "0"));
        auto page = nlohmann::json::array();
        std::size_t i = 0;
        for (const auto& [name, id] : channels_) {
            if (i >= from && i < from + 2) page.push_back({{"id", id}, {"name", name}});
            ++i;
        }
        const std::string next = from + 2 < channels_.size() ? std::to_string(from + 2) : "";
        return json_response(
            {{"ok", true}, {"channels", page}, {"response_metadata", {{"next_cursor", next}}}});
    }
    if (method == "conversations.create") {
        const auto name = body.value("name", "");
        if (channels_.count(name)) return json_response({{"ok", false}, {"error", "name_taken"}});
        const auto id = "C0NEW" + std::to_string(channels_.size() + 100);
        channels_[name] = id;
        return json_response({{"ok", true}, {"channel", {{"id", id}, {"name", name}}}});
    }
    if (method == "conversations.invite" || method == "conversations.join") {
        const auto channel = body.value("channel", "");
        for (const auto& [name, id] : channels_)
            if (id == channel)
                return json_response({{"ok", true}, {"channel", {{"id", id}, {"name", name}}}});
        return json_response({{"ok", false}, {"error", "channel_not_found"}});
    }
    return json_response({{"ok", false}, {"error", "unknown_method"}}, 404);
}

void FakeSlack::add_channel(const std::string& name, const std::string& id) {
    std::lock_guard lock(mutex_);
    channels_[name] = id;
}

bool FakeSlack::wait_for_links(std::size_t count, std::chrono::milliseconds timeout) {
    return FakeHttpServer::wait_until([&] { return links() >= count; }, timeout);
}

std::string FakeSlack::send_envelope(const std::string& type, nlohmann::json payload,
                                     int retry_attempt, const std::string& envelope_id) {
    const std::string id = envelope_id.empty() ? next_id("env-") : envelope_id;
    if (payload.is_object() && payload.contains("response_url")) {
        const auto url = payload["response_url"].get<std::string>();
        std::lock_guard lock(mutex_);
        response_paths_[id] = url.substr(server_.base_url().size());
    }
    if (payload.is_object() && payload.contains("trigger_id")) {
        const auto trigger = payload["trigger_id"].get<std::string>();
        views_.issued(trigger);
        std::lock_guard lock(mutex_);
        triggers_[id] = trigger;
    }
    links_.send(type, std::move(payload), retry_attempt, id);
    return id;
}

void FakeSlack::send_raw(const std::string& text) {
    auto peer = current_link();
    if (!peer) throw std::runtime_error("fake Slack: no open Socket Mode link to send on");
    peer->send(text);
}

std::string FakeSlack::send_slash(const SlashCommand& c) {
    const std::string n = next_id("");
    return send_envelope("slash_commands",
                         {{"token", "verification-token"},
                          {"team_id", "T0TEST0001"},
                          {"team_domain", "agency"},
                          {"channel_id", c.channel},
                          {"channel_name", "acme"},
                          {"user_id", c.user},
                          {"user_name", c.user_name},
                          {"command", c.command},
                          {"text", c.text},
                          {"api_app_id", "A0TEST"},
                          {"is_enterprise_install", "false"},
                          {"response_url", server_.base_url() + "/response/" + n},
                          {"trigger_id", c.trigger_id.empty() ? "trigger-" + n : c.trigger_id}},
                         c.retry_attempt, c.envelope_id);
}

std::string FakeSlack::send_mention(const Mention& m) {
    const std::string n = next_id("");
    const std::string ts = m.ts.empty() ? "1700000100." + n : m.ts;
    nlohmann::json event{
        {"type", "app_mention"}, {"text", m.text},       {"user", m.user}, {"ts", ts},
        {"team", "T0TEST0001"},  {"channel", m.channel}, {"event_ts", ts}};
    if (!m.thread_ts.empty()) event["thread_ts"] = m.thread_ts;
    if (!m.bot_id.empty()) event["bot_id"] = m.bot_id;
    return send_envelope("events_api", {{"token", "verification-token"},
                                        {"team_id", "T0TEST0001"},
                                        {"api_app_id", "A0TEST"},
                                        {"event", event},
                                        {"type", "event_callback"},
                                        {"event_id", m.event_id.empty() ? "Ev" + n : m.event_id},
                                        {"event_time", 1700000100}});
}

std::string FakeSlack::send_block_action(const std::string& user, const std::string& action_id,
                                         const std::string& value, const std::string& channel,
                                         const std::string& message_ts) {
    const std::string n = next_id("");
    return send_envelope(
        "interactive",
        {{"type", "block_actions"},
         {"user", {{"id", user}, {"username", "user-" + user}, {"team_id", "T0TEST0001"}}},
         {"api_app_id", "A0TEST"},
         {"team", {{"id", "T0TEST0001"}, {"domain", "agency"}}},
         {"channel", {{"id", channel}, {"name", "acme"}}},
         {"container", {{"type", "message"}, {"message_ts", message_ts}, {"channel_id", channel}}},
         {"message", {{"type", "message"}, {"ts", message_ts}, {"text", "a plan"}}},
         {"trigger_id", "trigger-" + n},
         {"response_url", server_.base_url() + "/response/" + n},
         {"actions",
          {{{"type", "button"},
            {"action_id", action_id},
            {"block_id", "confirm:" + value},
            {"value", value},
            {"action_ts", "1700000200." + n}}}}});
}

void FakeSlack::add_user_email(const std::string& email, const std::string& user_id) {
    std::lock_guard lock(mutex_);
    users_by_email_[email] = user_id;
}

void FakeSlack::request_refresh(const std::string& reason) {
    send_raw(nlohmann::json{
        {"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "applink-test"}}}}
                 .dump());
}

std::vector<nlohmann::json> FakeSlack::acks() const {
    std::vector<nlohmann::json> out;
    for (std::size_t i = 0; i < links_.size(); ++i)
        for (const auto& text : links_.link(i)->received()) {
            auto json = nlohmann::json::parse(text, nullptr, false);
            if (json.is_object() && json.contains("envelope_id")) out.push_back(std::move(json));
        }
    return out;
}

std::vector<std::string> FakeSlack::acked_envelope_ids() const {
    std::vector<std::string> ids;
    for (const auto& ack : acks()) ids.push_back(ack["envelope_id"].get<std::string>());
    return ids;
}

std::optional<nlohmann::json> FakeSlack::ack_of(const std::string& envelope_id) const {
    for (auto& ack : acks())
        if (ack["envelope_id"] == envelope_id) return ack;
    return std::nullopt;
}

bool FakeSlack::wait_for_ack(const std::string& envelope_id,
                             std::chrono::milliseconds timeout) const {
    return FakeHttpServer::wait_until(
        [&] {
            const auto ids = acked_envelope_ids();
            return std::find(ids.begin(), ids.end(), envelope_id) != ids.end();
        },
        timeout);
}

std::vector<nlohmann::json> FakeSlack::responses() const {
    std::vector<nlohmann::json> out;
    for (const auto& request : server_.requests())
        if (request.path().rfind("/response/", 0) == 0) out.push_back(parse_body(request));
    return out;
}

// Through api_url() or api_url(client).
std::vector<nlohmann::json> FakeSlack::api_calls(const std::string& method) const {
    std::vector<nlohmann::json> out;
    for (const auto& request : server_.requests()) {
        const auto path = request.path();
        if (path == "/api/" + method ||
            (path.rfind("/as/", 0) == 0 && client_and_method(path).second == method))
            out.push_back(parse_body(request));
    }
    return out;
}

std::optional<nlohmann::json> FakeSlack::response_to(const std::string& envelope_id) const {
    std::string path;
    {
        std::lock_guard lock(mutex_);
        const auto found = response_paths_.find(envelope_id);
        if (found == response_paths_.end()) return std::nullopt;
        path = found->second;
    }
    for (const auto& request : server_.requests())
        if (request.path() == path) return parse_body(request);
    return std::nullopt;
}

std::optional<nlohmann::json> FakeSlack::wait_for_response_to(
    const std::string& envelope_id, std::chrono::milliseconds timeout) const {
    std::optional<nlohmann::json> found;
    FakeHttpServer::wait_until([&] { return (found = response_to(envelope_id)).has_value(); },
                               timeout);
    return found;
}

bool FakeSlack::wait_for_responses(std::size_t count, std::chrono::milliseconds timeout) const {
    return FakeHttpServer::wait_until([&] { return responses().size() >= count; }, timeout);
}

bool FakeSlack::wait_for_api_calls(const std::string& method, std::size_t count,
                                   std::chrono::milliseconds timeout) const {
    return FakeHttpServer::wait_until([&] { return api_calls(method).size() >= count; }, timeout);
}

}  // namespace opsbot::test
