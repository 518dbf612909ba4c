// The envelope journal file: what a crash leaves is read back, handled
// envelopes are forgotten, a torn tail is ignored. And PostgreSQL's claims,
// which replicas share.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "persistence/envelope_claims.hpp"
#include "persistence/envelope_journal.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;
using EnvelopeJournal = db::FileEnvelopeJournal;

namespace {

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A journal file in a folder of its own, and the clock that stamps it.
struct JournalFile {
    test::TempDir dir;
    test::ManualClock clock;
    std::string path = dir.file("j");
};

std::vector<std::string> ids(const std::vector<db::JournaledEnvelope>& entries) {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.push_back(entry.envelope_id);
    return out;
}

}  // namespace

TEST_CASE("envelope journal: unhandled envelopes survive a reopening, handled ones do not",
          "[envelope_journal]") {
    test::TempDir dir;
    test::ManualClock clock;
    const auto path = dir.file("opsbot.db-envelopes");
    // Bodies hold newlines, NULs and text that looks like records.
    const std::string tricky = std::string("{\"a\":\"x\ny\"}\n-3\nabc\n+1 2 3\n") + '\0' + "end";
    {
        EnvelopeJournal journal(path, clock);
        CHECK(journal.left_over().empty());
        CHECK(journal.record("env-1", R"({"type":"slash_commands"})"));
        clock.advance(std::chrono::milliseconds(1500));
        CHECK(journal.record("env-2", tricky));
        CHECK(journal.record("env-3", "three"));
        journal.handled("env-1");
        CHECK(journal.pending() == 2);
    }  // like a kill: nothing is flushed at close that was not written before
    {
        EnvelopeJournal journal(path, clock);
        REQUIRE(ids(journal.left_over()) == std::vector<std::string>{"env-2", "env-3"});
        CHECK(journal.left_over()[0].body == tricky);
        CHECK(journal.left_over()[0].received == *parse_iso8601("2026-11-24T22:13:48.623Z"));
        CHECK(journal.pending() == 2);
        // The reopened file holds only what is left.
        CHECK(file_text(path).find("env-1") == std::string::npos);
        journal.handled("env-2");
        journal.handled("env-3");
        CHECK(journal.pending() == 0);
    }
    EnvelopeJournal journal(path, clock);
    CHECK(journal.left_over().empty());
    CHECK(file_text(path).empty());
}

TEST_CASE("envelope journal: a redelivery while the first runs needs both to be handled",
          "[envelope_journal]") {
    JournalFile file;
    const auto& path = file.path;
    const auto& clock = file.clock;
    {
        EnvelopeJournal journal(path, clock);
        CHECK(journal.record("env-1", "first"));
        CHECK_FALSE(journal.record("env-1", "first"));  // Slack's retry_attempt 1
        journal.handled("env-1");                       // the retry, dropped as a duplicate
        CHECK(journal.pending() == 1);
    }
    {
        EnvelopeJournal journal(path, clock);
        REQUIRE(ids(journal.left_over()) == std::vector<std::string>{"env-1"});
        CHECK(journal.left_over()[0].body == "first");
        journal.handled("env-1");
        journal.handled("never-recorded");  // harmless
        CHECK(journal.pending() == 0);
    }
    CHECK(EnvelopeJournal(path, clock).left_over().empty());
}

TEST_CASE("envelope journal: a burst is written at once, a redelivery inside it once",
          "[envelope_journal]") {
    JournalFile file;
    {
        EnvelopeJournal journal(file.path, file.clock);
        CHECK(journal.record({{"env-1", "one"}, {"env-2", "two"}, {"env-1", "one"}}) == 2);
        CHECK(journal.pending() == 2);
        journal.handled("env-1");  // one of the two deliveries
    }
    EnvelopeJournal journal(file.path, file.clock);
    REQUIRE(ids(journal.left_over()) == std::vector<std::string>{"env-1", "env-2"});
    CHECK(journal.left_over()[1].body == "two");
    CHECK(journal.record({}) == 0);
}

