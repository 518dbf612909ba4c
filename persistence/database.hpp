#pragma once
// A thin RAII layer over sqlite3. Only persistence/ includes this header:
// it is the only code that writes SQL.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/time.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace opsbot::db {

// Infrastructure failure: the database cannot be opened, is locked, full or
// corrupt. The message names the file and says what to do.
// What went wrong, for callers that pick an exit code or a doctor line.
enum class DatabaseProblem { other, locked, corrupt, full, unwritable, io };

class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    DatabaseError(const std::string& message, DatabaseProblem problem)
        : std::runtime_error(message), problem_(problem) {}
    DatabaseProblem problem() const { return problem_; }

private:
    DatabaseProblem problem_ = DatabaseProblem::other;
};

class Statement;

// ":memory:" (or no path): a database that lives and dies with its connection.
bool is_memory_database(const std::string& path);

class Database {
public:
    // Opens (creating if needed) the file, sets WAL, foreign keys and a busy
    // timeout. ":memory:" works for tests.
    explicit Database(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);  // one or more statements, no results
    Statement prepare(std::string_view sql);
    std::int64_t last_insert_rowid() const;
    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_null(int index);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    bool step();  // true while a row is available
    void run();   // step to completion; for INSERT/UPDATE
    void reset();

    std::string column_text(int index) const;
    std::int64_t column_int(int index) const;
    bool column_is_null(int index) const;

private:
    Database* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// Optional times as ISO 8601 text, NULL when absent.
void bind_time(Statement& statement, int index, const std::optional<TimePoint>& time);
std::optional<TimePoint> column_time(const Statement& row, int index);

// Rolls back in the destructor unless committed; the destructor never throws.
class Transaction {
public:
    enum class Mode { deferred, immediate };
    explicit Transaction(Database& db, Mode mode = Mode::immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace opsbot::db
