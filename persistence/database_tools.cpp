#include "persistence/database_tools.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

namespace opsbot::db {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;
constexpr int kPagesPerStep = 256;
constexpr auto kBusyPause = std::chrono::milliseconds(50);

struct Closer {
    void operator()(sqlite3* handle) const { sqlite3_close_v2(handle); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

Result<Handle> open(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Handle handle(raw);
    if (code != SQLITE_OK)
        return Error{"backup_failed",
                     "cannot open " + path + ": " +
                         (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(code)),
                     "check the path and its folder's permissions"};
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    return handle;
}

Error failed(const std::string& what, sqlite3* handle, const std::string& hint) {
    return Error{"backup_failed", what + ": " + sqlite3_errmsg(handle), hint};
}

// Every page in steps, waiting out the moments another connection holds a lock.
Status copy_pages(sqlite3* from, sqlite3* to, BackupSummary& summary) {
    sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
    if (backup == nullptr) return failed("cannot start the backup", to, "");
    int code = SQLITE_OK;
    do {
        code = sqlite3_backup_step(backup, kPagesPerStep);
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) std::this_thread::sleep_for(kBusyPause);
    } while (code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED);
    summary.pages = sqlite3_backup_pagecount(backup);
    sqlite3_backup_finish(backup);
    if (code != SQLITE_DONE)
        return Error{"backup_failed", std::string("the backup stopped: ") + sqlite3_errstr(code),
                     "check the free space and permissions where the copy goes"};
    return success();
}

Status quick_check(sqlite3* handle, const std::string& path, BackupSummary& summary) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(handle, "PRAGMA quick_check", -1, &raw, nullptr) != SQLITE_OK)
        return failed("cannot check the copy " + path, handle, "");
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    std::string verdict;
    if (sqlite3_step(raw) == SQLITE_ROW)
        verdict = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    if (verdict != "ok")
        return Error{"backup_failed", "the copy " + path + " does not pass quick_check: " + verdict,
                     "run opsbot doctor on the source database"};
    sqlite3_stmt* size = nullptr;
    sqlite3_prepare_v2(handle, "PRAGMA page_size", -1, &size, nullptr);
    if (size != nullptr && sqlite3_step(size) == SQLITE_ROW)
        summary.page_size = sqlite3_column_int(size, 0);
    sqlite3_finalize(size);
    return success();
}

Result<BackupSummary> copy_into(const std::string& source, const std::string& partial) {
    BackupSummary summary;
    auto from = open(source, SQLITE_OPEN_READONLY);
    if (!from.ok()) return from.error();
    {
        auto to = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        if (!to.ok()) return to.error();
        if (auto copied = copy_pages(from.value().get(), to.value().get(), summary); !copied.ok())
            return copied.error();
        // The copy stands alone: no -wal file beside it to carry along.
        sqlite3_exec(to.value().get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
        if (auto checked = quick_check(to.value().get(), partial, summary); !checked.ok())
            return checked.error();
    }
    return summary;
}

}  // namespace

Result<BackupSummary> backup_database(const std::string& source, const std::string& target,
                                      bool overwrite) {
    std::error_code ec;
    if (!fs::is_regular_file(source, ec))
        return Error{"backup_no_source", "no database at " + source,
                     "set OPSBOT_DB to the database opsbot runs on"};
    if (fs::exists(target, ec) && !overwrite)
        return Error{"backup_target_exists", target + " already exists",
                     "choose another file, or pass --force to replace it"};
    if (fs::exists(target, ec) && fs::equivalent(source, target, ec))
        return Error{"backup_failed", "the copy cannot replace the database itself",
                     "choose another file"};
    const std::string partial = target + ".partial";
    fs::remove(partial, ec);
    auto summary = copy_into(source, partial);
    if (!summary.ok()) {
        fs::remove(partial, ec);
        return summary.error();
    }
    fs::rename(partial, target, ec);
    if (ec) {
        fs::remove(partial, ec);
        return Error{"backup_failed", "cannot move the copy to " + target + ": " + ec.message(),
                     "check the folder's permissions"};
    }
    summary.value().bytes = fs::file_size(target, ec);
    return summary;
}

std::string sqlite_version() {
    return sqlite3_libversion();
}

void check_writable(Database& db) {
    // A write that changes nothing, rolled back: SQLite takes its write lock,
    // PostgreSQL checks the role may write opsbot's tables.
    Transaction transaction(db);
    if (db.backend() == Backend::postgresql) db.exec("UPDATE opsbot_schema SET version = version");
}

std::string postgres_client_version() {
    const int version = PQlibVersion();
    return std::to_string(version / 10000) + "." + std::to_string(version % 10000);
}

}  // namespace opsbot::db
