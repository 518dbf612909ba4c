#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "adapters/sentry/sentry.hpp"

using opsbot::sentry::parse_legacy_webhook;
using opsbot::sentry::parse_webhook;
using opsbot::sentry::SentryAlert;
using opsbot::sentry::sign;
using opsbot::sentry::verify_signature;

namespace {

// The samples in tests/data/sentry/ are the payloads published in Sentry's
// integration-platform webhook docs (issues.mdx, issue-alerts.mdx,
// metric-alerts.mdx, errors.mdx, installation.mdx), verbatim, except:
// issue_created.json adds url, web_url and project_url to data.issue, which
// the docs list as attributes but leave out of the sample; issue_resolved,
// _ignored, _archived and _assigned are issue_created with the status fields
// changed and a user as the actor; metric_alert_critical.json is the
// (resolved) metric-alerts sample with action "critical" and description_title
// "Critical: Too many errors". legacy_plugin.json follows the WebHooks
// plugin's build_legacy_webhook_payload, with the event trimmed.
std::string sample(const std::string& name) {
    const auto path = std::string(OPSBOT_SOURCE_DIR) + "/tests/data/sentry/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

nlohmann::json sample_json(const std::string& name) {
    return nlohmann::json::parse(sample(name));
}

SentryAlert parsed(const std::string& resource, const std::string& body) {
    auto alert = parse_webhook(resource, body);
    if (!alert) FAIL(alert.error().code + ": " + alert.error().message);
    return alert.value();
}

opsbot::Error failure(const std::string& resource, const std::string& body) {
    auto alert = parse_webhook(resource, body);
    REQUIRE_FALSE(alert.ok());
    return alert.error();
}

}  // namespace

TEST_CASE("sentry webhook: a created issue", "[sentry]") {
    const auto alert = parsed("issue", sample("issue_created.json"));

    CHECK(alert.resource == "issue");
    CHECK(alert.action == "created");
    CHECK(alert.issue_id == "1170820242");
    CHECK(alert.short_id == "FRONT-END-9");
    CHECK(alert.project == "front-end");
    CHECK(alert.title == "ReferenceError: blooopy is not defined");
    CHECK(alert.culprit == "?(runner)");
    CHECK(alert.level == "error");
    CHECK(alert.first_seen == "2019-08-19T20:58:37.391000Z");
    CHECK(alert.last_seen == "2019-08-19T20:58:37.391000Z");
    CHECK(alert.count == 1);
    CHECK(alert.link == "https://sentry.io/organizations/test-org/issues/1170820242/");
    CHECK(alert.status == "unresolved");
    CHECK(alert.assignee.empty());
    CHECK(alert.actor.empty());  // the actor is Sentry itself, an application
    CHECK(alert.environment.empty());
    CHECK(alert.release.empty());
    CHECK(alert.rule.empty());
    CHECK(alert.event_id.empty());
    CHECK(alert.relayable());
}

TEST_CASE("sentry webhook: issue status changes name the user who made them", "[sentry]") {
    SECTION("resolved") {
        const auto alert = parsed("issue", sample("issue_resolved.json"));
        CHECK(alert.action == "resolved");
        CHECK(alert.status == "resolved");
        CHECK(alert.actor == "Alice");
        CHECK(alert.issue_id == "1170820242");
    }
    SECTION("ignored") {
        const auto alert = parsed("issue", sample("issue_ignored.json"));
        CHECK(alert.action == "ignored");
        CHECK(alert.status == "ignored");
        CHECK(alert.actor == "Alice");
    }
    SECTION("archived, as Sentry's docs call it, reads as ignored") {
        const auto alert = parsed("issue", sample("issue_archived.json"));
        CHECK(alert.action == "ignored");
        CHECK(alert.status == "ignored");
        CHECK(alert.actor == "Alice");
    }
    SECTION("an archived status reads as ignored too") {
        auto payload = sample_json("issue_archived.json");
        payload["data"]["issue"]["status"] = "archived";
        CHECK(parsed("issue", payload.dump()).status == "ignored");
    }
}

TEST_CASE("sentry webhook: an assigned issue names the assignee", "[sentry]") {
    const auto alert = parsed("issue", sample("issue_assigned.json"));
    CHECK(alert.action == "assigned");
    CHECK(alert.assignee == "Bob");
    CHECK(alert.actor == "Alice");
    CHECK(alert.status == "unresolved");

    auto payload = sample_json("issue_assigned.json");
    auto& assigned = payload["data"]["issue"]["assignedTo"];
    SECTION("by email when there is no name") {
        assigned.erase("name");
        CHECK(parsed("issue", payload.dump()).assignee == "bob@example.com");
    }
    SECTION("by id when there is neither") {
        assigned.erase("name");
        assigned.erase("email");
        CHECK(parsed("issue", payload.dump()).assignee == "2");
    }
    SECTION("a team") {
        assigned = {{"type", "team"}, {"id", "7"}, {"name", "backend"}};
        CHECK(parsed("issue", payload.dump()).assignee == "backend");
    }
    SECTION("a plain string") {
        assigned = "bob";
        CHECK(parsed("issue", payload.dump()).assignee == "bob");
    }
    SECTION("null") {
        assigned = nullptr;
        CHECK(parsed("issue", payload.dump()).assignee.empty());
    }
}

TEST_CASE("sentry webhook: issue fields in other shapes", "[sentry]") {
    auto payload = sample_json("issue_created.json");
    auto& issue = payload["data"]["issue"];
    SECTION("a numeric count and id") {
        issue["count"] = 1234567;
        issue["id"] = 1170820242;
        const auto alert = parsed("issue", payload.dump());
        CHECK(alert.count == 1234567);
        CHECK(alert.issue_id == "1170820242");
    }
    SECTION("a count that is not a number counts as 0") {
        issue["count"] = "lots";
        CHECK(parsed("issue", payload.dump()).count == 0);
    }
    SECTION("the permalink when there is no web_url") {
        issue.erase("web_url");
        issue["permalink"] = "https://test-org.sentry.io/issues/1170820242/";
        CHECK(parsed("issue", payload.dump()).link ==
              "https://test-org.sentry.io/issues/1170820242/");
    }
    SECTION("no link at all") {
        issue.erase("web_url");
        CHECK(parsed("issue", payload.dump()).link.empty());
    }
    SECTION("the project slug from project_url when there is no project object") {
        issue.erase("project");
        CHECK(parsed("issue", payload.dump()).project == "front-end");
    }
    SECTION("environment and release when sent") {
        issue["environment"] = "production";
        issue["release"] = "front-end@2.4.1";
        const auto alert = parsed("issue", payload.dump());
        CHECK(alert.environment == "production");
        CHECK(alert.release == "front-end@2.4.1");
    }
    SECTION("a resource header in capitals") {
        CHECK(parsed("Issue", payload.dump()).issue_id == "1170820242");
    }
}

TEST_CASE("sentry webhook: an issue alert (event_alert)", "[sentry]") {
    const auto alert = parsed("event_alert", sample("event_alert_triggered.json"));

    CHECK(alert.resource == "event_alert");
    CHECK(alert.action == "triggered");
    CHECK(alert.issue_id == "1117540176");
    CHECK(alert.project == "front-end");
    CHECK(alert.title == "ReferenceError: heck is not defined");
    CHECK(alert.culprit == "?(<anonymous>)");
    CHECK(alert.level == "error");
    CHECK(alert.environment.empty());
    CHECK(alert.release.empty());  // null in the sample
    CHECK(alert.event_id == "e4874d664c3540c1a32eab185f12c5ab");
    CHECK(alert.link ==
          "https://sentry.io/organizations/test-org/issues/1117540176/events/"
          "e4874d664c3540c1a32eab185f12c5ab/");
    CHECK(alert.rule == "Very Important Alert Rule!");
    CHECK(alert.last_seen == "2019-08-19T21:06:17.677000Z");
    CHECK(alert.short_id.empty());
    CHECK(alert.count == 0);
    CHECK(alert.relayable());

    auto payload = sample_json("event_alert_triggered.json");
    auto& event = payload["data"]["event"];
    SECTION("environment and release from the event's fields") {
        event["environment"] = "production";
        event["release"] = "front-end@2.4.1";
        const auto changed = parsed("event_alert", payload.dump());
        CHECK(changed.environment == "production");
        CHECK(changed.release == "front-end@2.4.1");
    }
    SECTION("environment from the event's tags") {
        event["tags"].push_back({"environment", "staging"});
        CHECK(parsed("event_alert", payload.dump()).environment == "staging");
    }
    SECTION("a project_slug field when the URL names no project") {
        event["url"] = "https://sentry.io/api/0/events/e4874d664c3540c1a32eab185f12c5ab/";
        CHECK(parsed("event_alert", payload.dump()).project.empty());
        event["project_slug"] = "web";
        CHECK(parsed("event_alert", payload.dump()).project == "web");
    }
    SECTION("no issue_id") {
        event.erase("issue_id");
        const auto error = failure("event_alert", payload.dump());
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the event_alert webhook's event has no issue_id");
    }
}

TEST_CASE("sentry webhook: an error", "[sentry]") {
    const auto alert = parsed("error", sample("error_created.json"));

    CHECK(alert.resource == "error");
    CHECK(alert.action == "created");
    CHECK(alert.issue_id == "1170820242");
    CHECK(alert.project == "front-end");
    CHECK(alert.title == "ReferenceError: blooopy is not defined");
    CHECK(alert.culprit == "?(runner)");
    CHECK(alert.level == "error");
    CHECK(alert.event_id == "bb78c1407cea4519aa397afc059c793d");
    CHECK(alert.link ==
          "https://sentry.io/organizations/test-org/issues/1170820242/events/"
          "bb78c1407cea4519aa397afc059c793d/");
    CHECK(alert.last_seen == "2019-08-19T20:58:37.391000Z");
    CHECK(alert.rule.empty());
    CHECK(alert.relayable());
}

TEST_CASE("sentry webhook: a metric alert's critical and resolved share one key", "[sentry]") {
    const auto critical = parsed("metric_alert", sample("metric_alert_critical.json"));
    const auto resolved = parsed("metric_alert", sample("metric_alert_resolved.json"));

    CHECK(critical.resource == "metric_alert");
    CHECK(critical.action == "critical");
    CHECK(critical.issue_id == "metric-4");
    CHECK(critical.title == "Critical: Too many errors");
    // The docs' sample escapes its newline twice: a backslash and an n.
    CHECK(critical.culprit == "1000 events in the last 10 minutes\\nFilter: level:error");
    CHECK(critical.level == "critical");
    CHECK(critical.status == "unresolved");
    CHECK(critical.project == "bar");
    CHECK(critical.link == "https://sentry.io/organizations/baz/alerts/1/");
    CHECK(critical.rule == "Too many errors");
    CHECK(critical.environment.empty());  // null in the sample
    CHECK(critical.first_seen == "2020-09-13T12:26:40.000000Z");
    CHECK(critical.relayable());

    CHECK(resolved.action == "resolved");
    CHECK(resolved.issue_id == critical.issue_id);
    CHECK(resolved.status == "resolved");
    CHECK(resolved.level.empty());
    CHECK(resolved.title == "Resolved: Too many errors");

    auto payload = sample_json("metric_alert_critical.json");
    auto& incident = payload["data"]["metric_alert"];
    SECTION("warning") {
        payload["action"] = "warning";
        const auto warning = parsed("metric_alert", payload.dump());
        CHECK(warning.level == "warning");
        CHECK(warning.status == "unresolved");
    }
    SECTION("the alert rule's environment and projects") {
        incident["alert_rule"]["environment"] = "production";
        incident.erase("projects");
        incident["alert_rule"]["projects"] = {"api"};
        const auto changed = parsed("metric_alert", payload.dump());
        CHECK(changed.environment == "production");
        CHECK(changed.project == "api");
    }
    SECTION("a numeric incident id") {
        incident["id"] = 4;
        CHECK(parsed("metric_alert", payload.dump()).issue_id == "metric-4");
    }
}

TEST_CASE("sentry webhook: an installation is not relayed", "[sentry]") {
    const auto alert = parsed("installation", sample("installation_created.json"));
    CHECK(alert.resource == "installation");
    CHECK(alert.action == "created");
    CHECK(alert.actor == "Meredith Heller");
    CHECK(alert.issue_id.empty());
    CHECK_FALSE(alert.relayable());
}

TEST_CASE("sentry webhook: the legacy WebHooks plugin", "[sentry]") {
    auto result = parse_legacy_webhook(sample("legacy_plugin.json"));
    REQUIRE(result.ok());
    const auto& alert = result.value();

    CHECK(alert.resource == "legacy");
    CHECK(alert.action == "triggered");
    CHECK(alert.issue_id == "5461763487");
    CHECK(alert.project == "front-end");
    CHECK(alert.title == "ReferenceError: blooopy is not defined");
    CHECK(alert.culprit == "?(runner)");
    CHECK(alert.level == "error");
    CHECK(alert.link == "https://test-org.sentry.io/issues/5461763487/?referrer=webhooks_plugin");
    CHECK(alert.environment == "production");
    CHECK(alert.release == "front-end@2.4.1");
    CHECK(alert.event_id == "a1fdd396763241eda55f7e42178c4ed4");
    CHECK(alert.rule == "Send a notification for new issues");
    CHECK(alert.relayable());

    SECTION("Sentry 9's shape: numeric ids, no project_slug, tags only") {
        const auto old = parse_legacy_webhook(R"({
            "id": 541485531, "project": "alerta5", "project_name": "alerta5",
            "culprit": "raven.scripts.runner in main", "logger": null, "level": "error",
            "message": "This is an example Python exception",
            "url": "https://sentry.io/alertaio/alerta5/issues/541485531/",
            "event": {"id": 19293981000,
                      "tags": [["environment", "prod"], ["level", "error"]]}})");
        REQUIRE(old.ok());
        CHECK(old.value().issue_id == "541485531");
        CHECK(old.value().project == "alerta5");
        CHECK(old.value().title == "This is an example Python exception");
        CHECK(old.value().environment == "prod");
        CHECK(old.value().event_id == "19293981000");
        CHECK(old.value().rule.empty());
    }
    SECTION("no issue id") {
        const auto missing = parse_legacy_webhook(R"({"project": "front-end", "event": {}})");
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().code == "bad_payload");
        CHECK(missing.error().message == "the WebHooks plugin payload has no issue id");
    }
    SECTION("not JSON") {
        const auto broken = parse_legacy_webhook("id=5461763487&project=front-end");
        REQUIRE_FALSE(broken.ok());
        CHECK(broken.error().code == "bad_payload");
        CHECK(broken.error().message ==
              "the WebHooks plugin payload is not valid JSON (parse error at line 1, column 1: "
              "syntax error while parsing value - invalid literal)");
    }
}

