#include "tests/support/postgres_cluster.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace opsbot::test {
namespace {

namespace fs = std::filesystem;

std::string bin_dir() {
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
        const auto bin = entry.path() / "bin";
        if (fs::exists(bin / "initdb")) return bin.string();
    }
    throw std::runtime_error(
        "no PostgreSQL server under /usr/lib/postgresql: run scripts/bootstrap.sh");
}

bool root() {
    return ::geteuid() == 0;
}

// As the postgres user when root: initdb and the server refuse root.
ProcessResult run_server_tool(const std::string& tool, std::vector<std::string> args) {
    ProcessSpec spec;
    spec.env = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C.UTF-8"}};
    if (root()) {
        spec.program = "/usr/sbin/runuser";
        spec.args = {"-u", "postgres", "--", bin_dir() + "/" + tool};
    } else {
        spec.program = bin_dir() + "/" + tool;
    }
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.timeout_seconds = 60;
    return run_process(spec);
}

void check(const ProcessResult& result, const std::string& what) {
    if (result.exit_code != 0)
        throw std::runtime_error(what + " failed (" + std::to_string(result.exit_code) +
                                 "): " + result.err + result.out);
}

void run_psql(const std::string& socket, const std::string& dbname, const std::string& statement) {
    const auto result = run_process({.program = "/usr/bin/psql",
                                     .args = {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket,
                                              "-U", "postgres", "-d", dbname, "-c", statement},
                                     .env = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C.UTF-8"}}});
    check(result, "psql");
}

void give_to_postgres(const std::string& folder) {
    if (!root()) return;
    ProcessSpec spec{.program = "/bin/chown", .args = {"-R", "postgres:postgres", folder}};
    check(run_process(spec), "chown " + folder);
}

}  // namespace

PostgresCluster::PostgresCluster(std::string folder, Durability durability)
    : folder_(std::move(folder)), durability_(durability) {
    stop_postgres_cluster(folder_);
    fs::create_directories(folder_);
    give_to_postgres(folder_);
    check(run_server_tool("initdb", {"-D", folder_ + "/data", "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"}),
          "initdb");
    // One role needs a password, for the tests of a refused login.
    const std::string hba = "local all opsbot_password scram-sha-256\nlocal all all trust\n";
    check(run_process({.program = "/bin/sh",
                       .args = {"-c", "printf '" + hba + "' > " + folder_ + "/data/pg_hba.conf"}}),
          "pg_hba.conf");
    give_to_postgres(folder_);
    start();
}

PostgresCluster::~PostgresCluster() {
    if (keep_) return;
    try {
        stop_postgres_cluster(folder_);
    } catch (...) {
        // A test's failure says more than a failed clean-up.
    }
}

void PostgresCluster::pg_ctl(const std::string& action, bool wait) const {
    std::vector<std::string> args = {action, "-D", folder_ + "/data", "-l", folder_ + "/log"};
    if (action != "stop") {
        // No TCP at all; fsync off: a test cluster need not survive a power loss.
        args.insert(args.end(), {"-o", "-k " + folder_ +
                                           " -c listen_addresses= -c fsync=off -c "
                                           "synchronous_commit=off -c full_page_writes=off -c "
                                           "max_connections=300"});
    }
    if (action != "start") args.insert(args.end(), {"-m", "fast"});
    args.push_back(wait ? "-w" : "-W");
    check(run_server_tool("pg_ctl", args), "pg_ctl " + action);
}

void PostgresCluster::start() {
    pg_ctl("start");
    running_ = true;
}

void PostgresCluster::stop() {
    pg_ctl("stop");
    running_ = false;
}

void PostgresCluster::restart() {
    pg_ctl("restart");
    running_ = true;
}

std::string PostgresCluster::conninfo(const std::string& dbname, const std::string& user) const {
    return "host=" + folder_ + " user=" + user + " dbname=" + dbname;
}

void PostgresCluster::sql(const std::string& statement, const std::string& dbname) const {
    run_psql(folder_, dbname, statement);
}

void stop_postgres_cluster(const std::string& folder) {
    std::error_code ec;
    if (fs::exists(folder + "/data/postmaster.pid", ec))
        run_server_tool("pg_ctl", {"stop", "-D", folder + "/data", "-m", "immediate", "-w"});
    fs::remove_all(folder, ec);
}

namespace {

std::string random_suffix() {
    static std::atomic<int> counter{0};
    std::random_device device;
    return std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
           std::to_string(device() % 100000);
}

struct SharedCluster {
    std::once_flag once;
    std::string socket;
    std::unique_ptr<PostgresCluster> own;
};

SharedCluster& shared() {
    static SharedCluster cluster;
    std::call_once(cluster.once, [] {
        if (const char* dir = std::getenv("OPSBOT_TEST_POSTGRES"); dir != nullptr && *dir) {
            cluster.socket = dir;
            return;
        }
        cluster.own = std::make_unique<PostgresCluster>("/tmp/opsbot-pg-" + random_suffix());
        cluster.socket = cluster.own->socket_dir();
    });
    return cluster;
}

}  // namespace

std::string shared_postgres_socket() {
    return shared().socket;
}

PostgresDatabase::PostgresDatabase() : name_("t_" + random_suffix()) {
    conninfo_ = "host=" + shared_postgres_socket() + " user=postgres dbname=" + name_;
    check(run_process({.program = "/usr/bin/createdb",
                       .args = {"-h", shared_postgres_socket(), "-U", "postgres", name_},
                       .env = {{"PATH", "/usr/bin:/bin"}}}),
          "createdb " + name_);
}

PostgresDatabase::~PostgresDatabase() {
    run_process({.program = "/usr/bin/psql",
                 .args = {"-X", "-q", "-h", shared_postgres_socket(), "-U", "postgres", "-d",
                          "postgres", "-c", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"},
                 .env = {{"PATH", "/usr/bin:/bin"}}});
}

void PostgresDatabase::sql(const std::string& statement) const {
    run_psql(shared_postgres_socket(), name_, statement);
}

void PostgresDatabase::create_role(const std::string& role, const std::string& password,
                                   bool may_create) const {
    sql("DO $$ BEGIN CREATE ROLE " + role + " LOGIN PASSWORD '" + password +
        "'; EXCEPTION WHEN OTHERS THEN NULL; END $$");
    if (may_create) sql("GRANT CREATE, USAGE ON SCHEMA public TO " + role);
}

std::string PostgresDatabase::escaped(const std::string& socket) {
    std::string out;
    for (const char c : socket) out += c == '/' ? std::string("%2F") : std::string(1, c);
    return out;
}

std::string PostgresDatabase::url() const {
    return "postgresql://postgres@" + escaped(shared_postgres_socket()) + "/" + name_;
}

}  // namespace opsbot::test
