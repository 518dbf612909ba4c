#pragma once
// A real, throw-away PostgreSQL cluster for tests: initdb and pg_ctl from
// Debian's postgresql package, listening only on a Unix socket in its own
// folder (never a TCP port). As root, the server runs as the postgres user,
// since initdb refuses root.

#include <string>

namespace opsbot::test {

class PostgresCluster {
public:
    // Tests skip fsync (a test cluster need not survive a power loss); a
    // benchmark measures PostgreSQL as it runs in production.
    enum class Durability { tests, production };
    // Makes and starts a cluster in folder (created; wiped if left over).
    explicit PostgresCluster(std::string folder, Durability durability = Durability::tests);
    // Stops the server and removes the folder, unless kept.
    ~PostgresCluster();
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    // For the ctest fixture: a cluster that outlives this process.
    void keep() { keep_ = true; }
    void restart();  // pg_ctl restart -m fast: every connection is dropped
    void stop();     // pg_ctl stop -m fast
    void start();

    const std::string& socket_dir() const { return folder_; }
    // libpq's connection string for a database of this cluster.
    std::string conninfo(const std::string& dbname, const std::string& user = "postgres") const;
    // Runs SQL as the superuser; throws std::runtime_error with psql's error.
    void sql(const std::string& statement, const std::string& dbname = "postgres") const;

private:
    void pg_ctl(const std::string& action, bool wait = true) const;
    std::string folder_;
    Durability durability_;
    bool keep_ = false;
    bool running_ = false;
};

// Stops the cluster a fixture left at folder, and removes the folder.
void stop_postgres_cluster(const std::string& folder);

// The socket folder of this test run's cluster: the one the ctest fixture
// started (OPSBOT_TEST_POSTGRES), or, outside ctest, one started at first
// use and stopped when the process ends.
std::string shared_postgres_socket();

// A database of its own in the shared cluster, dropped (with whatever is
// still connected) when it goes out of scope.
class PostgresDatabase {
public:
    PostgresDatabase();
    ~PostgresDatabase();
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    const std::string& name() const { return name_; }
    // "host=<socket folder> user=postgres dbname=<name>"
    const std::string& conninfo() const { return conninfo_; }
    // The same as a postgresql:// URL, as an operator would write it.
    std::string url() const;
    // A socket folder as a URL's host: every '/' as %2F.
    static std::string escaped(const std::string& socket);
    // Runs SQL in this database as the superuser; throws on an error.
    void sql(const std::string& statement) const;
    // A login role of the cluster (made once; concurrent tests may race to
    // make it), allowed to create tables in this database when asked.
    void create_role(const std::string& role, const std::string& password,
                     bool may_create = false) const;

private:
    std::string name_;
    std::string conninfo_;
};

}  // namespace opsbot::test
