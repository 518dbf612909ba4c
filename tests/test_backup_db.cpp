// opsbot backup-db: the real binary copies the database with SQLite's backup
// API while another connection (a running opsbot) holds a write transaction;
// the copy has every committed audit row and nothing uncommitted, and is
// never written over unless asked.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "persistence/database.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;

namespace {

struct Backup {
    test::TempDir dir;
    std::string db_path = dir.file("data/opsbot.db");
    std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)}, {"OPSBOT_DB", db_path}};

    test::ProcessResult run(std::vector<std::string> args, const std::string& input = "",
                            const std::string& database = "") const {
        auto environment = env;
        if (!database.empty()) environment["OPSBOT_DB"] = database;
        return test::run_process({OPSBOT_BINARY, std::move(args), environment, input, "", 60});
    }
};

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("backup-db: a consistent copy while another connection writes", "[backup][e2e]") {
    Backup b;
    REQUIRE(b.run({"console"}, "help\nwhoami\nlocks\n").exit_code == 0);

    db::Database writer(b.db_path);  // a running opsbot, mid-transaction
    writer.exec("BEGIN IMMEDIATE");
    writer.exec("CREATE TABLE uncommitted (x); INSERT INTO uncommitted VALUES (1)");

    const std::string copy = b.dir.file("copy.db");
    const auto result = b.run({"backup-db", copy});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Matches("copied .*opsbot.db to .*copy.db: [0-9]+ bytes, [0-9]+ "
                                          "pages of 4096 bytes, quick_check ok\n"));
    CHECK(std::filesystem::file_size(copy) > 0);
    CHECK_FALSE(std::filesystem::exists(copy + ".partial"));
    writer.exec("ROLLBACK");

    // The copy is a database of its own: the three audit rows, chain intact.
    const auto audit = b.run({"audit", "--json"}, "", copy);
    INFO(audit.err);
    CHECK(audit.exit_code == 0);
    CHECK(lines(audit.out) == 3);
    const auto verify = b.run({"audit", "verify"}, "", copy);
    CHECK(verify.exit_code == 0);
    CHECK_THAT(verify.out, Catch::Contains("audit chain intact: 3 row(s) verified"));
    db::Database restored(copy);
    auto uncommitted =
        restored.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'uncommitted'");
    REQUIRE(uncommitted.step());
    CHECK(uncommitted.column_int(0) == 0);
}

TEST_CASE("backup-db: an existing file is kept unless --force", "[backup][e2e]") {
    Backup b;
    REQUIRE(b.run({"console"}, "help\n").exit_code == 0);
    const std::string copy = b.dir.write("copy.db", "precious");

    const auto refused = b.run({"backup-db", copy});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains(copy + " already exists — choose another file, or "
                                                   "pass --force to replace it"));
    std::ifstream kept(copy);
    CHECK(std::string(std::istreambuf_iterator<char>(kept), {}) == "precious");

    const auto forced = b.run({"backup-db", copy, "--force"});
    INFO(forced.err);
    CHECK(forced.exit_code == 0);
    CHECK(b.run({"audit", "verify"}, "", copy).exit_code == 0);
}

TEST_CASE("backup-db: usage and a missing database", "[backup][e2e]") {
    Backup b;
    const auto usage = b.run({"backup-db"});
    CHECK(usage.exit_code == 2);
    CHECK_THAT(usage.err, Catch::Contains("usage: opsbot backup-db <file> [--force]"));

    const auto missing = b.run({"backup-db", b.dir.file("copy.db")});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no database at " + b.db_path));
    CHECK_FALSE(std::filesystem::exists(b.dir.file("copy.db")));
}

TEST_CASE("version: version, git, compiler and build type", "[backup][e2e]") {
    Backup b;
    const auto result = b.run({"--version"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Matches("opsbot [0-9]+\\.[0-9]+\\.[0-9]+ \\(.+\\)\nbuilt with "
                              "[A-Za-z]+ [0-9.]+, .*, SQLite 3\\.[0-9.]+, "
                              "libpq [0-9]+\\.[0-9]+\nstore: SQLite .+\nreplica: .+\n"));
}
