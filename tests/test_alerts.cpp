// Alerts below the relay: how one more webhook changes an issue's state
// (core), and the store the intake and the relay share, on both backends.

#include <catch2/catch.hpp>

#include <thread>

#include "bot/alerts/alert_messages.hpp"
#include "persistence/alert_store.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = *parse_iso8601("2026-11-25T10:00:00Z");

InboxAlert incoming(const std::string& action, TimePoint at,
                    const std::string& resource = "issue") {
    InboxAlert row;
    row.received = at;
    row.alert.resource = resource;
    row.alert.action = action;
    row.alert.issue_id = "42";
    row.alert.project = "acme";
    if (action == "created" || action == "triggered") row.alert.title = "TypeError: x is undefined";
    return row;
}

AlertIssue step(const std::optional<AlertIssue>& current, const InboxAlert& row) {
    return apply_alert(current, row, {"#acme", "acme", "prod"});
}

}  // namespace

TEST_CASE("alerts: a Sentry project is routed to its catalogued project or the fallback",
          "[alerts]") {
    const auto catalogue = test::test_catalogue();
    const auto routed = route_alert(catalogue, "acme", "#ops-alerts");
    CHECK(routed.channel == "#acme");
    CHECK(routed.project == "acme");
    CHECK(routed.environment == "prod");
    const auto unknown = route_alert(catalogue, "somebody-else", "#ops-alerts");
    CHECK(unknown.channel == "#ops-alerts");
    CHECK(unknown.project.empty());
    CHECK(route_alert(catalogue, "", "#ops-alerts").project.empty());
}

TEST_CASE("alerts: occurrences count, status changes name who made them", "[alerts]") {
    auto issue = step(std::nullopt, incoming("created", kT0));
    CHECK(issue.events == 1);
    CHECK(issue.channel == "#acme");
    CHECK(issue.status == AlertStatus::unresolved);
    issue = step(issue, incoming("triggered", kT0 + 1s, "event_alert"));
    CHECK(issue.events == 2);

    auto resolved = incoming("resolved", kT0 + 2s);
    resolved.alert.actor = "Alice";
    issue = step(issue, resolved);
    CHECK(issue.status == AlertStatus::resolved);
    CHECK(issue.status_by == "Alice (Sentry)");
    CHECK(issue.events == 2);                                  // a status change is no occurrence
    CHECK(issue.latest.title == "TypeError: x is undefined");  // kept from before

    // A new occurrence of a resolved issue reopens it (a regression).
    issue = step(issue, incoming("triggered", kT0 + 3s, "event_alert"));
    CHECK(issue.status == AlertStatus::unresolved);
    CHECK(issue.status_by.empty());

    auto assigned = incoming("assigned", kT0 + 4s);
    assigned.alert.assignee = "Bob";
    issue = step(issue, assigned);
    CHECK(issue.assignee == "Bob");

    // Sentry's docs call it archived; both mean ignored.
    issue = step(issue, incoming("archived", kT0 + 5s));
    CHECK(issue.status == AlertStatus::ignored);
    issue = step(issue, incoming("triggered", kT0 + 6s, "event_alert"));
    CHECK(issue.status == AlertStatus::ignored);  // ignored for good stays ignored
}

TEST_CASE("alerts: a muted issue reopens only once its mute ran out", "[alerts]") {
    auto issue = step(std::nullopt, incoming("created", kT0));
    issue.status = AlertStatus::ignored;
    issue.muted_until = kT0 + 1h;
    issue = step(issue, incoming("triggered", kT0 + 30min, "event_alert"));
    CHECK(issue.status == AlertStatus::ignored);
    issue = step(issue, incoming("triggered", kT0 + 61min, "event_alert"));
    CHECK(issue.status == AlertStatus::unresolved);
    CHECK_FALSE(issue.muted_until);
}

TEST_CASE("alerts: a metric alert's resolution closes it", "[alerts]") {
    auto critical = incoming("critical", kT0, "metric_alert");
    critical.alert.issue_id = "metric-4";
    auto issue = step(std::nullopt, critical);
    CHECK(issue.events == 1);
    auto resolved = incoming("resolved", kT0 + 1min, "metric_alert");
    resolved.alert.issue_id = "metric-4";
    issue = step(issue, resolved);
    CHECK(issue.status == AlertStatus::resolved);
    CHECK(issue.status_by == "Sentry");
}

