#pragma once
// Everything a running opsbot owns, built once at start-up in the order that
// lets each part depend on the one before: settings → logging → catalogue →
// database (migrated) → audit log → commands → dispatcher.

#include <iosfwd>
#include <memory>

#include "bot/dispatcher.hpp"
#include "bot/settings.hpp"
#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/intents.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"

namespace opsbot {

namespace db {
class Database;
class AuditLog;
class SqliteIntentJournal;
}  // namespace db

class App {
public:
    // Reports what prevents starting (invalid config, unusable database) on
    // err and returns null.
    static std::unique_ptr<App> start(const Settings& settings, std::ostream& err);
    ~App();

    const Settings& settings() const { return settings_; }
    const Catalogue& catalogue() const { return catalogue_; }
    AuditStore& audit();
    Metrics& metrics() { return metrics_; }
    IntentJournal& intents();
    Dispatcher& dispatcher() { return *dispatcher_; }

private:
    explicit App(const Settings& settings);

    Settings settings_;
    Catalogue catalogue_;
    SystemClock clock_;
    std::unique_ptr<db::Database> database_;
    Metrics metrics_;
    std::unique_ptr<db::AuditLog> audit_log_;
    std::unique_ptr<AuditStore> audit_;  // the log, counted for /metrics
    // Its own connection: SQLite transactions belong to a connection.
    std::unique_ptr<db::Database> intents_database_;
    std::unique_ptr<db::SqliteIntentJournal> intents_;
    CommandRegistry registry_;
    std::unique_ptr<Dispatcher> dispatcher_;
};

// Opens the database at path (creating its folder), migrates it, and returns
// it; throws db::DatabaseError with a message for the operator.
std::unique_ptr<db::Database> open_database(const std::string& path);

}  // namespace opsbot
