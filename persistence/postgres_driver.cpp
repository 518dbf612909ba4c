#include <libpq-fe.h>

#include <charconv>
#include <unordered_map>
#include <vector>

#include "persistence/driver.hpp"

namespace opsbot::db::detail {
namespace {

struct ResultFree {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

// Over TCP, keepalives and a user timeout turn a server that vanished (a
// partition, a dead host) into an error within seconds instead of a
// statement that waits forever. On the server, a transaction left open by a
// stalled client ends after a minute, and nobody waits more than 30 s for a
// lock (the audit chain's included).
constexpr std::pair<const char*, const char*> kConnectionDefaults[] = {
    {"connect_timeout", "5"},
    {"application_name", "opsbot"},
    {"client_encoding", "UTF8"},
    {"keepalives", "1"},
    {"keepalives_idle", "10"},
    {"keepalives_interval", "5"},
    {"keepalives_count", "3"},
    {"tcp_user_timeout", "20000"},
    {"options", "-c idle_in_transaction_session_timeout=60000 -c lock_timeout=30000"},
};

// The first key of pg_advisory_xact_lock(int, int): "opsb", so that opsbot's
// advisory locks never meet another application's in a shared database.
constexpr int kAdvisoryClass = 0x6f707362;

DatabaseProblem classify_state(std::string_view state) {
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03")
        return DatabaseProblem::unreachable;
    if (state.starts_with("28")) return DatabaseProblem::refused;
    if (state == "3D000") return DatabaseProblem::missing;
    if (state == "42501") return DatabaseProblem::no_permission;
    if (state == "53100") return DatabaseProblem::full;
    if (state == "40001" || state == "40P01" || state == "55P03") return DatabaseProblem::locked;
    return DatabaseProblem::other;
}

// A connection attempt fails before any SQLSTATE exists: libpq's text is all
// there is to tell a refused password from a server that is down.
DatabaseProblem classify_connect(const std::string& message) {
    const auto has = [&](std::string_view text) { return message.find(text) != std::string::npos; };
    if (has("password authentication failed") || has("no password supplied") ||
        has("authentication failed") || (has("role \"") && has("does not exist")))
        return DatabaseProblem::refused;
    if (has("database \"") && has("does not exist")) return DatabaseProblem::missing;
    if (has("permission denied")) return DatabaseProblem::no_permission;
    return DatabaseProblem::unreachable;
}

std::string advice(DatabaseProblem problem) {
    switch (problem) {
        case DatabaseProblem::unreachable:
            return "PostgreSQL is down, restarting or unreachable: check the server and "
                   "OPSBOT_DATABASE_URL; a running opsbot reconnects by itself";
        case DatabaseProblem::refused:
            return "PostgreSQL refused the user or password: check OPSBOT_DATABASE_URL "
                   "(or PGPASSWORD, ~/.pgpass)";
        case DatabaseProblem::missing:
            return "the database does not exist: create it (createdb -O <user> <name>) or fix "
                   "OPSBOT_DATABASE_URL";
        case DatabaseProblem::no_permission:
            return "the role lacks a permission opsbot needs: make it the database's owner, or "
                   "GRANT CREATE, USAGE ON SCHEMA public to it";
        case DatabaseProblem::full:
            return "PostgreSQL's disk is full: free space on the database server";
        case DatabaseProblem::locked:
            return "a concurrent transaction got in the way: try again";
        default:
            return "";
    }
}

std::string trimmed(const char* text) {
    // libpq's messages run over several lines (DETAIL, HINT, a tab-indented
    // second line): one line is enough for a log or a chat reply.
    std::string out;
    for (const char* c = text != nullptr ? text : ""; *c != '\0'; ++c) {
        const bool blank = *c == '\n' || *c == '\t' || *c == ' ';
        if (blank && (out.empty() || out.back() == ' ')) continue;
        out += blank ? ' ' : *c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

[[noreturn]] void raise(const std::string& name, std::string message, DatabaseProblem problem,
                        std::string_view doing) {
    std::string text = "database " + name + ": " + message;
    if (const auto hint = advice(problem); !hint.empty()) text += ": " + hint;
    if (!doing.empty()) text += " (while " + std::string(doing) + ")";
    throw DatabaseError(text, problem);
}

// `?` placeholders become `$1`, `$2`…; quoted text and comments are left alone.
std::string numbered_parameters(std::string_view sql, int& count) {
    std::string out;
    out.reserve(sql.size() + 16);
    count = 0;
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote != 0) {
            out += c;
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const auto end = sql.find('\n', i);
            const auto stop = end == std::string_view::npos ? sql.size() : end;
            out.append(sql.substr(i, stop - i));
            i = stop - 1;
        } else if (c == '?') {
            out += '$' + std::to_string(++count);
        } else {
            out += c;
        }
    }
    return out;
}

class PgConnection;

class PgStatement final : public StatementDriver {
public:
    PgStatement(PgConnection& connection, const std::string& name, int count, std::string sql)
        : connection_(connection),
          name_(name),
          sql_(std::move(sql)),
          values_(static_cast<std::size_t>(count)),
          present_(static_cast<std::size_t>(count), false) {}

