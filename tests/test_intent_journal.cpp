#include <catch2/catch.hpp>

#include "persistence/intent_journal.hpp"
#include "tests/support/test_database.hpp"

using namespace opsbot;

namespace {

Intent intent(const std::string& key) {
    return Intent{key,
                  "corr1",
                  "deploy acme stage",
                  "U01ALICE01",
                  "C0ACME",
                  "1700.1",
                  std::chrono::system_clock::now(),
                  std::nullopt,
                  ""};
}

}  // namespace

TEST_CASE("intent journal: a key is taken once, across connections and reopening", "[intents]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    {
        db::SqlIntentJournal journal(*database);
        CHECK(journal.begin(intent("event:Ev1")));
        CHECK_FALSE(journal.begin(intent("event:Ev1")));
        CHECK(journal.begin(intent("event:Ev2")));
        journal.finish("event:Ev2", "succeeded");
    }
    const auto reopened = database.connect();
    db::SqlIntentJournal journal(*reopened);
    CHECK_FALSE(journal.begin(intent("event:Ev1")));
    const auto open = journal.unfinished();
    REQUIRE(open.size() == 1);
    CHECK(open[0].key == "event:Ev1");
    CHECK(open[0].command == "deploy acme stage");
    const auto done = journal.find("event:Ev2");
    REQUIRE(done);
    CHECK(done->outcome == "succeeded");
    CHECK(done->finished.has_value());
    CHECK_FALSE(journal.find("event:Ev3"));
}

TEST_CASE("intent journal: finishing twice keeps the first outcome", "[intents]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    db::SqlIntentJournal journal(*database);
    REQUIRE(journal.begin(intent("slash:t1")));
    journal.finish("slash:t1", "succeeded");
    journal.finish("slash:t1", "interrupted");
    CHECK(journal.find("slash:t1")->outcome == "succeeded");
    CHECK(journal.unfinished().empty());
}

TEST_CASE("intent journal: a replica's unfinished intents are interrupted once, by one caller",
          "[intents]") {
    test::TestDatabase database(OPSBOT_EACH_BACKEND());
    const auto other_connection = database.connect();
    db::SqlIntentJournal mine(*database);
    mine.set_replica("r1");
    db::SqlIntentJournal other(*other_connection);
    other.set_replica("r2");
    REQUIRE(mine.begin(intent("event:Ev1")));
    REQUIRE(mine.begin(intent("event:Ev2")));
    mine.finish("event:Ev2", "succeeded");
    REQUIRE(other.begin(intent("event:Ev3")));
    const auto interrupted = mine.interrupt("r1");
    if (database.backend() == db::Backend::sqlite) {
        // One process owns a SQLite database: everything unfinished is its own.
        CHECK(interrupted.size() == 2);
        return;
    }
    REQUIRE(interrupted.size() == 1);
    CHECK(interrupted[0].key == "event:Ev1");
    CHECK(interrupted[0].replica == "r1");
    CHECK(mine.interrupt("r1").empty());
    CHECK(mine.find("event:Ev1")->outcome == "interrupted");
    CHECK(mine.find("event:Ev3")->outcome.empty());  // r2's runs on
    CHECK(other.interrupt("r2").size() == 1);        // at r2's takeover
}
