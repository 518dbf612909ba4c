#pragma once
// What each backend implements under Database and Statement. Only
// persistence/ sees this header; stores never do.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/database.hpp"

struct sqlite3;

namespace opsbot::db::detail {

class StatementDriver {
public:
    virtual ~StatementDriver() = default;
    virtual void bind_text(int index, std::string_view value) = 0;  // 1-based
    virtual void bind_int(int index, std::int64_t value) = 0;
    virtual void bind_null(int index) = 0;
    virtual bool step() = 0;
    virtual void reset() = 0;
    virtual std::string column_text(int index) const = 0;  // 0-based
    virtual std::int64_t column_int(int index) const = 0;
    virtual bool column_is_null(int index) const = 0;
    virtual std::int64_t changes() const = 0;
};

class ConnectionDriver {
public:
    virtual ~ConnectionDriver() = default;
    virtual Backend backend() const = 0;
    virtual void exec(std::string_view sql) = 0;
    virtual std::unique_ptr<StatementDriver> prepare(std::string_view sql) = 0;
    virtual void begin(Serialize what) = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    // False once the server went away; a pool drops such a connection.
    virtual bool usable() = 0;
    virtual sqlite3* sqlite_handle() { return nullptr; }
};

std::unique_ptr<ConnectionDriver> open_sqlite(const std::string& path);
// conninfo: a postgresql:// URL or a libpq key=value string. name: how
// messages call it, without its password.
std::unique_ptr<ConnectionDriver> open_postgres(const std::string& conninfo,
                                                const std::string& name);

// The start of a statement on one line, to say in an error what was running.
std::string snippet(std::string_view sql);

}  // namespace opsbot::db::detail
