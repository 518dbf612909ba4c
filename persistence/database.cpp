#include "persistence/database.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/write_fence.hpp"
#include "persistence/driver.hpp"
#include "persistence/lease_store.hpp"

namespace opsbot::db {

namespace detail {

std::string snippet(std::string_view sql) {
    std::string text;
    for (const char c : sql) {
        const bool blank = c == ' ' || c == '\n' || c == '\r' || c == '\t';
        if (blank && (text.empty() || text.back() == ' ')) continue;
        text += blank ? ' ' : c;
        if (text.size() >= 60) return text + "...";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

}  // namespace detail

const char* to_string(Backend backend) {
    return backend == Backend::postgresql ? "PostgreSQL" : "SQLite";
}

bool is_memory_database(const std::string& path) {
    return path == ":memory:" || path.empty();
}

Statement::Statement(std::unique_ptr<detail::StatementDriver> driver)
    : driver_(std::move(driver)) {}
Statement::~Statement() = default;
Statement::Statement(Statement&& other) noexcept = default;

Statement& Statement::bind(int index, std::string_view value) {
    driver_->bind_text(index, value);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    driver_->bind_int(index, value);
    return *this;
}

Statement& Statement::bind_null(int index) {
    driver_->bind_null(index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

bool Statement::step() {
    return driver_->step();
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    driver_->reset();
}

std::int64_t Statement::changes() const {
    return driver_->changes();
}

std::string Statement::column_text(int index) const {
    return driver_->column_text(index);
}

std::int64_t Statement::column_int(int index) const {
    return driver_->column_int(index);
}

bool Statement::column_is_null(int index) const {
    return driver_->column_is_null(index);
}

Connections::Lease::~Lease() {
    if (db_ != nullptr) owner_->give_back(*db_);
}

Connections::Lease::Lease(Lease&& other) noexcept
    : owner_(other.owner_), db_(std::exchange(other.db_, nullptr)) {}

Database::Database(const std::string& path) : driver_(detail::open_sqlite(path)), name_(path) {}

Database::Database(std::unique_ptr<detail::ConnectionDriver> driver, std::string name)
    : driver_(std::move(driver)), name_(std::move(name)) {}

Database::~Database() = default;

void Database::exec(std::string_view sql) {
    driver_->exec(sql);
}

Statement Database::prepare(std::string_view sql) {
    return Statement(driver_->prepare(sql));
}

Backend Database::backend() const {
    return driver_->backend();
}

bool Database::usable() {
    return driver_->usable();
}

Connections::Lease Database::borrow() {
    lent_.lock();
    return Lease(*this, *this);
}

void Database::give_back(Database& /*db*/) noexcept {
    lent_.unlock();
}

// Singleton work writes under its lease: each of its transactions first
// checks that the lease is still its own (see core/write_fence.hpp).
Transaction::Transaction(Database& db, Serialize what) : db_(db) {
    db_.driver().begin(what);
    if (const auto* grant = WriteFence::current()) {
        try {
            check_fence(db_, *grant);
        } catch (...) {
            db_.driver().rollback();
            throw;
        }
    }
}

Transaction::~Transaction() {
    if (!done_) db_.driver().rollback();
}

void Transaction::commit() {
    db_.driver().commit();
    done_ = true;
}

namespace {

std::vector<std::string_view> split_columns(std::string_view columns) {
    std::vector<std::string_view> names;
    while (!columns.empty()) {
        const auto comma = columns.find(',');
        auto name = columns.substr(0, comma);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (!name.empty()) names.push_back(name);
        if (comma == std::string_view::npos) break;
        columns.remove_prefix(comma + 1);
    }
    return names;
}

}  // namespace

std::string upsert_sql(std::string_view table, std::string_view columns, std::string_view key) {
    const auto names = split_columns(columns);
    const auto keys = split_columns(key);
    std::string sql =
        "INSERT INTO " + std::string(table) + " (" + std::string(columns) + ") VALUES (";
    for (std::size_t i = 0; i < names.size(); ++i) sql += i == 0 ? "?" : ", ?";
    sql += ") ON CONFLICT (" + std::string(key) + ") DO UPDATE SET ";
    bool first = true;
    for (const auto name : names) {
        if (std::find(keys.begin(), keys.end(), name) != keys.end()) continue;
        sql += first ? "" : ", ";
        sql += std::string(name) + " = excluded." + std::string(name);
        first = false;
    }
    return sql;
}

std::int64_t returned_id(Statement& insert) {
    if (!insert.step()) throw DatabaseError("an INSERT … RETURNING id gave no id");
    const auto id = insert.column_int(0);
    insert.run();  // finish the statement before COMMIT
    return id;
}

void bind_time(Statement& statement, int index, const std::optional<TimePoint>& time) {
    if (time)
        statement.bind(index, format_iso8601(*time));
    else
        statement.bind_null(index);
}

std::optional<TimePoint> column_time(const Statement& row, int index) {
    if (row.column_is_null(index)) return std::nullopt;
    return parse_iso8601(row.column_text(index));
}

}  // namespace opsbot::db
