// The append-only, hash-chained audit log over a real SQLite database, and
// the three output formats.

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/audit.hpp"
#include "core/audit_chain.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kSlackToken = "xoxb-123456789012-abcdefABCDEF";

using test::ManualClock;

AuditEntry deploy_entry() {
    AuditEntry entry;
    entry.correlation_id = "c-0001";
    entry.actor_id = "U01ALICE01";
    entry.actor_name = "Alice";
    entry.source = Source::slack;
    entry.channel = "C0ACME";
    entry.thread = "1732486427.000100";
    entry.command = "deploy acme prod";
    entry.args_json = R"({"project":"acme","env":"prod"})";
    entry.project = "acme";
    entry.environment = "prod";
    entry.outcome = Outcome::succeeded;
    entry.external_ref = "https://jenkins.example/job/deploy-prod/42";
    entry.duration_ms = 12345;
    entry.error = "";
    return entry;
}

AuditEntry entry_for(std::string project, std::string actor_id, std::string actor_name,
                     Outcome outcome, std::string command) {
    AuditEntry entry;
    entry.correlation_id = "c-" + command;
    entry.actor_id = std::move(actor_id);
    entry.actor_name = std::move(actor_name);
    entry.source = Source::console;
    entry.command = std::move(command);
    entry.args_json = "{}";
    entry.project = std::move(project);
    entry.outcome = outcome;
    return entry;
}

// Every test here runs on both backends.
struct Store {
    test::TestDatabase database{OPSBOT_EACH_BACKEND()};
    ManualClock clock;
    db::AuditLog audit{*database, clock};

    // What an operator with a shell on the database could do to the log.
    void allow_tampering() {
        if (database.backend() == db::Backend::postgresql)
            database->exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
        else
            database->exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete");
    }
};

void require_same_entry(const AuditRecord& a, const AuditRecord& b) {
    CHECK(a.id == b.id);
    CHECK(a.time == b.time);
    CHECK(a.correlation_id == b.correlation_id);
    CHECK(a.actor_id == b.actor_id);
    CHECK(a.actor_name == b.actor_name);
    CHECK(a.source == b.source);
    CHECK(a.channel == b.channel);
    CHECK(a.thread == b.thread);
    CHECK(a.command == b.command);
    CHECK(a.args_json == b.args_json);
    CHECK(a.project == b.project);
    CHECK(a.environment == b.environment);
    CHECK(a.outcome == b.outcome);
    CHECK(a.external_ref == b.external_ref);
    CHECK(a.duration_ms == b.duration_ms);
    CHECK(a.error == b.error);
    CHECK(a.prev_hash == b.prev_hash);
    CHECK(a.hash == b.hash);
}

std::string stored_text(db::Database& database, std::int64_t id) {
    auto row = database.prepare(
        "SELECT command || '|' || args_json || '|' || error || '|' || external_ref || '|' || "
        "actor_name FROM audit_log WHERE id = ?");
    row.bind(1, id);
    REQUIRE(row.step());
    return row.column_text(0);
}