    void bind_text(int index, std::string_view value) override {
        // libpq sends text parameters up to their first NUL: refuse rather
        // than store a cut text.
        if (value.find('\0') != std::string_view::npos)
            throw DatabaseError("a text with a NUL byte cannot be stored in PostgreSQL (while " +
                                snippet(sql_) + ")");
        slot(index) = std::string(value);
        present_[static_cast<std::size_t>(index - 1)] = true;
    }
    void bind_int(int index, std::int64_t value) override {
        bind_text(index, std::to_string(value));
    }
    void bind_null(int index) override {
        slot(index).clear();
        present_[static_cast<std::size_t>(index - 1)] = false;
    }
    bool step() override;
    void reset() override {
        result_.reset();
        ran_ = false;
        row_ = -1;
        rows_ = 0;
        for (std::size_t i = 0; i < values_.size(); ++i) bind_null(static_cast<int>(i) + 1);
    }
    std::string column_text(int index) const override {
        const char* value = PQgetvalue(result_.get(), row_, index);
        return std::string(value,
                           static_cast<std::size_t>(PQgetlength(result_.get(), row_, index)));
    }
    std::int64_t column_int(int index) const override {
        const char* value = PQgetvalue(result_.get(), row_, index);
        const auto length = static_cast<std::size_t>(PQgetlength(result_.get(), row_, index));
        if (length == 1 && (value[0] == 't' || value[0] == 'f')) return value[0] == 't';
        std::int64_t out = 0;
        std::from_chars(value, value + length, out);
        return out;
    }
    bool column_is_null(int index) const override {
        return PQgetisnull(result_.get(), row_, index) == 1;
    }
    std::int64_t changes() const override { return changes_; }

private:
    std::string& slot(int index) {
        if (index < 1 || index > static_cast<int>(values_.size()))
            throw DatabaseError("parameter " + std::to_string(index) + " is out of range in " +
                                snippet(sql_));
        return values_[static_cast<std::size_t>(index - 1)];
    }

    PgConnection& connection_;
    const std::string& name_;
    std::string sql_;
    std::vector<std::string> values_;
    std::vector<bool> present_;
    PgResult result_;
    bool ran_ = false;
    int row_ = -1;
    int rows_ = 0;
    std::int64_t changes_ = 0;
};

class PgConnection final : public ConnectionDriver {
public:
    PgConnection(const std::string& conninfo, const std::string& name) : name_(name) {
        // Ours first, so that the connection string's own settings win.
        std::vector<const char*> keys, values;
        for (const auto& [key, value] : kConnectionDefaults) {
            keys.push_back(key);
            values.push_back(value);
        }
        keys.insert(keys.end(), {"dbname", nullptr});
        values.insert(values.end(), {conninfo.c_str(), nullptr});
        conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
        if (conn_ == nullptr) throw DatabaseError("database " + name_ + ": out of memory");
        if (PQstatus(conn_) != CONNECTION_OK) {
            const auto message = trimmed(PQerrorMessage(conn_));
            PQfinish(conn_);
            conn_ = nullptr;
            raise(name_, message, classify_connect(message), "");
        }
        // Notices ("relation already exists, skipping") are not errors.
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
    }
    ~PgConnection() override { PQfinish(conn_); }

