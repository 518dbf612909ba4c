#include "persistence/database_copy.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "persistence/audit_log.hpp"
#include "persistence/migrations.hpp"

namespace opsbot::db {
namespace {

struct SourceTable {
    std::string name;
    std::vector<std::string> columns;
    std::string order_by;  // the primary key's columns, or SQLite's rowid
};

std::string identifier(std::string_view name) {
    std::string out = "\"";
    for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string joined(const std::vector<std::string>& names, std::string_view separator) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : std::string(separator)) + name;
    return out;
}

// Columns in declaration order; the order key from the primary key's columns.
SourceTable describe_table(Database& source, std::string name) {
    SourceTable table{.name = std::move(name), .columns = {}, .order_by = {}};
    auto info = source.prepare("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid");
    info.bind(1, table.name);
    std::map<std::int64_t, std::string> key;
    while (info.step()) {
        table.columns.push_back(identifier(info.column_text(0)));
        if (info.column_int(1) > 0) key[info.column_int(1)] = table.columns.back();
    }
    std::vector<std::string> key_columns;
    for (const auto& [position, column] : key) key_columns.push_back(column);
    table.order_by = key_columns.empty() ? "rowid" : joined(key_columns, ", ");
    return table;
}

// opsbot's tables in the order the migrations made them, which is an order
// PostgreSQL's foreign keys accept (the same migrations made them there);
// SQLite's own tables (sqlite_sequence, sqlite_stat1) are skipped.
std::vector<SourceTable> source_tables(Database& source) {
    auto list = source.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY rowid");
    std::vector<std::string> names;
    while (list.step()) names.push_back(list.column_text(0));
    std::vector<SourceTable> tables;
    for (auto& name : names) tables.push_back(describe_table(source, std::move(name)));
    return tables;
}

bool target_has_table(Database& target, const std::string& table) {
    auto exists = target.prepare("SELECT to_regclass(?) IS NOT NULL");
    exists.bind(1, identifier(table));
    return exists.step() && exists.column_int(0) != 0;
}

// The first of opsbot's tables that already holds a row in target, if any.
std::optional<std::string> first_filled_table(Database& target,
                                              const std::vector<SourceTable>& tables) {
    for (const auto& table : tables) {
        if (!target_has_table(target, table.name)) continue;
        auto any = target.prepare("SELECT EXISTS (SELECT 1 FROM " + identifier(table.name) + ")");
        if (any.step() && any.column_int(0) != 0) return table.name;
    }
    return std::nullopt;
}

// Every value goes as text (or NULL): SQLite gives integers as their digits,
// and PostgreSQL reads each parameter as its column's type.
std::int64_t copy_rows(Database& source, Database& target, const SourceTable& table) {
    const std::string columns = joined(table.columns, ", ");
    auto read = source.prepare("SELECT " + columns + " FROM " + identifier(table.name) +
                               " ORDER BY " + table.order_by);
    const std::vector<std::string> marks(table.columns.size(), "?");
    auto write = target.prepare("INSERT INTO " + identifier(table.name) + " (" + columns +
                                ") VALUES (" + joined(marks, ", ") + ")");
    std::int64_t rows = 0;
    while (read.step()) {
        write.reset();
        for (std::size_t i = 0; i < table.columns.size(); ++i) {
            const int column = static_cast<int>(i);
            if (read.column_is_null(column))
                write.bind_null(column + 1);
            else
                write.bind(column + 1, read.column_text(column));
        }
        write.run();
        ++rows;
    }
    return rows;
}

// The highest id SQLite ever handed out for an AUTOINCREMENT table, which may
// be above the highest row left: ids are never reused, on either backend.
std::int64_t sqlite_sequence(Database& source, const std::string& table) {
    auto has = source.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'");
    if (!has.step() || has.column_int(0) == 0) return 0;
    auto seq = source.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?");
    seq.bind(1, table);
    return seq.step() ? seq.column_int(0) : 0;
}

// Explicit ids leave an identity's sequence where it was: move it past them,
// so the next row PostgreSQL numbers continues after the copied ones.
void continue_identities(Database& source, Database& target, const std::string& table) {
    auto identities = target.prepare(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 "
        "AND attidentity <> ''");
    identities.bind(1, identifier(table));
    std::vector<std::string> columns;
    while (identities.step()) columns.push_back(identities.column_text(0));
    for (const auto& column : columns) {
        auto highest = target.prepare("SELECT coalesce(max(" + identifier(column) + "), 0) FROM " +
                                      identifier(table));
        const std::int64_t copied = highest.step() ? highest.column_int(0) : 0;
        const std::int64_t last = std::max(copied, sqlite_sequence(source, table));
        if (last == 0) continue;  // nothing numbered yet: the sequence starts at 1
        auto set = target.prepare("SELECT setval(pg_get_serial_sequence(?, ?), ?)");
        set.bind(1, identifier(table)).bind(2, column).bind(3, last);
        set.step();
    }
}

Error not_empty(const std::string& table) {
    return Error{"copy_target_not_empty",
                 "the target already holds an opsbot database; migrate-db only fills an empty one",
                 "its table " + table +
                     " has rows: nothing was copied; point --to at a new, empty database "
                     "(createdb -O <role> <name>)"};
}

Result<std::vector<TableCopy>> copy_tables(Database& source, Database& target,
                                           const std::vector<SourceTable>& tables) {
    // A snapshot of the source, and nothing of the copy visible until it is whole.
    Transaction reading(source);
    Transaction writing(target, Serialize::schema);
    if (const auto filled = first_filled_table(target, tables)) return not_empty(*filled);
    std::vector<TableCopy> copied;
    for (const auto& table : tables) {
        copied.push_back({table.name, copy_rows(source, target, table)});
        continue_identities(source, target, table.name);
    }
    writing.commit();
    return copied;
}

std::int64_t rows_of(const std::vector<TableCopy>& tables, std::string_view name) {
    const auto found = std::find_if(tables.begin(), tables.end(),
                                    [name](const TableCopy& t) { return t.table == name; });
    return found == tables.end() ? 0 : found->rows;
}

}  // namespace