TEST_CASE("alert store: concurrent records are committed once each, duplicates refused",
          "[alerts][persistence]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlAlertStore intake(*database);
    intake.defer_checkpoints();

    constexpr int kThreads = 8, kEach = 100;
    std::vector<std::thread> threads;
    std::atomic<int> inserted{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                Alert alert = incoming("created", kT0).alert;
                alert.issue_id = std::to_string(i % 5);
                if (intake.record("req-" + std::to_string(t) + "-" + std::to_string(i),
                                  kT0 + std::chrono::milliseconds(i), alert))
                    ++inserted;
            }
        });
    for (auto& thread : threads) thread.join();
    CHECK(inserted == kThreads * kEach);
    CHECK_FALSE(intake.record("req-0-0", kT0, incoming("created", kT0).alert));

    // The relay's connection sees them all, in order, and only once applied.
    const auto relay_db = database.connect();
    db::SqlAlertStore relay(*relay_db);
    auto rows = relay.unapplied(10'000);
    REQUIRE(rows.size() == kThreads * kEach);
    CHECK(std::is_sorted(rows.begin(), rows.end(),
                         [](const auto& a, const auto& b) { return a.id < b.id; }));
    CHECK(rows.front().alert.title == "TypeError: x is undefined");
    std::vector<std::int64_t> first_half;
    for (std::size_t i = 0; i < 400; ++i) first_half.push_back(rows[i].id);
    relay.apply({}, first_half);
    CHECK(relay.unapplied(10'000).size() == 400);

    // A restart reads where the relay stopped.
    const auto restarted_db = database.connect();
    db::SqlAlertStore restarted(*restarted_db);
    const auto left = restarted.unapplied(10'000);
    REQUIRE(left.size() == 400);
    CHECK(left.front().id == rows[400].id);
    CHECK(restarted.occurrences_since("0", kT0) == kThreads * kEach / 5);
    CHECK(restarted.occurrences_since("0", kT0 + 1h) == 0);
}

// On PostgreSQL an insert takes its id when it starts and shows when it
// commits: a webhook whose insert commits late sits below rows the relay
// already applied, and must still be relayed.
TEST_CASE("alert store: an inbox row committed after a newer one was applied is still relayed",
          "[alerts][persistence]") {
    test::TestDatabase database(db::Backend::postgresql);
    db::SqlAlertStore intake(*database);
    const auto slow_db = database.connect();
    auto late = incoming("created", kT0).alert;
    late.issue_id = "late";
    db::Transaction slow(*slow_db);
    auto insert = slow_db->prepare(
        "INSERT INTO alert_inbox (dedupe_key, received_at, issue_id, occurrence, alert_json) "
        "VALUES ('body:late', ?, 'late', 1, ?)");
    insert.bind(1, format_iso8601(kT0)).bind(2, db::alert_to_json(late));
    insert.run();
    REQUIRE(intake.record("body:early", kT0 + 1s, incoming("created", kT0 + 1s).alert));

    const auto relay_db = database.connect();
    db::SqlAlertStore relay(*relay_db);
    auto rows = relay.unapplied(100);
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().dedupe_key == "body:early");
    const auto early_id = rows.front().id;
    relay.apply({}, {early_id});
    slow.commit();

    rows = relay.unapplied(100);
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().dedupe_key == "body:late");
    CHECK(rows.front().alert.issue_id == "late");
    CHECK(rows.front().id < early_id);
}

TEST_CASE("alert store: messages are pending until delivered, and again after a change",
          "[alerts][persistence]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlAlertStore store(*database);
    const auto issue = step(std::nullopt, incoming("created", kT0));
    store.apply({issue}, {});
    CHECK(store.unposted().size() == 1);

    const auto message = store.create_message("#acme", AlertMessageKind::issue, kT0, {"42"});
    CHECK(store.unposted().empty());
    REQUIRE(store.pending_messages().size() == 1);
    store.take(message.id);
    // Taken but never posted (a crash mid-send): still pending.
    CHECK(store.pending_messages().size() == 1);
    store.delivered(message.id, "C0ACME0001", "1700000000.000100");
    CHECK(store.pending_messages().empty());

    store.set_status("42", AlertStatus::resolved, "Bob (Slack)", std::nullopt);
    const auto pending = store.pending_messages();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].posted_to == "C0ACME0001");
    CHECK(pending[0].ts == "1700000000.000100");
    const auto stored = store.issue("42");
    REQUIRE(stored);
    CHECK(stored->status == AlertStatus::resolved);
    CHECK(stored->status_by == "Bob (Slack)");
    CHECK(store.recent("acme", true, 10).empty());
    CHECK(store.recent("acme", false, 10).size() == 1);

    CHECK(store.open_digest("#acme", kT0 - 1min) == std::nullopt);
    const auto digest = store.create_message("#acme", AlertMessageKind::digest, kT0, {});
    CHECK(store.open_digest("#acme", kT0 - 1min)->id == digest.id);
    CHECK(store.open_digest("#acme", kT0 + 1min) == std::nullopt);
}