void append_rows(db::AuditLog& audit, int count) {
    for (int i = 0; i < count; ++i) {
        auto entry = deploy_entry();
        entry.command = "deploy acme stage #" + std::to_string(i);
        audit.append(entry);
    }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("audit log: append returns and stores every field") {
    Store store;
    const auto written = store.audit.append(deploy_entry());
    CHECK(written.id == 1);
    CHECK(format_iso8601(written.time) == "2026-11-24T22:13:47.123Z");
    CHECK(written.command == "deploy acme prod");
    CHECK(written.duration_ms == 12345);

    const auto rows = store.audit.query({.limit = 0});
    REQUIRE(rows.size() == 1);
    require_same_entry(rows[0], written);
}

TEST_CASE("audit log: an absent duration stays absent") {
    Store store;
    auto entry = deploy_entry();
    entry.duration_ms.reset();
    entry.outcome = Outcome::parse_error;
    entry.error = "unknown project 'acne'";
    store.audit.append(entry);
    const auto rows = store.audit.query({});
    REQUIRE(rows.size() == 1);
    CHECK_FALSE(rows[0].duration_ms.has_value());
    CHECK(rows[0].outcome == Outcome::parse_error);
    CHECK(rows[0].error == "unknown project 'acne'");
}

TEST_CASE("audit log: rows persist in a file database after it is closed and reopened") {
    test::TempDir dir;
    const auto path = dir.file("opsbot.db");
    const ManualClock clock;
    AuditRecord first;
    {
        db::Database database(path);
        db::migrate(database);
        db::AuditLog audit(database, clock);
        first = audit.append(deploy_entry());
        audit.append(entry_for("globex", "U02BOB0002", "Bob", Outcome::denied, "purge globex"));
    }
    db::Database database(path);
    db::migrate(database);
    db::AuditLog audit(database, clock);
    const auto rows = audit.query({.limit = 0});
    REQUIRE(rows.size() == 2);
    require_same_entry(rows[1], first);
    CHECK(rows[0].command == "purge globex");
    CHECK(audit.verify().ok);

    // The chain continues across the reopen.
    const auto third = audit.append(deploy_entry());
    CHECK(third.prev_hash == rows[0].hash);
    CHECK(audit.verify().rows_checked == 3);
}

TEST_CASE("audit log: each row's hash covers its content and links to the previous row") {
    Store store;
    const auto first = store.audit.append(deploy_entry());
    store.clock.advance(std::chrono::seconds(1));
    const auto second = store.audit.append(deploy_entry());

    CHECK(first.prev_hash == std::string(64, '0'));
    CHECK(second.prev_hash == first.hash);
    CHECK(first.hash.size() == 64);
    CHECK(first.hash != second.hash);
    CHECK(first.hash == audit_chain_hash(first.prev_hash, audit_content_for_hash(first)));
    CHECK(second.hash == audit_chain_hash(second.prev_hash, audit_content_for_hash(second)));
}

TEST_CASE("audit log: the chain hash is SHA-256 of prev_hash, a newline and the content") {
    CHECK(audit_chain_hash("", "") ==
          "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b");
}

TEST_CASE("audit log: the hashed content is a JSON array of the stored fields in order") {
    AuditRecord record;
    static_cast<AuditEntry&>(record) = deploy_entry();
    record.time = *parse_iso8601("2026-11-24T22:13:47.123Z");
    record.id = 99;  // not covered: SQLite assigns it after hashing
    CHECK(audit_content_for_hash(record) ==
          R"(["2026-11-24T22:13:47.123Z","c-0001","U01ALICE01","Alice","slack","C0ACME",)"
          R"("1732486427.000100","deploy acme prod","{\"project\":\"acme\",\"env\":\"prod\"}",)"
          R"("acme","prod","succeeded","https://jenkins.example/job/deploy-prod/42",12345,""])");
    record.duration_ms.reset();
    CHECK_THAT(audit_content_for_hash(record), Contains(R"(/42",null,""])"));
}

TEST_CASE("audit log: the database refuses UPDATE and DELETE on audit_log") {
    Store store;
    store.audit.append(deploy_entry());
    CHECK_THROWS_AS(store.database->exec("UPDATE audit_log SET command = 'x' WHERE id = 1"),
                    db::DatabaseError);
    CHECK_THROWS_WITH(store.database->exec("UPDATE audit_log SET command = 'x' WHERE id = 1"),
                      Contains("audit_log is append-only"));
    CHECK_THROWS_WITH(store.database->exec("DELETE FROM audit_log WHERE id = 1"),
                      Contains("audit_log is append-only"));
    CHECK_THROWS_WITH(store.database->exec("DELETE FROM audit_log"),
                      Contains("audit_log is append-only"));

    const auto rows = store.audit.query({});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].command == "deploy acme prod");
    CHECK(store.audit.verify().ok);
}