TEST_CASE("envelope journal: a torn or garbled tail is ignored, the records before it kept",
          "[envelope_journal]") {
    const std::string whole = "+5 4 1000\nenv-1body\n+5 3 2000\nenv-2two\n-5\nenv-1\n";
    std::size_t ignored = 99;
    auto entries = db::parse_envelope_journal(whole, &ignored);
    REQUIRE(ids(entries) == std::vector<std::string>{"env-2"});
    CHECK(entries[0].body == "two");
    CHECK(ignored == 0);

    // Cut anywhere, the complete records before the cut are read, no more.
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        INFO("cut at " << cut);
        entries = db::parse_envelope_journal(whole.substr(0, cut), &ignored);
        const std::size_t complete = cut < 20 ? 0 : cut < 39 ? 1 : 2;
        CHECK(entries.size() == complete);
        CHECK(ignored == cut - (complete == 0 ? 0 : complete == 1 ? 20 : 39));
    }
    // Torn inside the second envelope: only the first is read.
    entries = db::parse_envelope_journal(whole.substr(0, 25), &ignored);
    CHECK(ids(entries) == std::vector<std::string>{"env-1"});
    CHECK(ignored == 25 - 20);
    // A length that overruns, a bad kind, a negative number.
    CHECK(ids(db::parse_envelope_journal("+5 400 1\nenv-1body\n")).empty());
    CHECK(ids(db::parse_envelope_journal("*5 4 1\nenv-1body\n")).empty());
    CHECK(ids(db::parse_envelope_journal("+-5 4 1\nenv-1body\n")).empty());
    CHECK(ids(db::parse_envelope_journal("+5 4 1\nenv-1bodyX")).empty());
}

TEST_CASE("envelope journal: emptied once nothing is pending and it grew large",
          "[envelope_journal]") {
    JournalFile file;
    EnvelopeJournal journal(file.path, file.clock);
    const auto& path = file.path;
    const std::string body(4096, 'x');
    for (int i = 0; i < 400; ++i) CHECK(journal.record("env-" + std::to_string(i), body));
    for (int i = 0; i < 399; ++i) journal.handled("env-" + std::to_string(i));
    CHECK(std::filesystem::file_size(path) > (1u << 20));
    journal.handled("env-399");
    CHECK(std::filesystem::file_size(path) == 0);
    CHECK(journal.record("env-400", "after"));
    CHECK(ids(db::parse_envelope_journal(file_text(path))) == std::vector<std::string>{"env-400"});
}

TEST_CASE("envelope journal: a folder it cannot write is a clear error naming the file",
          "[envelope_journal]") {
    if (::geteuid() == 0) {
        // root writes anywhere: use a path under a regular file instead.
        test::TempDir dir;
        const auto file = dir.write("plain", "x");
        test::ManualClock clock;
        REQUIRE_THROWS_WITH(EnvelopeJournal(file + "/j", clock),
                            Catch::Contains(file + "/j") && Catch::Contains("cannot create"));
        return;
    }
    test::TempDir dir;
    ::chmod(dir.path().c_str(), 0500);
    test::ManualClock clock;
    REQUIRE_THROWS_WITH(EnvelopeJournal(dir.file("j"), clock), Catch::Contains("cannot create"));
    ::chmod(dir.path().c_str(), 0700);
}

namespace {

// Every write to the claims table fails (as on a full disk) until lifted.
void refuse_writes(db::Database& database, bool refuse) {
    database.exec(
        refuse ? "ALTER TABLE envelope_claims ADD CONSTRAINT no_writes CHECK (false) NOT VALID"
               : "ALTER TABLE envelope_claims DROP CONSTRAINT no_writes");
}

using Claims = db::SqlEnvelopeClaims;
using Arrivals = std::vector<db::EnvelopeJournal::Arrival>;

std::vector<bool> claim(Claims& claims, const Arrivals& arrivals) {
    std::vector<bool> duplicates;
    claims.record(arrivals, &duplicates);
    return duplicates;
}

}  // namespace

