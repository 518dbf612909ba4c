// Sentry's webhooks read into SentryAlert, after the payloads documented at
// docs.sentry.io (organization/integrations/integration-platform/webhooks/)
// and the WebHooks plugin's build_legacy_webhook_payload.
//
// Mapping, per Sentry-Hook-Resource:
//   issue         data.issue: id, shortId, project.slug (else the slug in
//                 project_url), title, culprit, level, firstSeen, lastSeen,
//                 count (a string; a number accepted), web_url else permalink,
//                 status. Action "archived" is read as "ignored", as is the
//                 status. assignedTo (null, a string or {name, email, id})
//                 gives the assignee; the top-level actor gives the actor when
//                 it is a user, not Sentry itself.
//   event_alert   data.event: issue_id, title, culprit, level, environment
//   error         (field, else tag), release (may be null), event_id,
//                 web_url, datetime as last_seen; the project slug from
//                 url ".../api/0/projects/<org>/<slug>/events/<id>/" or a
//                 project_slug field. event_alert takes data.triggered_rule
//                 as the rule and is "triggered"; error (data.error) is
//                 "created".
//   metric_alert  "metric-" + data.metric_alert.id, so the critical and the
//                 resolved webhooks of one incident share a key. Title and
//                 culprit are data.description_title and description_text;
//                 level is the action (critical, warning); status resolved
//                 or unresolved; the first project; data.web_url; the alert
//                 rule's name and environment.
//   installation  the action and the actor only; not relayable.
// Other resources (comment, seer...) are "unsupported_resource"; bodies that
// are not JSON objects or lack the object a resource is about, "bad_payload".

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "adapters/sentry/sentry.hpp"
#include "core/digest.hpp"
#include "core/json.hpp"

namespace opsbot::sentry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxParseErrorChars = 160;
constexpr std::size_t kMaxResourceChars = 40;  // of a header anyone can send

Error bad(std::string message) {
    return Error{"bad_payload", std::move(message),
                 "check that Sentry sends this webhook unchanged (Settings > Developer Settings "
                 "> the integration's Webhook URL)"};
}

// Finds why a body is not JSON, without exceptions: a second pass that only
// runs once parse() has already failed.
class ParseErrorSax : public json::json_sax_t {
public:
    std::string reason;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& error) override {
        reason = error.what();
        return false;
    }
};

// "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
// error while parsing value - invalid literal; last read: '...'; expected
// ..." without the id and without "last read", which would echo the body.
std::string parse_error_summary(std::string_view body) {
    ParseErrorSax sax;
    json::sax_parse(body, &sax);
    std::string reason = sax.reason;
    if (const auto id_end = reason.find("] ");
        reason.rfind("[json.", 0) == 0 && id_end != reason.npos)
        reason.erase(0, id_end + 2);
    if (const auto last_read = reason.find("; last read"); last_read != reason.npos) {
        const auto expected = reason.rfind("; expected ");
        reason.erase(last_read, expected != reason.npos && expected > last_read
                                    ? expected - last_read
                                    : reason.npos);
    }
    if (reason.size() > kMaxParseErrorChars) reason = reason.substr(0, kMaxParseErrorChars) + "...";
    return reason.empty() ? "unreadable JSON" : reason;
}

Result<json> parse_object(std::string_view body, const std::string& what) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return bad("the " + what + " has an empty body");
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded())
        return bad("the " + what + " is not valid JSON (" + parse_error_summary(body) + ")");
    if (!parsed.is_object()) return bad("the " + what + " is not a JSON object");
    return parsed;
}

const json* object_at(const json& parent, const char* key) {
    const auto it = parent.find(key);
    return it != parent.end() && it->is_object() ? &*it : nullptr;
}

// Ids arrive as strings in the integration platform and as numbers in older
// or hand-made payloads.
std::string id_of(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
    if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
    return {};
}

// Sentry's issue count is a string ("1"); a number is accepted too.
std::int64_t count_of(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return 0;
    if (it->is_number_integer()) return it->get<std::int64_t>();
    if (!it->is_string()) return 0;
    const auto text = it->get<std::string>();
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return 0;
    return std::stoll(text);
}

// Event tags: [["key", "value"], ...], or [{"key", "value"}] as the API
// sends them.
std::string tag_of(const json& event, std::string_view name) {
    const auto tags = event.find("tags");
    if (tags == event.end() || !tags->is_array()) return {};
    for (const auto& tag : *tags) {
        if (tag.is_array() && tag.size() == 2 && tag[0].is_string() && tag[1].is_string() &&
            tag[0].get_ref<const std::string&>() == name)
            return tag[1].get<std::string>();
        if (tag.is_object() && string_field(tag, "key") == name) return string_field(tag, "value");
    }
    return {};
}

std::string field_or_tag(const json& event, const char* key) {
    auto value = string_field(event, key);
    return value.empty() ? tag_of(event, key) : value;
}