TEST_CASE("audit log: verify passes on an intact log") {
    Store store;
    CHECK(store.audit.verify().ok);
    CHECK(store.audit.verify().rows_checked == 0);
    append_rows(store.audit, 25);
    const auto check = store.audit.verify();
    CHECK(check.ok);
    CHECK(check.rows_checked == 25);
    CHECK_FALSE(check.first_bad_row.has_value());
    CHECK(check.problem.empty());
}

TEST_CASE("audit log: verify names the first edited row") {
    Store store;
    append_rows(store.audit, 30);
    store.allow_tampering();
    store.database->exec("UPDATE audit_log SET command = 'deploy acme prod' WHERE id = 17");

    const auto check = store.audit.verify();
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_row == 17);
    CHECK(check.rows_checked == 16);
    CHECK(check.problem == "row 17: hash does not match its content (edited?)");
}

TEST_CASE("audit log: verify notices an edited outcome or duration") {
    Store store;
    append_rows(store.audit, 5);
    store.allow_tampering();
    SECTION("outcome") {
        store.database->exec("UPDATE audit_log SET outcome = 'failed' WHERE id = 3");
    }
    SECTION("an outcome name this binary does not know") {
        store.database->exec("UPDATE audit_log SET outcome = 'harmless' WHERE id = 3");
    }
    SECTION("duration") {
        store.database->exec("UPDATE audit_log SET duration_ms = NULL WHERE id = 3");
    }
    const auto check = store.audit.verify();
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_row == 3);
}

TEST_CASE("audit log: verify names the row after a removed one") {
    Store store;
    append_rows(store.audit, 30);
    store.allow_tampering();
    store.database->exec("DELETE FROM audit_log WHERE id = 17");

    const auto check = store.audit.verify();
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_row == 18);
    CHECK(check.problem == "row 18: prev_hash does not match row 16 (row removed or reordered?)");
}

TEST_CASE("audit log: verify notices the first rows removed") {
    Store store;
    append_rows(store.audit, 3);
    store.allow_tampering();
    store.database->exec("DELETE FROM audit_log WHERE id = 1");

    const auto check = store.audit.verify();
    CHECK_FALSE(check.ok);
    CHECK(check.first_bad_row == 2);
    CHECK_THAT(check.problem, Contains("row 2: prev_hash"));
}

