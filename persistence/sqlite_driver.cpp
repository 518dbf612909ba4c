#include <sqlite3.h>

#include <cerrno>
#include <utility>

#include "persistence/driver.hpp"

namespace opsbot::db::detail {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// The operator reading this message cannot see SQLite's result code, so the
// message says what happened to which file and what to do about it.
std::string describe(const std::string& path, int code, const std::string& detail) {
    const std::string file = "database " + path;
    switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return file +
                   " is locked by another process: stop the other opsbot or set OPSBOT_DB "
                   "to another file";
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return file +
                   " is not a database or is corrupt: restore it from a backup, or move it "
                   "aside to start a new one";
        case SQLITE_FULL:
            return file + ": disk full: free space on its file system and try again";
        case SQLITE_CANTOPEN:
            return file + ": cannot open: check the folder exists and is writable";
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return file + " is read-only: check the file and its folder are writable";
        case SQLITE_IOERR:
            return file + ": I/O error (" + detail + "): check the disk and the file system";
        default:
            return file + ": " + detail;
    }
}

DatabaseProblem classify(int code) {
    switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return DatabaseProblem::locked;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return DatabaseProblem::corrupt;
        case SQLITE_FULL:
            return DatabaseProblem::full;
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return DatabaseProblem::unwritable;
        case SQLITE_IOERR:
            return DatabaseProblem::io;
        default:
            return DatabaseProblem::other;
    }
}

// A full disk often reaches SQLite as an I/O error (a write past a file-size
// limit, a failed WAL or shared-memory growth): the system error tells it apart.
int full_disk_as_full(sqlite3* handle, int code) {
    if ((code & 0xff) != SQLITE_IOERR || handle == nullptr) return code;
    const auto no_space = [](int e) { return e == ENOSPC || e == EFBIG || e == EDQUOT; };
    int file_errno = 0;  // the database file's last failed call, kept by SQLite
    sqlite3_file_control(handle, "main", SQLITE_FCNTL_LAST_ERRNO, &file_errno);
    return no_space(sqlite3_system_errno(handle)) || no_space(file_errno) ? SQLITE_FULL : code;
}

[[noreturn]] void fail(const std::string& path, sqlite3* handle, int code, std::string_view doing) {
    code = full_disk_as_full(handle, code);
    const std::string detail = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(code);
    std::string message = describe(path, code, detail);
    if (!doing.empty()) message += " (while " + std::string(doing) + ")";
    throw DatabaseError(message, classify(code));
}

class SqliteStatement final : public StatementDriver {
public:
    SqliteStatement(sqlite3* db, const std::string& path, std::string_view sql)
        : db_(db), path_(path) {
        const int code =
            sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
        if (code != SQLITE_OK) fail(path, db, code, snippet(sql));
    }
    ~SqliteStatement() override { sqlite3_finalize(stmt_); }

    void bind_text(int index, std::string_view value) override {
        check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                     SQLITE_TRANSIENT));
    }
    void bind_int(int index, std::int64_t value) override {
        check_bind(sqlite3_bind_int64(stmt_, index, value));
    }
    void bind_null(int index) override { check_bind(sqlite3_bind_null(stmt_, index)); }

    bool step() override {
        const int code = sqlite3_step(stmt_);
        if (code == SQLITE_ROW) return true;
        if (code == SQLITE_DONE) {
            changes_ = sqlite3_changes64(db_);
            return false;
        }
        const std::string detail = sqlite3_errmsg(db_);
        const std::string sql = sqlite3_sql(stmt_);
        // Reset so the statement can be used again after a failed step.
        sqlite3_reset(stmt_);
        const int kind = full_disk_as_full(db_, code);
        throw DatabaseError(describe(path_, kind, detail) + " (while " + snippet(sql) + ")",
                            classify(kind));
    }
    void reset() override {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    std::string column_text(int index) const override {
        const auto* text = sqlite3_column_text(stmt_, index);
        if (text == nullptr) return {};
        // column_bytes after column_text: the length of the UTF-8 form just made.
        const int size = sqlite3_column_bytes(stmt_, index);
        return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
    }
    std::int64_t column_int(int index) const override { return sqlite3_column_int64(stmt_, index); }
    bool column_is_null(int index) const override {
        return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
    }
    std::int64_t changes() const override { return changes_; }

private:
    void check_bind(int code) const {
        if (code != SQLITE_OK) fail(path_, db_, code, "binding a parameter");
    }

    sqlite3* db_;
    const std::string& path_;
    sqlite3_stmt* stmt_ = nullptr;
    std::int64_t changes_ = 0;
};

class SqliteConnection final : public ConnectionDriver {
public:
    explicit SqliteConnection(const std::string& path) : path_(path) {
        constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
        const int code = sqlite3_open_v2(path.c_str(), &db_, kFlags, nullptr);
        if (code != SQLITE_OK) {
            // sqlite3_open_v2 hands back a handle even on failure; it must be closed.
            const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
            const int kind = full_disk_as_full(db_, code);
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw DatabaseError(describe(path, kind, detail), classify(kind));
        }
        sqlite3_extended_result_codes(db_, 1);
        try {
            configure();
        } catch (...) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }
    ~SqliteConnection() override { sqlite3_close_v2(db_); }

    Backend backend() const override { return Backend::sqlite; }
    void exec(std::string_view sql) override {
        const std::string text(sql);
        const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
        if (code != SQLITE_OK) fail(path_, db_, code, snippet(text));
    }
    std::unique_ptr<StatementDriver> prepare(std::string_view sql) override {
        return std::make_unique<SqliteStatement>(db_, path_, sql);
    }
    // SQLite has one write lock for the whole database: every write
    // transaction takes it up front, which serializes whatever `what` names.
    void begin(Serialize /*what*/) override { exec("BEGIN IMMEDIATE"); }
    void commit() override { exec("COMMIT"); }
    void rollback() noexcept override {
        // A failed rollback leaves nothing more to undo, and SQLite rolls
        // back by itself when the connection closes.
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    bool usable() override { return true; }
    sqlite3* sqlite_handle() override { return db_; }

private:
    void configure() {
        sqlite3_busy_timeout(db_, kBusyTimeoutMs);
        const bool memory = path_ == ":memory:" || path_.empty();
        // A garbage file opens fine; the first read of its header is what
        // fails, and that happens here, so the error names the file.
        if (!memory) exec("PRAGMA journal_mode=WAL");
        // WAL with NORMAL loses no committed transaction on a process crash
        // (kill -9), only possibly the last ones on a power loss.
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=ON");
        // Pages read through a memory map instead of a read() each: fewer
        // system calls when another connection's commit invalidates the cache.
        if (!memory) exec("PRAGMA mmap_size=268435456");
    }

    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<ConnectionDriver> open_sqlite(const std::string& path) {
    return std::make_unique<SqliteConnection>(path);
}

}  // namespace opsbot::db::detail