// ".../api/0/projects/<org>/<slug>/..." → slug; "" when the URL has no such path.
std::string project_from_api_url(std::string_view url) {
    constexpr std::string_view kProjects = "/api/0/projects/";
    const auto start = url.find(kProjects);
    if (start == std::string_view::npos) return {};
    const auto org_end = url.find('/', start + kProjects.size());
    if (org_end == std::string_view::npos) return {};
    const auto slug_end = std::min(url.find('/', org_end + 1), url.size());
    return std::string(url.substr(org_end + 1, slug_end - org_end - 1));
}

// The person behind a status change; Sentry itself ("application") is no one.
std::string user_actor(const json& payload) {
    const auto* actor = object_at(payload, "actor");
    return actor && string_field(*actor, "type") == "user" ? string_field(*actor, "name")
                                                           : std::string();
}

// assignedTo: null, a plain string, or a user or team {name, email, id}.
std::string assignee_of(const json& issue) {
    const auto it = issue.find("assignedTo");
    if (it == issue.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (!it->is_object()) return {};
    for (const char* key : {"name", "email"})
        if (auto value = string_field(*it, key); !value.empty()) return value;
    return id_of(*it, "id");
}

std::string ignored_for_archived(std::string word) {
    return word == "archived" ? "ignored" : word;
}

Result<SentryAlert> read_issue(const json& payload, const json& data) {
    const auto* issue = object_at(data, "issue");
    if (!issue) return bad("the issue webhook has no data.issue object");
    SentryAlert alert;
    alert.resource = "issue";
    alert.action = ignored_for_archived(string_field(payload, "action"));
    if (alert.action.empty()) return bad("the issue webhook has no action");
    alert.issue_id = id_of(*issue, "id");
    if (alert.issue_id.empty()) return bad("the issue webhook's data.issue has no id");
    alert.short_id = string_field(*issue, "shortId");
    if (const auto* project = object_at(*issue, "project"))
        alert.project = string_field(*project, "slug");
    if (alert.project.empty())
        alert.project = project_from_api_url(string_field(*issue, "project_url"));
    alert.title = string_field(*issue, "title");
    alert.culprit = string_field(*issue, "culprit");
    alert.level = string_field(*issue, "level");
    alert.environment = string_field(*issue, "environment");
    alert.release = string_field(*issue, "release");
    alert.first_seen = string_field(*issue, "firstSeen");
    alert.last_seen = string_field(*issue, "lastSeen");
    alert.count = count_of(*issue, "count");
    alert.link = string_field(*issue, "web_url");
    if (alert.link.empty()) alert.link = string_field(*issue, "permalink");
    alert.status = ignored_for_archived(string_field(*issue, "status"));
    alert.assignee = assignee_of(*issue);
    alert.actor = user_actor(payload);
    return alert;
}

// An event, as event_alert (data.event) and error (data.error) send it.
Result<SentryAlert> read_event(const json& payload, const json& event, const std::string& resource,
                               const std::string& default_action) {
    SentryAlert alert;
    alert.resource = resource;
    alert.action = string_field(payload, "action");
    if (alert.action.empty()) alert.action = default_action;
    alert.issue_id = id_of(event, "issue_id");
    if (alert.issue_id.empty()) return bad("the " + resource + " webhook's event has no issue_id");
    alert.project = string_field(event, "project_slug");
    if (alert.project.empty()) alert.project = project_from_api_url(string_field(event, "url"));
    alert.title = string_field(event, "title");
    if (alert.title.empty()) alert.title = string_field(event, "message");
    alert.culprit = string_field(event, "culprit");
    alert.level = field_or_tag(event, "level");
    alert.environment = field_or_tag(event, "environment");
    alert.release = field_or_tag(event, "release");
    alert.last_seen = string_field(event, "datetime");
    alert.link = string_field(event, "web_url");
    alert.event_id = id_of(event, "event_id");
    alert.actor = user_actor(payload);
    return alert;
}

Result<SentryAlert> read_event_alert(const json& payload, const json& data) {
    const auto* event = object_at(data, "event");
    if (!event) return bad("the event_alert webhook has no data.event object");
    auto alert = read_event(payload, *event, "event_alert", "triggered");
    if (!alert) return alert;
    alert.value().rule = string_field(data, "triggered_rule");
    if (const auto* issue_alert = object_at(data, "issue_alert");
        issue_alert && alert.value().rule.empty())
        alert.value().rule = string_field(*issue_alert, "title");
    return alert;
}

Result<SentryAlert> read_error(const json& payload, const json& data) {
    const auto* error = object_at(data, "error");
    if (!error) return bad("the error webhook has no data.error object");
    return read_event(payload, *error, "error", "created");
}

std::string first_text(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_array()) return {};
    for (const auto& item : *it)
        if (item.is_string() && !item.get_ref<const std::string&>().empty())
            return item.get<std::string>();
    return {};
}