TEST_CASE("envelope claims: unhandled claims come back to their own replica only",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    {
        Claims journal(*database, clock, "r1");
        CHECK(journal.left_over().empty());
        CHECK(journal.record({{"env-1", R"({"type":"slash_commands"})"}, {"env-2", "two"}}) == 2);
        CHECK(journal.record("env-3", "three"));
        CHECK_FALSE(journal.record("env-3", "three"));  // a redelivery while the first runs
        journal.handled("env-1");
        journal.handled("env-3");
        CHECK(journal.pending() == 2);  // env-2, and the redelivery of env-3
    }                                   // like a kill
    CHECK(Claims(*database, clock, "r2").left_over().empty());
    Claims journal(*database, clock, "r1");
    REQUIRE(ids(journal.left_over()) == std::vector<std::string>{"env-2", "env-3"});
    CHECK(journal.left_over()[0].body == "two");
    CHECK(journal.left_over()[0].received == clock.now());
    journal.handled("env-2");
    journal.handled("env-3");
    CHECK(Claims(*database, clock, "r1").left_over().empty());
}

TEST_CASE("envelope claims: a duplicate envelope or event is another journal's, across replicas",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    const auto second = database.connect();
    test::ManualClock clock;
    Claims a(*database, clock, "r1");
    Claims b(*second, clock, "r2");
    CHECK(claim(a, {{"env-1", "slash"}, {"env-2", "event", "Ev1"}}) ==
          std::vector<bool>{false, false});
    // The same envelope on another link, and the event again in a new envelope.
    CHECK(claim(b, {{"env-1", "slash"}, {"env-9", "event again", "Ev1"}, {"env-10", "new"}}) ==
          std::vector<bool>{true, true, false});
    CHECK(b.pending() == 1);  // a loser needs no handled()
    // Once handled, a later delivery of the event still loses, here too.
    a.handled("env-2");
    CHECK(claim(a, {{"env-11", "event late", "Ev1"}}) == std::vector<bool>{true});
    // An event twice in one burst: the first delivery answers it.
    CHECK(claim(b, {{"env-20", "x", "Ev5"}, {"env-21", "x", "Ev5"}}) ==
          std::vector<bool>{false, true});
    CHECK(b.pending() == 2);
}

TEST_CASE("envelope claims: a claim committed unseen is answered when its delivery comes again",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    Claims journal(*database, clock, "r1");
    // The commit went through as the connection broke: the burst was not
    // acknowledged, and nothing here handles it.
    database->exec(
        "INSERT INTO envelope_claims (claim, envelope_id, replica, burst, received_ms) VALUES "
        "('event:Ev7', 'env-7', 'r1', 0, 0), ('event:Ev8', 'env-8', 'r2', 0, 0)");
    CHECK(claim(journal, {{"env-17", "again", "Ev7"}, {"env-18", "again", "Ev8"}}) ==
          std::vector<bool>{false, true});
    CHECK(journal.pending() == 1);
    journal.handled("env-17");
    CHECK(claim(journal, {{"env-27", "late", "Ev7"}}) == std::vector<bool>{true});
    CHECK(Claims(*database, clock, "r1").left_over().empty());
}