TEST_CASE("audit log: a Slack token is redacted before the row is stored") {
    Store store;
    auto entry = deploy_entry();
    entry.command = std::string("deploy acme prod --token ") + kSlackToken;
    entry.args_json = std::string(R"({"token":")") + kSlackToken + R"("})";
    entry.error = std::string("auth failed for ") + kSlackToken;
    entry.external_ref = std::string("https://hooks.example/?t=") + kSlackToken;
    entry.actor_name = std::string("Alice ") + kSlackToken;
    const auto written = store.audit.append(entry);

    const auto raw = stored_text(*store.database, written.id);
    CHECK_THAT(raw, !Contains("123456789012-abcdefABCDEF"));
    CHECK_THAT(raw, Contains("deploy acme prod --token "));
    CHECK_THAT(written.command, !Contains("abcdefABCDEF"));
    // The hash covers what was stored, so the redacted row still verifies.
    CHECK(store.audit.verify().ok);
}

TEST_CASE("audit log: query filters by since, project, actor, correlation id and outcome") {
    Store store;
    const TimePoint start = store.clock.time;
    store.audit.append(entry_for("acme", "U01ALICE01", "Alice", Outcome::succeeded, "one"));
    store.clock.advance(std::chrono::hours(1));
    store.audit.append(entry_for("globex", "U02BOB0002", "Bob", Outcome::denied, "two"));
    store.clock.advance(std::chrono::hours(1));
    store.audit.append(entry_for("acme", "U02BOB0002", "Bob", Outcome::failed, "three"));
    store.clock.advance(std::chrono::hours(1));
    store.audit.append(entry_for("acme", "U01ALICE01", "Alice", Outcome::denied, "four"));

    const auto commands = [&](const AuditQuery& query) {
        std::vector<std::string> out;
        for (const auto& row : store.audit.query(query)) out.push_back(row.command);
        return out;
    };
    using V = std::vector<std::string>;

    CHECK(commands({.limit = 0}) == V{"four", "three", "two", "one"});
    CHECK(commands({.limit = 2}) == V{"four", "three"});
    CHECK(commands({.since = start + std::chrono::hours(1), .limit = 0}) ==
          V{"four", "three", "two"});
    CHECK(commands({.since = start + std::chrono::minutes(61), .limit = 0}) == V{"four", "three"});
    CHECK(commands({.project = "acme", .limit = 0}) == V{"four", "three", "one"});
    CHECK(commands({.actor = "U02BOB0002", .limit = 0}) == V{"three", "two"});
    CHECK(commands({.actor = "Alice", .limit = 0}) == V{"four", "one"});
    CHECK(commands({.correlation_id = "c-two", .limit = 0}) == V{"two"});
    CHECK(commands({.outcome = Outcome::denied, .limit = 0}) == V{"four", "two"});
    CHECK(commands({.project = "acme", .actor = "Bob", .limit = 0}) == V{"three"});
    CHECK(commands({.project = "initech", .limit = 0}).empty());
}

TEST_CASE("audit log: concurrent appends from several threads keep the chain valid") {
    test::TempDir dir;
    db::Database database(dir.file("opsbot.db"));
    db::migrate(database);
    const SystemClock clock;
    db::AuditLog audit(database, clock);

    constexpr int kThreads = 4;
    constexpr int kRowsEach = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&audit, t] {
            for (int i = 0; i < kRowsEach; ++i) {
                auto entry = deploy_entry();
                entry.correlation_id = "t" + std::to_string(t) + "-" + std::to_string(i);
                audit.append(entry);
                if (i % 50 == 0) audit.query({.limit = 5});  // readers interleave too
            }
        });
    }
    for (auto& thread : threads) thread.join();

    const auto check = audit.verify();
    CHECK(check.problem.empty());
    CHECK(check.ok);
    CHECK(check.rows_checked == kThreads * kRowsEach);
    CHECK(audit.query({.limit = 0}).size() == kThreads * kRowsEach);
}

TEST_CASE("audit log: outcome and source names round-trip") {
    for (const auto outcome :
         {Outcome::accepted, Outcome::denied, Outcome::parse_error, Outcome::confirmed,
          Outcome::cancelled, Outcome::expired, Outcome::started, Outcome::succeeded,
          Outcome::failed, Outcome::rejected, Outcome::duplicate}) {
        CHECK(parse_outcome(to_string(outcome)) == outcome);
    }
    for (const auto source : {Source::slack, Source::console, Source::webhook, Source::cli,
                              Source::system, Source::modal}) {
        CHECK(parse_source(to_string(source)) == source);
    }
    CHECK(std::string(to_string(Outcome::parse_error)) == "parse_error");
    CHECK_FALSE(parse_outcome("Denied").has_value());
    CHECK_FALSE(parse_source("").has_value());
}

TEST_CASE("audit log: json format is one object per line with UTC times") {
    Store store;
    store.audit.append(deploy_entry());
    auto failed = entry_for("globex", "U02BOB0002", "Bob", Outcome::failed, "purge globex");
    failed.args_json = "not json";
    failed.error = "Cloudflare said 403";
    store.audit.append(failed);

    const auto text = format_audit(store.audit.query({}), AuditFormat::json);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 2);
    for (const auto& line : lines) {
        const auto row = nlohmann::json::parse(line, nullptr, false);
        REQUIRE_FALSE(row.is_discarded());
        const auto time = row.at("time").get<std::string>();
        CHECK(time.size() == 24);
        CHECK(time.back() == 'Z');
        CHECK(parse_iso8601(time).has_value());
        CHECK(row.at("hash").get<std::string>().size() == 64);
    }
    const auto newest = nlohmann::json::parse(lines[0]);
    CHECK(newest.at("args") == "not json");
    CHECK(newest.at("duration_ms").is_null());
    CHECK(newest.at("outcome") == "failed");
    CHECK(newest.at("error") == "Cloudflare said 403");
    const auto oldest = nlohmann::json::parse(lines[1]);
    CHECK(oldest.at("id") == 1);
    CHECK(oldest.at("time") == "2026-11-24T22:13:47.123Z");
    CHECK(oldest.at("args").at("project") == "acme");
    CHECK(oldest.at("duration_ms") == 12345);
    CHECK(oldest.at("source") == "slack");
    CHECK(lines[1].rfind(R"({"id":1,"time":)", 0) == 0);  // keys keep their documented order
    CHECK(format_audit({}, AuditFormat::json).empty());
}