    Backend backend() const override { return Backend::postgresql; }

    void exec(std::string_view sql) override {
        const std::string text(sql);
        check(PgResult(PQexec(conn_, text.c_str())), snippet(text));
    }

    std::unique_ptr<StatementDriver> prepare(std::string_view sql) override {
        auto found = prepared_.find(std::string(sql));
        if (found == prepared_.end()) {
            int count = 0;
            const auto text = numbered_parameters(sql, count);
            const std::string name = "s" + std::to_string(prepared_.size() + 1);
            check(PgResult(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr)), snippet(sql));
            found = prepared_.emplace(std::string(sql), Prepared{name, count}).first;
        }
        return std::make_unique<PgStatement>(*this, found->second.name, found->second.count,
                                             found->first);
    }

    void begin(Serialize what) override {
        if (what == Serialize::nothing) return exec("BEGIN");
        // One round trip: the lock is taken as the transaction starts.
        exec("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kAdvisoryClass) + ", " +
             std::to_string(static_cast<int>(what)) + ")");
    }
    // COMMIT of a transaction that failed earlier answers "ROLLBACK", not an
    // error: say so rather than report a commit that did not happen.
    void commit() override {
        PgResult result(PQexec(conn_, "COMMIT"));
        check(result, "COMMIT");
        if (std::string_view(PQcmdStatus(result.get())) != "COMMIT")
            raise(name_, "the transaction was rolled back by the server", DatabaseProblem::other,
                  "COMMIT");
    }
    void rollback() noexcept override {
        if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    }

    // Reads what the server sent while the connection sat idle: a restart
    // or an administrator's kill arrives as a message, then the socket closes.
    bool usable() override {
        if (PQstatus(conn_) != CONNECTION_OK) return false;
        if (PQtransactionStatus(conn_) == PQTRANS_IDLE) PQconsumeInput(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) return false;
        if (PQtransactionStatus(conn_) != PQTRANS_IDLE) rollback();
        return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
    }

    PgResult run(const std::string& name, const std::vector<std::string>& values,
                 const std::vector<bool>& present, const std::string& sql) {
        std::vector<const char*> pointers(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
            pointers[i] = present[i] ? values[i].c_str() : nullptr;
        PgResult result(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                       pointers.data(), nullptr, nullptr, 0));
        check(result, snippet(sql));
        return result;
    }

private:
    void check(const PgResult& result, std::string_view doing) {
        const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
        const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
        auto problem = state != nullptr ? classify_state(state) : DatabaseProblem::other;
        if (PQstatus(conn_) != CONNECTION_OK) problem = DatabaseProblem::unreachable;
        const auto message = trimmed(result ? PQresultErrorMessage(result.get()) : nullptr);
        raise(name_, message.empty() ? trimmed(PQerrorMessage(conn_)) : message, problem, doing);
    }

    struct Prepared {
        std::string name;
        int count = 0;
    };

    std::string name_;
    PGconn* conn_ = nullptr;
    std::unordered_map<std::string, Prepared> prepared_;
};

bool PgStatement::step() {
    if (!ran_) {
        result_ = connection_.run(name_, values_, present_, sql_);
        ran_ = true;
        rows_ = PQntuples(result_.get());
        const char* tuples = PQcmdTuples(result_.get());
        changes_ = 0;
        std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), changes_);
    }
    return ++row_ < rows_;
}

}  // namespace

std::unique_ptr<ConnectionDriver> open_postgres(const std::string& conninfo,
                                                const std::string& name) {
    return std::make_unique<PgConnection>(conninfo, name);
}

}  // namespace opsbot::db::detail
