#pragma once
// One connection to opsbot's store, SQLite or PostgreSQL, behind one small
// RAII API: stores write their SQL once, with `?` parameters, and each
// backend's driver (sqlite_driver.cpp, postgres_driver.cpp) runs it. Only
// persistence/ includes this header: it is the only code that writes SQL.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace opsbot::db {

enum class Backend { sqlite, postgresql };
const char* to_string(Backend backend);

// What went wrong, for callers that pick an exit code, a doctor line or a 503.
enum class DatabaseProblem {
    other,
    locked,
    corrupt,
    full,
    unwritable,
    io,
    unreachable,    // PostgreSQL down, restarting, or the connection dropped
    refused,        // wrong user or password
    missing,        // the database does not exist
    no_permission,  // the role may not create or write the tables
    fenced,         // a write under a lease another replica has taken over
};

// Infrastructure failure. The message names the database and says what to do.
class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    DatabaseError(const std::string& message, DatabaseProblem problem)
        : std::runtime_error(message), problem_(problem) {}
    DatabaseProblem problem() const { return problem_; }

private:
    DatabaseProblem problem_ = DatabaseProblem::other;
};

// What a write transaction must not interleave with, in any process. SQLite
// takes its one database-wide write lock for every write transaction;
// PostgreSQL takes a transaction-scoped advisory lock per name.
enum class Serialize {
    nothing,      // row-level guarantees (ON CONFLICT, WHERE state = …) suffice
    audit_chain,  // read the last hash, then append
    locks,        // select the lock in the way, then write ours
    alert_inbox,  // ids must become visible in order: the relay reads past them
    schema,       // migrations, run by every replica at start-up
    runbooks,     // a step changes only while its run still runs
};

namespace detail {
class ConnectionDriver;
class StatementDriver;
}  // namespace detail

class Statement {
public:
    explicit Statement(std::unique_ptr<detail::StatementDriver> driver);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Parameters are 1-based, `?` in the SQL.
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_null(int index);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    bool step();  // true while a row is available
    void run();   // step to completion; for INSERT/UPDATE
    void reset();
    // Rows the last INSERT, UPDATE or DELETE changed, once run.
    std::int64_t changes() const;

    // Columns are 0-based.
    std::string column_text(int index) const;
    std::int64_t column_int(int index) const;
    bool column_is_null(int index) const;

private:
    std::unique_ptr<detail::StatementDriver> driver_;
};

class Database;

// Where a store gets a connection, for one transaction or one read at a time.
class Connections {
public:
    class Lease {
    public:
        Lease(Connections& owner, Database& db) : owner_(&owner), db_(&db) {}
        ~Lease();
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Database& operator*() const { return *db_; }
        Database* operator->() const { return db_; }

    private:
        Connections* owner_;
        Database* db_;
    };

    virtual ~Connections() = default;
    virtual Lease borrow() = 0;
    virtual Backend backend() const = 0;

protected:
    virtual void give_back(Database& db) noexcept = 0;
};

// ":memory:" (or no path): a database that lives and dies with its connection.
bool is_memory_database(const std::string& path);

// One connection. It is also the smallest pool: one connection, lent to one
// borrower at a time, which is what each SQLite store uses.
class Database final : public Connections {
public:
    // Opens (creating if needed) a SQLite file with WAL, foreign keys and a
    // busy timeout. ":memory:" works for tests.
    explicit Database(const std::string& path);
    Database(std::unique_ptr<detail::ConnectionDriver> driver, std::string name);
    ~Database() override;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);  // one or more statements, no results
    Statement prepare(std::string_view sql);
    // The file, or the PostgreSQL database without its password: for messages.
    const std::string& path() const { return name_; }
    Backend backend() const override;
    bool usable();
    detail::ConnectionDriver& driver() { return *driver_; }

    Lease borrow() override;

protected:
    void give_back(Database& db) noexcept override;

private:
    std::unique_ptr<detail::ConnectionDriver> driver_;
    std::string name_;
    std::mutex lent_;
};

// Rolls back in the destructor unless committed; the destructor never throws.
class Transaction {
public:
    explicit Transaction(Database& db, Serialize what = Serialize::nothing);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

// "INSERT INTO table (columns) VALUES (?, …) ON CONFLICT (key) DO UPDATE SET
// each other column = excluded.column": the same text on both backends.
std::string upsert_sql(std::string_view table, std::string_view columns, std::string_view key);

// Runs an INSERT … RETURNING id and gives the id.
std::int64_t returned_id(Statement& insert);

// Optional times as ISO 8601 text, NULL when absent.
void bind_time(Statement& statement, int index, const std::optional<TimePoint>& time);
std::optional<TimePoint> column_time(const Statement& row, int index);

}  // namespace opsbot::db