TEST_CASE("sentry webhook: resources opsbot does not handle", "[sentry]") {
    auto error = failure("comment", R"({"action": "created", "data": {"comment": "hi"}})");
    CHECK(error.code == "unsupported_resource");
    CHECK(error.message == "opsbot does not handle Sentry \"comment\" webhooks");
    CHECK(error.hint ==
          "subscribe the integration to issue, error, event_alert or metric_alert webhooks only");

    error = failure("", sample("issue_created.json"));
    CHECK(error.code == "unsupported_resource");
    CHECK(error.message == "the Sentry webhook has no Sentry-Hook-Resource header");

    error = failure(std::string(500, 'x'), "{}");
    CHECK(error.message ==
          "opsbot does not handle Sentry \"" + std::string(40, 'x') + "\" webhooks");
}

TEST_CASE("sentry webhook: bodies that are not what the resource promises", "[sentry]") {
    SECTION("malformed JSON is summarised, not echoed") {
        auto body = sample("issue_created.json");
        body.resize(body.find("\"shortId\""));
        const auto error = failure("issue", body);
        CHECK(error.code == "bad_payload");
        CHECK(error.message ==
              "the issue webhook is not valid JSON (parse error at line 39, column 7: syntax "
              "error while parsing object key - unexpected end of input; expected string "
              "literal)");
        CHECK_FALSE(error.hint.empty());
    }
    SECTION("what was expected is kept, what was read is not") {
        CHECK(failure("issue", "{secret").message ==
              "the issue webhook is not valid JSON (parse error at line 1, column 2: syntax error "
              "while parsing object key - invalid literal; expected string literal)");
    }
    SECTION("a long bad token is not echoed either") {
        const auto error = failure("issue", "{\"action\": \"" + std::string(5000, 'a'));
        CHECK(error.code == "bad_payload");
        CHECK(error.message.size() < 300);
        CHECK(error.message.find("aaaa") == std::string::npos);
    }
    SECTION("an empty body") {
        const auto error = failure("issue", " \r\n");
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the issue webhook has an empty body");
    }
    SECTION("JSON that is not an object") {
        const auto error = failure("error", R"(["action", "created"])");
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the error webhook is not a JSON object");
    }
    SECTION("no data object") {
        const auto error = failure("issue", R"({"action": "created", "data": "issue"})");
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the issue webhook has no data object");
    }
    SECTION("no data.issue object") {
        const auto error = failure("issue", R"({"action": "created", "data": {"event": {}}})");
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the issue webhook has no data.issue object");
    }
    SECTION("the object another resource sends") {
        const auto error = failure("metric_alert", sample("event_alert_triggered.json"));
        CHECK(error.code == "bad_payload");
        CHECK(error.message == "the metric_alert webhook has no data.metric_alert object");
        CHECK(failure("event_alert", sample("error_created.json")).message ==
              "the event_alert webhook has no data.event object");
        CHECK(failure("error", sample("event_alert_triggered.json")).message ==
              "the error webhook has no data.error object");
    }
    SECTION("an issue without an id or an action") {
        auto payload = sample_json("issue_created.json");
        payload["data"]["issue"].erase("id");
        CHECK(failure("issue", payload.dump()).message ==
              "the issue webhook's data.issue has no id");
        payload = sample_json("issue_created.json");
        payload.erase("action");
        CHECK(failure("issue", payload.dump()).message == "the issue webhook has no action");
    }
}

