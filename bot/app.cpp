#include "bot/app.hpp"

#include <filesystem>
#include <ostream>

#include <spdlog/spdlog.h>

#include "bot/metered_audit.hpp"
#include "commands/builtin_commands.hpp"
#include "core/config_loader.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/database.hpp"
#include "persistence/intent_journal.hpp"
#include "persistence/migrations.hpp"

namespace opsbot {

App::App(const Settings& settings) : settings_(settings) {}
App::~App() = default;

AuditStore& App::audit() {
    return *audit_;
}
IntentJournal& App::intents() {
    return *intents_;
}

std::unique_ptr<db::Database> open_database(const std::string& path) {
    const auto folder = std::filesystem::path(path).parent_path();
    std::error_code ignored;
    if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
    auto database = std::make_unique<db::Database>(path);
    db::migrate(*database);
    return database;
}

std::unique_ptr<App> App::start(const Settings& settings, std::ostream& err) {
    std::unique_ptr<App> app(new App(settings));
    auto loaded = load_catalogue_file(settings.config_path);
    if (!loaded.ok()) {
        err << format_problems(loaded.problems)
            << "opsbot will not start with an invalid catalogue; fix the lines above "
               "(opsbot check-config shows them again).\n";
        return nullptr;
    }
    app->catalogue_ = std::move(loaded.catalogue);
    try {
        app->database_ = open_database(settings.database_path);
        app->intents_database_ = std::make_unique<db::Database>(settings.database_path);
    } catch (const db::DatabaseError& e) {
        err << "opsbot: " << e.what() << "\n";
        return nullptr;
    }
    describe_standard_metrics(app->metrics_);
    app->audit_log_ = std::make_unique<db::AuditLog>(*app->database_, app->clock_);
    app->audit_ = std::make_unique<MeteredAuditStore>(*app->audit_log_, app->metrics_);
    app->intents_ = std::make_unique<db::SqliteIntentJournal>(*app->intents_database_);
    commands::register_builtin_commands(app->registry_);
    app->dispatcher_ = std::make_unique<Dispatcher>(app->registry_, app->catalogue_, *app->audit_,
                                                    app->clock_, app->intents_.get());
    spdlog::info("opsbot ready: {} project(s), {} role(s), database {}",
                 app->catalogue_.projects.size(), app->catalogue_.roles.size(),
                 settings.database_path);
    return app;
}

}  // namespace opsbot
