// A database opsbot cannot use stops the real binary at start-up with what
// happened, to which file and what to do, and exit code 3 (not 2, the
// catalogue's, and not a crash): a locked file, a file that is not a
// database, a damaged header, an unwritable folder, a full file system.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "persistence/database.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace opsbot;

namespace {

constexpr int kExitDatabase = 3;

struct Start {
    test::TempDir dir;
    std::string db_path = dir.file("opsbot.db");
    std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)}, {"OPSBOT_DB", db_path}};

    test::ProcessResult console(const std::string& program = OPSBOT_BINARY,
                                std::vector<std::string> args = {"console"}) const {
        return test::run_process({program, std::move(args), env, "help\n", "", 60});
    }

    // A database as opsbot leaves it: migrated, in WAL mode, closed.
    void create_database() const {
        db::Database database(db_path);
        db::migrate(database);
    }

    void overwrite(std::streamoff at, const std::string& bytes) const {
        std::fstream file(db_path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(at);
        file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
};

void check_refused(const test::ProcessResult& result, const std::string& what,
                   const std::string& file, const std::string& todo) {
    INFO(result.err);
    CHECK(result.exit_code == kExitDatabase);
    CHECK_THAT(result.err, Catch::Contains("opsbot: cannot start: database " + file));
    CHECK_THAT(result.err, Catch::Contains(what));
    CHECK_THAT(result.err, Catch::Contains(todo));
    CHECK(result.out.empty());  // no command ran
}

}  // namespace

TEST_CASE("database errors: a file that is not a database", "[database][e2e]") {
    Start start;
    std::ofstream(start.db_path) << std::string(8192, 'x') << "this is not a database\n";
    check_refused(start.console(), "is not a database or is corrupt", start.db_path,
                  "restore it from a backup, or move it aside");
}

TEST_CASE("database errors: a damaged header", "[database][e2e]") {
    Start start;
    start.create_database();
    start.overwrite(0, "SQLite format 2");  // the magic string SQLite checks
    check_refused(start.console(), "is not a database or is corrupt", start.db_path,
                  "restore it from a backup");
}

TEST_CASE("database errors: locked by another process beyond the busy timeout", "[database][e2e]") {
    Start start;
    start.create_database();
    db::Database holder(start.db_path);  // another process's write lock, held throughout
    holder.exec("BEGIN IMMEDIATE");
    holder.exec("CREATE TABLE held (x)");
    check_refused(start.console(), "is locked by another process", start.db_path,
                  "stop the other opsbot");
    holder.exec("ROLLBACK");
    // Lock gone: the same database starts.
    const auto again = start.console();
    INFO(again.err);
    CHECK(again.exit_code == 0);
}

TEST_CASE("database errors: Slack mode stops the same way, before connecting", "[database][e2e]") {
    Start start;
    std::ofstream(start.db_path) << std::string(8192, 'x');
    start.env["SLACK_APP_TOKEN"] = "xapp-1-unused";
    start.env["SLACK_BOT_TOKEN"] = "xoxb-unused";
    start.env["SLACK_API_URL"] = "http://127.0.0.1:9/api/";  // never reached
    const auto result = test::run_process({OPSBOT_BINARY, {}, start.env, "", "", 60});
    check_refused(result, "is not a database", start.db_path, "restore it from a backup");
}

TEST_CASE("database errors: a full file system", "[database][e2e]") {
    Start start;
    // A file size limit of 1 KiB: SQLite's first page write comes up short,
    // as on a full disk (SQLITE_FULL). SIGXFSZ ignored, so write() says so.
    const auto result = start.console(
        "/bin/sh", {"-c", "trap '' XFSZ; ulimit -f 2; exec \"$0\" console", OPSBOT_BINARY});
    check_refused(result, "disk full", start.db_path, "free space on its file system");
}

TEST_CASE("database errors: a folder that cannot be made", "[database][e2e]") {
    Start start;
    // Its parent is a file: no one, root included, can create the database.
    start.env["OPSBOT_DB"] = start.dir.write("not-a-folder", "") + "/opsbot.db";
    check_refused(start.console(), "cannot open: check the folder exists and is writable",
                  start.env["OPSBOT_DB"], "writable");
}