TEST_CASE("sentry webhook: signatures", "[sentry]") {
    // Expected values from `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET`,
    // worked out outside this code base.
    const std::string secret = "sentry-client-secret-1234";
    const std::string body = R"({"action":"created","data":{"issue":{"id":"1170820242"}}})";
    const std::string expected = "19e0545c2b16f93a9eb7a3b9bcbb422d6c1648e8c1cc57a6c76315934a0803af";

    CHECK(sign(secret, body) == expected);
    CHECK(verify_signature(secret, body, expected));

    SECTION("RFC 4231 test case 2") {
        const std::string rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        CHECK(sign("Jefe", "what do ya want for nothing?") == rfc);
        CHECK(verify_signature("Jefe", "what do ya want for nothing?", rfc));
    }
    SECTION("upper-case hex is the same signature") {
        std::string upper = expected;
        for (auto& c : upper)
            if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
        CHECK(verify_signature(secret, body, upper));
    }
    SECTION("the wrong secret") {
        CHECK_FALSE(verify_signature("sentry-client-secret-1235", body, expected));
    }
    SECTION("a body altered by one byte") {
        std::string altered = body;
        altered[altered.find("1170820242") + 9] = '3';
        CHECK_FALSE(verify_signature(secret, altered, expected));
        CHECK(sign(secret, altered) ==
              "67818cf91ab888214772a01fac118ffd59a9ff3bbc3b53114e1d41206505b0fa");
    }
    SECTION("no signature header") {
        CHECK_FALSE(verify_signature(secret, body, ""));
    }
    SECTION("no secret configured") {
        CHECK_FALSE(verify_signature("", body, sign("", body)));
    }
    SECTION("a truncated signature") {
        CHECK_FALSE(verify_signature(secret, body, expected.substr(0, 63)));
        CHECK_FALSE(verify_signature(secret, body, expected.substr(0, 32)));
    }
    SECTION("a signature with more after it") {
        CHECK_FALSE(verify_signature(secret, body, expected + "00"));
    }
}