Result<CopySummary> copy_database(Database& source, Database& target, const Clock& clock) {
    try {
        migrate(source);
        const auto source_chain = AuditLog(source, clock).verify();
        if (!source_chain.ok)
            return Error{"copy_source_chain_broken",
                         "the audit chain of " + source.path() + " is broken at row " +
                             std::to_string(source_chain.first_bad_row.value_or(0)) + ": " +
                             source_chain.problem,
                         "nothing was copied; see opsbot audit verify"};
        const auto tables = source_tables(source);
        // Before migrating: no tables made in a database that is someone else's.
        if (const auto filled = first_filled_table(target, tables)) return not_empty(*filled);
        migrate(target);
        auto copied = copy_tables(source, target, tables);
        if (!copied.ok()) return copied.error();
        CopySummary summary{.tables = std::move(copied).value(),
                            .audit_rows = 0,
                            .schema_version = schema_version(target)};
        const auto chain = AuditLog(target, clock).verify();
        const std::int64_t expected = rows_of(summary.tables, "audit_log");
        if (!chain.ok || chain.rows_checked != expected)
            return Error{"copy_verify_failed",
                         "the copy's audit chain does not verify: " +
                             (chain.ok ? std::to_string(chain.rows_checked) + " row(s) of " +
                                             std::to_string(expected)
                                       : "row " + std::to_string(chain.first_bad_row.value_or(0)) +
                                             ": " + chain.problem),
                         "report this; the SQLite database is unchanged"};
        summary.audit_rows = chain.rows_checked;
        return summary;
    } catch (const DatabaseError& e) {
        return Error{"copy_failed", e.what(),
                     "nothing was committed to the target; fix the cause and run migrate-db again"};
    }
}

Result<CopySummary> copy_sqlite_to(const std::string& sqlite_path, const StorageTarget& target,
                                   const Clock& clock) {
    std::error_code ec;
    if (is_memory_database(sqlite_path) || !std::filesystem::is_regular_file(sqlite_path, ec))
        return Error{"copy_no_source", "no SQLite database at " + sqlite_path,
                     "set OPSBOT_DB to the database opsbot ran on"};
    if (target.backend != Backend::postgresql)
        return Error{"copy_bad_target", "migrate-db copies into PostgreSQL",
                     "pass --to postgresql://user@host/db or a libpq string (host=… dbname=…)"};
    try {
        Database source(sqlite_path);
        const auto destination = connect(target);
        return copy_database(source, *destination, clock);
    } catch (const DatabaseError& e) {
        return Error{"copy_failed", e.what(), "check --to, the server and the role"};
    }
}

}  // namespace opsbot::db