TEST_CASE("audit log: csv format quotes commas, quotes and line breaks") {
    Store store;
    auto entry = deploy_entry();
    entry.command = R"(say "hello, world")";
    entry.error = "line one\nline two";
    store.audit.append(entry);

    const auto text = format_audit(store.audit.query({}), AuditFormat::csv);
    CHECK(text.rfind(
              "id,time,correlation_id,actor_id,actor_name,source,channel,thread,command,"
              "args,project,environment,outcome,external_ref,duration_ms,error,replica,hash\r\n",
              0) == 0);
    CHECK_THAT(text, Contains(R"(,"say ""hello, world""",)"));
    CHECK_THAT(text, Contains(R"("{""project"":""acme"",""env"":""prod""}")"));
    CHECK_THAT(text, Contains("\"line one\nline two\""));
    CHECK_THAT(text, Contains(",2026-11-24T22:13:47.123Z,c-0001,U01ALICE01,Alice,slack,"));
    CHECK_THAT(text, Contains(",12345,"));
    const auto header_only = format_audit({}, AuditFormat::csv);
    CHECK(header_only == text.substr(0, text.find("\r\n") + 2));
}

TEST_CASE("audit log: table format aligns columns for people") {
    Store store;
    store.audit.append(deploy_entry());
    store.clock.advance(std::chrono::minutes(5));
    auto denied = entry_for("globex", "U02BOB0002", "", Outcome::denied, "purge globex");
    denied.error = "needs the purge permission";
    store.audit.append(denied);

    const auto text = format_audit(store.audit.query({}), AuditFormat::table);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].rfind("time (UTC)", 0) == 0);
    CHECK_THAT(lines[0], Contains("ref/error"));
    CHECK_THAT(lines[1], Contains("2026-11-24 22:18:47"));
    CHECK_THAT(lines[1], Contains("U02BOB0002"));  // no name: the id stands in
    CHECK_THAT(lines[1], Contains("error: needs the purge permission"));
    CHECK_THAT(lines[2], Contains("Alice"));
    CHECK_THAT(lines[2], Contains("acme/prod"));
    CHECK_THAT(lines[2], Contains("https://jenkins.example/job/deploy-prod/42"));
    // Every column starts at the same place on every line.
    const auto column = lines[0].find("outcome");
    CHECK(lines[1].substr(column, 6) == "denied");
    CHECK(lines[2].substr(column, 9) == "succeeded");
    for (const auto& line : lines) CHECK(line.back() != ' ');

    CHECK(format_audit({}, AuditFormat::table) == "no audit rows match\n");
}

TEST_CASE("audit log: table format keeps one line per row") {
    Store store;
    auto entry = deploy_entry();
    entry.command = "deploy acme prod\nwith a line break and " + std::string(100, 'x');
    store.audit.append(entry);
    const auto lines = lines_of(format_audit(store.audit.query({}), AuditFormat::table));
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[1], Contains("deploy acme prod with a line break"));
    CHECK_THAT(lines[1], Contains("…"));
}

TEST_CASE("audit log: invalid UTF-8 and NUL are stored as U+FFFD, and the chain verifies") {
    Store store;
    auto entry = deploy_entry();
    entry.command = std::string("deploy acme \xff prod\0x", 20);
    entry.external_ref = "Request-ID \xC0\xAF";
    const auto written = store.audit.append(entry);
    CHECK(written.command == "deploy acme \xEF\xBF\xBD prod\xEF\xBF\xBDx");
    const auto rows = store.audit.query({});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].command == written.command);
    CHECK(rows[0].external_ref == "Request-ID \xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(store.audit.verify().ok);
}

TEST_CASE("audit log: each row keeps the replica that wrote it, in its hash and in every format") {
    Store store;
    auto entry = deploy_entry();
    entry.replica = "opsbot-2";
    const auto written = store.audit.append(entry);
    const auto read = store.audit.query({});
    REQUIRE(read.size() == 1);
    CHECK(read[0].replica == "opsbot-2");
    CHECK(written.hash == audit_chain_hash(written.prev_hash, audit_content_for_hash(read[0])));
    CHECK(nlohmann::json::parse(format_audit(read, AuditFormat::json)).at("replica") == "opsbot-2");
    CHECK_THAT(format_audit(read, AuditFormat::csv), Contains(",opsbot-2,"));
    const auto table = lines_of(format_audit(read, AuditFormat::table));
    REQUIRE(table.size() == 2);
    const auto column = table[0].find("replica");
    CHECK(table[1].substr(column, 8) == "opsbot-2");
    CHECK(store.audit.verify().ok);
}

TEST_CASE("audit log: the hashed content ends with the replica only when there is one") {
    AuditRecord record;
    static_cast<AuditEntry&>(record) = deploy_entry();
    record.time = *parse_iso8601("2026-11-24T22:13:47.123Z");
    const auto without = audit_content_for_hash(record);
    CHECK_THAT(without, Contains(R"(/42",12345,""])"));
    record.replica = "r1";
    CHECK(audit_content_for_hash(record) == without.substr(0, without.size() - 1) + R"(,"r1"])");
}

TEST_CASE("audit log: verify notices an edited, added or removed replica") {
    Store store;
    auto entry = deploy_entry();
    entry.replica = "r1";
    store.audit.append(entry);
    store.audit.append(deploy_entry());  // a row with no replica
    store.audit.append(entry);
    store.allow_tampering();
    SECTION("edited") {
        store.database->exec("UPDATE audit_log SET replica = 'r2' WHERE id = 1");
        CHECK(store.audit.verify().first_bad_row == 1);
    }
    SECTION("added to a row that had none") {
        store.database->exec("UPDATE audit_log SET replica = 'r1' WHERE id = 2");
        CHECK(store.audit.verify().first_bad_row == 2);
    }
    SECTION("removed") {
        store.database->exec("UPDATE audit_log SET replica = '' WHERE id = 3");
        CHECK(store.audit.verify().first_bad_row == 3);
    }
}

namespace {

// The schema version just before audit rows had a replica.
int version_before_replicas() {
    for (const auto& migration : db::all_migrations()) {
        if (migration.name.find("audit_replica") != std::string::npos) return migration.version - 1;
    }
    FAIL("no audit_replica migration");
    return 0;
}

}  // namespace

TEST_CASE("audit log: a chain from before replicas still verifies once migrated and extended") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND(), false);
    db::migrate(*database, version_before_replicas());
    std::string hash = audit_genesis_hash();
    for (int i = 0; i < 3; ++i) {
        auto entry = deploy_entry();
        entry.command = "deploy #" + std::to_string(i);
        if (i == 1) entry.duration_ms.reset();
        hash = test::append_pre_replica_audit_row(*database, hash, entry,
                                                  *parse_iso8601("2026-11-24T22:13:47.123Z"));
    }
    db::migrate(*database);

    ManualClock clock;
    db::AuditLog audit(*database, clock);
    REQUIRE(audit.verify().ok);
    CHECK(audit.verify().rows_checked == 3);
    auto entry = deploy_entry();
    entry.replica = "r1";
    const auto appended = audit.append(entry);
    CHECK(appended.prev_hash == hash);
    const auto check = audit.verify();
    CHECK(check.ok);
    CHECK(check.rows_checked == 4);
    const auto rows = audit.query({});
    CHECK(rows[0].replica == "r1");
    CHECK(rows[3].replica.empty());
}