TEST_CASE("envelope claims: two survivors taking over at once take each claim once",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    {
        Claims dead(*database, clock, "dead");
        Arrivals burst;
        std::vector<std::string> names;
        for (int i = 0; i < 300; ++i) names.push_back("env-" + std::to_string(i));
        for (const auto& name : names) burst.push_back({name, "body"});
        REQUIRE(dead.record(burst) == 300);
        dead.handled("env-0");
    }
    const auto first = database.connect();
    const auto second = database.connect();
    Claims a(*first, clock, "a");
    Claims b(*second, clock, "b");
    std::vector<db::JournaledEnvelope> by_a;
    std::vector<db::JournaledEnvelope> by_b;
    std::thread other([&] { by_b = b.take_over("dead"); });
    by_a = a.take_over("dead");
    other.join();
    std::set<std::string> taken;
    for (const auto& envelope : by_a) taken.insert(envelope.envelope_id);
    for (const auto& envelope : by_b) CHECK(taken.insert(envelope.envelope_id).second);
    CHECK(taken.size() == 299);
    CHECK(a.pending() + b.pending() == 299);
    CHECK(a.take_over("dead").empty());
    // Each survivor's takings are its own claims now.
    CHECK(Claims(*database, clock, "a").left_over().size() == by_a.size());
}

TEST_CASE("envelope claims: a failed commit throws and counts nothing as arrived",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    Claims journal(*database, clock, "r1");
    refuse_writes(*database, true);
    CHECK_THROWS_AS(journal.record({{"env-1", "one"}, {"env-2", "two"}}), db::DatabaseError);
    CHECK(journal.pending() == 0);
    refuse_writes(*database, false);
    // Slack's redelivery is then claimed as new.
    CHECK(journal.record({{"env-1", "one"}, {"env-2", "two"}}) == 2);
    CHECK(journal.pending() == 2);
}

TEST_CASE("envelope claims: a handled stamp that failed goes with the next one",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    {
        Claims journal(*database, clock, "r1");
        CHECK(journal.record({{"env-1", "one"}, {"env-2", "two"}}) == 2);
        database->exec(
            "ALTER TABLE envelope_claims ADD CONSTRAINT no_marks CHECK "
            "(handled_ms IS NULL) NOT VALID");
        CHECK_THROWS_AS(journal.handled("env-1"), db::DatabaseError);
        database->exec("ALTER TABLE envelope_claims DROP CONSTRAINT no_marks");
        journal.handled("env-2");
    }  // like a kill: env-1 must not come back, it was answered
    CHECK(Claims(*database, clock, "r1").left_over().empty());
}

TEST_CASE("envelope claims: pruned an hour after they were handled, never before",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    Claims journal(*database, clock, "r1");
    CHECK(journal.record({{"env-1", "one", "Ev1"}, {"env-2", "two"}}) == 2);
    journal.handled("env-1");
    clock.advance(std::chrono::minutes(30));
    CHECK(journal.prune(clock.now() - std::chrono::hours(1)) == 0);
    CHECK(claim(journal, {{"env-3", "one again", "Ev1"}}) == std::vector<bool>{true});
    clock.advance(std::chrono::minutes(31));
    CHECK(journal.prune(clock.now() - std::chrono::hours(1)) == 1);  // env-2 is unhandled
    CHECK(claim(journal, {{"env-4", "one again", "Ev1"}}) == std::vector<bool>{false});
}

TEST_CASE("envelope claims: what the envelope log of an older version left is replayed once",
          "[envelope_journal][postgres]") {
    test::TestDatabase database(db::Backend::postgresql);
    test::ManualClock clock;
    std::string records;
    db::append_envelope_record(records, "env-1", "one", clock.now());
    db::append_envelope_record(records, "env-2", "two", clock.now());
    records += db::handled_record("env-1");
    auto insert = database->prepare("INSERT INTO envelope_log (records) VALUES (?)");
    insert.bind(1, records);
    insert.run();
    CHECK(ids(Claims(*database, clock, "r1").left_over()) == std::vector<std::string>{"env-2"});
    CHECK(Claims(*database, clock, "r2").left_over().empty());
}

TEST_CASE("envelope claims: text arrays escape quotes and backslashes", "[envelope_journal]") {
    CHECK(db::text_array({}) == "{}");
    CHECK(db::text_array({"a", R"({"k":"v\n"})"}) == R"({"a","{\"k\":\"v\\n\"}"})");
}