Result<SentryAlert> read_metric_alert(const json& payload, const json& data) {
    const auto* incident = object_at(data, "metric_alert");
    if (!incident) return bad("the metric_alert webhook has no data.metric_alert object");
    SentryAlert alert;
    alert.resource = "metric_alert";
    alert.action = string_field(payload, "action");
    if (alert.action.empty()) return bad("the metric_alert webhook has no action");
    const auto id = id_of(*incident, "id");
    if (id.empty()) return bad("the metric_alert webhook's data.metric_alert has no id");
    alert.issue_id = "metric-" + id;
    alert.title = string_field(data, "description_title");
    alert.culprit = string_field(data, "description_text");
    if (alert.action == "critical" || alert.action == "warning") alert.level = alert.action;
    alert.status = alert.action == "resolved" ? "resolved" : "unresolved";
    alert.project = first_text(*incident, "projects");
    alert.first_seen = string_field(*incident, "date_started");
    alert.link = string_field(data, "web_url");
    if (const auto* rule = object_at(*incident, "alert_rule")) {
        alert.rule = string_field(*rule, "name");
        alert.environment = string_field(*rule, "environment");
        if (alert.project.empty()) alert.project = first_text(*rule, "projects");
    }
    if (alert.title.empty()) alert.title = alert.rule;
    return alert;
}

SentryAlert read_installation(const json& payload) {
    SentryAlert alert;
    alert.resource = "installation";
    alert.action = string_field(payload, "action");
    alert.actor = user_actor(payload);
    return alert;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

Result<SentryAlert> parse_webhook(std::string_view resource, std::string_view body) {
    const auto kind = lowercase(resource);
    if (kind.empty())
        return Error{"unsupported_resource",
                     "the Sentry webhook has no Sentry-Hook-Resource header",
                     "point only Sentry integration webhooks at this URL"};
    using Reader = Result<SentryAlert> (*)(const json&, const json&);
    Reader reader = nullptr;
    if (kind == "issue") reader = read_issue;
    if (kind == "event_alert") reader = read_event_alert;
    if (kind == "error") reader = read_error;
    if (kind == "metric_alert") reader = read_metric_alert;
    if (!reader && kind != "installation")
        return Error{
            "unsupported_resource",
            "opsbot does not handle Sentry \"" + kind.substr(0, kMaxResourceChars) + "\" webhooks",
            "subscribe the integration to issue, error, event_alert or metric_alert "
            "webhooks only"};
    auto payload = parse_object(body, kind + " webhook");
    if (!payload) return payload.error();
    if (!reader) return read_installation(payload.value());
    const auto* data = object_at(payload.value(), "data");
    if (!data) return bad("the " + kind + " webhook has no data object");
    return reader(payload.value(), *data);
}

// The plugin sends {id (the issue), project, project_name, project_slug,
// logger, level, culprit, message, url, triggering_rules, event}, event being
// the stored event with tags as [key, value] pairs and event_id. Sentry 9 and
// older sent a numeric event.id and no project_slug.
Result<SentryAlert> parse_legacy_webhook(std::string_view body) {
    auto parsed = parse_object(body, "WebHooks plugin payload");
    if (!parsed) return parsed.error();
    const json& payload = parsed.value();
    SentryAlert alert;
    alert.resource = "legacy";
    alert.action = "triggered";
    alert.issue_id = id_of(payload, "id");
    if (alert.issue_id.empty()) return bad("the WebHooks plugin payload has no issue id");
    alert.project = string_field(payload, "project_slug");
    if (alert.project.empty()) alert.project = string_field(payload, "project");
    alert.culprit = string_field(payload, "culprit");
    alert.level = string_field(payload, "level");
    alert.link = string_field(payload, "url");
    const json empty = json::object();
    const json* event = object_at(payload, "event");
    if (!event) event = &empty;
    alert.title = string_field(*event, "title");
    if (alert.title.empty()) alert.title = string_field(payload, "message");
    if (alert.culprit.empty()) alert.culprit = string_field(*event, "culprit");
    if (alert.level.empty()) alert.level = field_or_tag(*event, "level");
    alert.environment = field_or_tag(*event, "environment");
    alert.release = field_or_tag(*event, "release");
    alert.last_seen = string_field(*event, "datetime");
    alert.event_id = id_of(*event, "event_id");
    if (alert.event_id.empty()) alert.event_id = id_of(*event, "id");
    alert.rule = first_text(payload, "triggering_rules");
    return alert;
}

bool verify_signature(std::string_view client_secret, std::string_view body,
                      std::string_view signature) {
    if (client_secret.empty() || signature.empty()) return false;
    // Sentry sends lowercase hex; case is normalised so only the bytes matter.
    return constant_time_equals(sign(client_secret, body), lowercase(signature));
}

std::string sign(std::string_view client_secret, std::string_view body) {
    return hex(hmac_sha256(client_secret, body));
}

}  // namespace opsbot::sentry
