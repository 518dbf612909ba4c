// Issue alert rules: newproject points a new project's alerts at opsbot's
// Sentry integration (an internal integration is a "service" an alert rule
// can notify), so event alerts reach /hooks/sentry.

#include <nlohmann/json.hpp>

#include "adapters/sentry/sentry.hpp"
#include "adapters/sentry/sentry_http.hpp"
#include "core/json.hpp"

namespace opsbot::sentry {
namespace {

using nlohmann::json;

constexpr int kReadAttempts = 2;
constexpr int kCreateAttempts = 1;

bool ok_status(int status) {
    return status >= 200 && status < 300;
}

Error rule_error(const HttpResponse& response, const HttpRequest& request,
                 const SentryConfig& config, const std::string& slug) {
    if (response.status == 401 || response.status == 403)
        return Error{"sentry_auth",
                     "Sentry refused SENTRY_AUTH_TOKEN for the alert rules of '" + slug + "' (" +
                         std::to_string(response.status) + ")" +
                         detail::sentry_says(response, config),
                     "give SENTRY_AUTH_TOKEN the alerts:write scope (or project:write)"};
    return detail::answer_error(response, request, config, slug);
}

}  // namespace

HttpRequest alert_rules_request(const SentryConfig& config, const std::string& slug) {
    return detail::api_request(config, "GET", detail::project_path(config, slug) + "rules/");
}

HttpRequest create_alert_rule_request(const SentryConfig& config, const std::string& slug,
                                      const AlertRuleSpec& rule) {
    auto request =
        detail::api_request(config, "POST", detail::project_path(config, slug) + "rules/");
    request.headers.emplace_back("Content-Type", "application/json");
    // A new issue or a regression notifies the integration; Sentry applies
    // `frequency` (minutes) per issue so that a storm sends one alert.
    request.body =
        json{{"name", rule.name},
             {"actionMatch", "any"},
             {"filterMatch", "all"},
             {"frequency", rule.frequency_minutes},
             {"conditions",
              json::array(
                  {{{"id", "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}},
                   {{"id", "sentry.rules.conditions.regression_event.RegressionEventCondition"}}})},
             {"actions", json::array({{{"id",
                                        "sentry.rules.actions.notify_event_service."
                                        "NotifyEventServiceAction"},
                                       {"service", rule.service}}})}}
            .dump();
    return request;
}

Result<std::optional<std::string>> SentryClient::find_alert_rule(const std::string& slug,
                                                                 const std::string& name) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    const auto request = alert_rules_request(config_, slug);
    const auto response = detail::send_with_retry(http_, request, config_, kReadAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (!ok_status(answer.status)) return rule_error(answer, request, config_, slug);
    const auto rules = json::parse(answer.body, nullptr, false);
    if (rules.is_discarded() || !rules.is_array())
        return Error{"bad_response", "Sentry sent no list of rules for " + detail::where(request),
                     "check SENTRY_URL"};
    for (const auto& rule : rules)
        if (string_field(rule, "name") == name) {
            const auto id = rule.find("id");
            if (id == rule.end()) continue;
            return std::optional<std::string>{id->is_string() ? id->get<std::string>()
                                                              : id->dump()};
        }
    return std::optional<std::string>{};
}

Result<std::string> SentryClient::create_alert_rule(const std::string& slug,
                                                    const AlertRuleSpec& rule) {
    if (auto configured = detail::config_error(config_); !configured.ok())
        return configured.error();
    const auto request = create_alert_rule_request(config_, slug, rule);
    const auto response = detail::send_with_retry(http_, request, config_, kCreateAttempts);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    if (!ok_status(answer.status)) return rule_error(answer, request, config_, slug);
    const auto body = json::parse(answer.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("id"))
        return Error{"bad_response", "Sentry created no rule for " + detail::where(request),
                     "check SENTRY_URL"};
    const auto& id = body["id"];
    return id.is_string() ? id.get<std::string>() : id.dump();
}

}  // namespace opsbot::sentry