TEST_CASE("database errors: a folder opsbot may not write to", "[database][e2e]") {
    Start start;
    namespace fs = std::filesystem;
    const auto folder = start.dir.path() / "readonly";
    fs::create_directories(folder);
    start.env["OPSBOT_DB"] = (folder / "opsbot.db").string();
    const auto readable = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec;
    fs::permissions(start.dir.path(), readable);
    fs::permissions(start.dir.path() / "opsbot.yaml", readable);
    fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read |
                                fs::perms::others_exec);
    // root writes anywhere: run opsbot as nobody instead, where nobody can
    // reach the binary (a checkout under a private home folder cannot).
    const std::vector<std::string> as_nobody{"--reuid=65534", "--regid=65534", "--clear-groups",
                                             OPSBOT_BINARY};
    auto with = [&](std::vector<std::string> args, std::vector<std::string> more) {
        args.insert(args.end(), more.begin(), more.end());
        return args;
    };
    const bool root = geteuid() == 0;
    if (root && start.console("/usr/bin/setpriv", with(as_nobody, {"--version"})).exit_code != 0) {
        fs::permissions(folder, fs::perms::owner_all);
        WARN("nobody cannot run " << OPSBOT_BINARY << ": the read-only case is not run here");
        return;
    }
    const auto result =
        root ? start.console("/usr/bin/setpriv", with(as_nobody, {"console"})) : start.console();
    fs::permissions(folder, fs::perms::owner_all);
    check_refused(result, "writable", (folder / "opsbot.db").string(), "writable");
}

// PostgreSQL: the same rule, with the database's name (never its password)
// and what to do.
namespace {

struct PostgresStart : Start {
    test::PostgresDatabase database;

    test::ProcessResult console_on(const std::string& conninfo) {
        env["OPSBOT_DATABASE_URL"] = conninfo;
        return console();
    }
    std::string socket() const { return test::shared_postgres_socket(); }
};

}  // namespace

TEST_CASE("database errors: PostgreSQL that does not answer", "[database][postgres][e2e]") {
    PostgresStart start;
    test::TempDir nowhere;  // a socket folder with no server in it
    const auto result =
        start.console_on("host=" + nowhere.path().string() + " user=postgres dbname=opsbot");
    check_refused(result, "PostgreSQL is down, restarting or unreachable",
                  "opsbot on a local socket as postgres",
                  "check the server and OPSBOT_DATABASE_URL");
}

TEST_CASE("database errors: PostgreSQL refuses the password", "[database][postgres][e2e]") {
    PostgresStart start;
    start.database.create_role("opsbot_password", "right-horse-battery");
    const auto result = start.console_on("postgresql://opsbot_password:wrong-staple-9173@" +
                                         test::PostgresDatabase::escaped(start.socket()) + "/" +
                                         start.database.name());
    check_refused(result, "password authentication failed",
                  start.database.name() + " on a local socket", "check OPSBOT_DATABASE_URL");
    CHECK_THAT(result.err, !Catch::Contains("wrong-staple-9173"));
}

TEST_CASE("database errors: a PostgreSQL database that does not exist",
          "[database][postgres][e2e]") {
    PostgresStart start;
    const auto result =
        start.console_on("host=" + start.socket() + " user=postgres dbname=no_such_opsbot");
    check_refused(result, "does not exist", "no_such_opsbot on a local socket",
                  "createdb -O <user> <name>");
}

TEST_CASE("database errors: a PostgreSQL role that may not create tables",
          "[database][postgres][e2e]") {
    PostgresStart start;
    start.database.create_role("opsbot_reader", "unused");
    // PostgreSQL 15: only the owner of schema public may create in it.
    const auto result = start.console_on("host=" + start.socket() +
                                         " user=opsbot_reader dbname=" + start.database.name());
    check_refused(result, "permission denied", start.database.name() + " on a local socket",
                  "GRANT CREATE, USAGE ON SCHEMA public");
    // Granted, the same database starts and is migrated.
    start.database.sql("GRANT CREATE, USAGE ON SCHEMA public TO opsbot_reader");
    const auto again = start.console_on("host=" + start.socket() +
                                        " user=opsbot_reader dbname=" + start.database.name());
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("deploy"));
}