TEST_CASE("alerts: Sentry echoing opsbot's own change keeps who made it", "[alerts]") {
    auto issue = step(std::nullopt, incoming("created", kT0));
    issue.status = AlertStatus::ignored;
    issue.status_by = "Bob (Slack)";
    issue.muted_until = kT0 + 1h;
    issue = step(issue, incoming("ignored", kT0 + 1s));
    CHECK(issue.status_by == "Bob (Slack)");
    CHECK(issue.muted_until == kT0 + 1h);
}

TEST_CASE("alerts: a regression gets a new message", "[alerts]") {
    auto issue = step(std::nullopt, incoming("created", kT0));
    issue.message_id = 7;
    issue = step(issue, incoming("resolved", kT0 + 1s));
    CHECK(issue.message_id == 7);  // the resolution edits the message
    const auto reopened = step(issue, incoming("triggered", kT0 + 2s, "event_alert"));
    CHECK(reopened.message_id == 0);
    CHECK(step(issue, incoming("unresolved", kT0 + 2s)).message_id == 0);
}

TEST_CASE("alert messages: text from Sentry cannot mention or link, metric alerts have no buttons",
          "[alerts]") {
    auto issue = step(std::nullopt, incoming("created", kT0));
    issue.latest.title = "<!channel> pay <https://evil.example|here>";
    issue.latest.environment = "<!here>";
    const auto reply = alerts::render_issue({issue, 3}, {});
    CHECK(reply.text.find("<!channel>") == std::string::npos);
    CHECK(reply.text.find("<!here>") == std::string::npos);
    CHECK(reply.blocks_json.find("<!channel>") == std::string::npos);
    CHECK_THAT(reply.text, Catch::Contains("&lt;!channel&gt;"));
    CHECK_THAT(reply.blocks_json, Catch::Contains(alerts::kResolveAction));

    issue.issue_id = "metric-4";
    CHECK(alerts::render_issue({issue, 3}, {}).blocks_json.find(alerts::kResolveAction) ==
          std::string::npos);
    const auto digest = alerts::render_digest({{issue, 3}}, {});
    CHECK(digest.text.find("<!channel>") == std::string::npos);
}

TEST_CASE("alert store: status-only issues wait for an occurrence, gone messages are reposted",
          "[alerts][persistence]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlAlertStore store(*database);
    auto assigned = incoming("assigned", kT0);
    assigned.alert.assignee = "Bob";
    store.apply({step(std::nullopt, assigned)}, {});
    CHECK(store.unposted().empty());  // "0 events" is not an alert

    store.apply({step(std::nullopt, incoming("created", kT0))}, {});
    const auto message = store.create_message("#acme", AlertMessageKind::issue, kT0, {"42"});
    store.take(message.id);
    store.delivered(message.id, "C0ACME0001", "1700000000.000100");
    CHECK(store.pending_messages().empty());
    store.repost(message.id);
    const auto pending = store.pending_messages();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].ts.empty());
}
