#include "bot/cli.hpp"

#include <iostream>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "adapters/http/curl_http_client.hpp"
#include "bot/app.hpp"
#include "bot/catalogue_export.hpp"
#include "bot/console.hpp"
#include "bot/doctor.hpp"
#include "bot/net/http_server.hpp"
#include "bot/slack_mode.hpp"
#include "bot/version.hpp"
#include "core/audit_query.hpp"
#include "core/config_loader.hpp"
#include "core/runbook_loader.hpp"
#include "persistence/database_copy.hpp"
#include "persistence/database_tools.hpp"
#include "persistence/storage.hpp"

namespace opsbot {
namespace {

constexpr const char* kUsage = R"(usage: opsbot [command]

  (no command)         Slack mode when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set,
                       otherwise the console
  console              read commands from the terminal or stdin, as a local user
  check-config [file]  validate the catalogue (default: $OPSBOT_CONFIG or config/opsbot.yaml)
  audit [--since 1d] [--project acme] [--actor U123] [--outcome denied] [--limit 100]
        [--json|--table|--csv]
                       print audit rows, newest first (JSON lines for log aggregators)
  audit verify         walk the audit hash chain and name the first row that does not match
  backup-db <file> [--force]
                       consistent online copy of the database ($OPSBOT_DB) into file
  migrate-db --to <postgresql://user@host/db | "host=… dbname=…">
                       copy the SQLite database ($OPSBOT_DB) into an empty PostgreSQL
                       database, audit chain included; stop opsbot first
  export-catalogue [file] [--force]
                       the catalogue with the projects added by newproject, as YAML
  doctor               check each configured service and the database; exit 1 if any fails
  healthcheck          GET /healthz on OPSBOT_LISTEN; exit 0 when it answers 200 (Docker)
  version, --version   print the version and build
  help, --help         print this text

Settings come from environment variables; see config/opsbot.env.example.
)";

struct AuditCliOptions {
    AuditFilterText filter;
    AuditFormat format = AuditFormat::table;
};

// --name value, --name=value and the three format switches.
Result<AuditCliOptions> parse_audit_options(const std::vector<std::string>& args) {
    AuditCliOptions options;
    const std::map<std::string, std::string*> valued{{"--since", &options.filter.since},
                                                     {"--project", &options.filter.project},
                                                     {"--actor", &options.filter.actor},
                                                     {"--outcome", &options.filter.outcome},
                                                     {"--limit", &options.filter.limit}};
    const std::map<std::string, AuditFormat> formats{{"--json", AuditFormat::json},
                                                     {"--table", AuditFormat::table},
                                                     {"--csv", AuditFormat::csv}};
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::string value;
        const auto eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (const auto f = formats.find(name); f != formats.end()) {
            options.format = f->second;
            continue;
        }
        const auto v = valued.find(name);
        if (v == valued.end())
            return Error{"bad_option", "unknown option '" + args[i] + "'", "see opsbot help"};
        if (eq == std::string::npos) {
            if (i + 1 >= args.size()) return Error{"missing_value", name + " needs a value", ""};
            value = args[++i];
        }
        *v->second = value;
    }
    return options;
}

int check_config(const Settings& settings, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err) {
    const std::string path = args.empty() ? settings.config_path : args.front();
    const auto loaded = load_catalogue_file(path);
    if (!loaded.ok()) {
        err << format_problems(loaded.problems);
        return 2;
    }
    const auto& c = loaded.catalogue;
    const auto runbooks = load_runbooks_dir(c.runbooks_dir);
    if (!runbooks.ok()) {
        err << format_problems(runbooks.problems);
        return 2;
    }
    out << path << ": OK — " << c.projects.size() << " project(s), " << c.roles.size()
        << " role(s), " << c.members.size() << " member entr"
        << (c.members.size() == 1 ? "y" : "ies") << ", " << runbooks.runbooks.size()
        << " runbook(s)\n";
    return 0;
}

int audit_cli(const Settings& settings, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
    const bool verify = !args.empty() && args.front() == "verify";
    auto options = parse_audit_options({args.begin() + (verify ? 1 : 0), args.end()});
    if (!options) {
        err << "opsbot audit: " << options.error().message << "\n";
        return 2;
    }
    const SystemClock clock;
    auto query = build_audit_query(options.value().filter, clock.now(), 0, 0);
    if (!query) {
        err << "opsbot audit: " << query.error().message << " — " << query.error().hint << "\n";
        return 2;
    }
    try {
        const auto storage = open_storage(settings, clock);
        auto& audit = storage->audit();
        if (verify) {
            const auto check = audit.verify();
            if (check.ok) {
                out << "audit chain intact: " << check.rows_checked << " row(s) verified\n";
                return 0;
            }
            out << "audit chain broken at row " << check.first_bad_row.value_or(0) << ": "
                << check.problem << "\n";
            return 1;
        }
        out << format_audit(audit.query(query.value()), options.value().format);
        return 0;
    } catch (const db::DatabaseError& e) {
        err << "opsbot: " << e.what() << "\n";
        return 1;
    }
}

// A database opsbot cannot use (locked, corrupt, read-only, full) stops it
// before anything starts, with what, which file and what to do; its own exit
// code, since restarting will not help.
constexpr int kExitDatabase = 3;

int check_database(const Settings& settings, std::ostream& err) {
    try {
        const SystemClock clock;  // the stores keep a reference: it outlives them
        open_storage(settings, clock)->check_writable();
        return 0;
    } catch (const db::DatabaseError& e) {
        err << "opsbot: cannot start: " << e.what() << "\n";
        return kExitDatabase;
    }
}

int backup_db(const Settings& settings, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
    if (!settings.database_url.empty()) {
        err << "opsbot backup-db copies the SQLite file; opsbot runs on PostgreSQL "
               "(OPSBOT_DATABASE_URL): back it up with pg_dump -Fc (see docs/operations.md)\n";
        return 2;
    }
    std::vector<std::string> files;
    bool force = false;
    bool unknown_option = false;
    for (const auto& arg : args) {
        if (arg == "--force")
            force = true;
        else if (!arg.empty() && arg.front() == '-')
            unknown_option = true;
        else
            files.push_back(arg);
    }
    if (files.size() != 1 || unknown_option) {
        err << "usage: opsbot backup-db <file> [--force]\n";
        return 2;
    }
    const std::string& target = files.front();
    const auto copied = db::backup_database(settings.database_path, target, force);
    if (!copied.ok()) {
        err << "opsbot backup-db: " << copied.error().message << " — " << copied.error().hint
            << "\n";
        return 1;
    }
    const auto& s = copied.value();
    out << "copied " << settings.database_path << " to " << target << ": " << s.bytes << " bytes, "
        << s.pages << " pages of " << s.page_size << " bytes, quick_check ok\n";
    return 0;
}

// --to URL or --to=URL, and nothing else.
std::optional<std::string> migrate_db_target(const std::vector<std::string>& args) {
    if (args.size() == 1 && args.front().starts_with("--to=") && args.front().size() > 5)
        return args.front().substr(5);
    if (args.size() == 2 && args.front() == "--to" && !args.back().empty()) return args.back();
    return std::nullopt;
}

void print_copy_summary(const db::CopySummary& summary, const db::StorageTarget& target,
                        std::ostream& out) {
    out << "copied into " << db::describe(target) << " (schema version " << summary.schema_version
        << "):\n";
    for (const auto& table : summary.tables)
        out << "  " << table.table << ": " << table.rows << " row(s)\n";
    out << "audit chain intact: " << summary.audit_rows << " row(s) verified\n"
        << "start opsbot with OPSBOT_DATABASE_URL set to this database\n";
}

// Copies the SQLite installation into an empty PostgreSQL database: the
// messages name the target without its password.
int migrate_db(const Settings& settings, const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err) {
    const auto url = migrate_db_target(args);
    if (!url) {
        err << "usage: opsbot migrate-db --to <postgresql://user@host/db | \"host=… dbname=…\">\n";
        return 2;
    }
    try {
        const auto target = db::storage_target(*url, "");
        const auto copied = db::copy_sqlite_to(settings.database_path, target, SystemClock{});
        if (!copied.ok()) {
            err << "opsbot migrate-db: " << copied.error().message << " — " << copied.error().hint
                << "\n";
            return 1;
        }
        print_copy_summary(copied.value(), target, out);
        return 0;
    } catch (const db::DatabaseError& e) {
        std::string message = e.what();  // the URL's parse error: it came from --to
        if (message.starts_with("OPSBOT_DATABASE_URL"))
            message.replace(0, std::string_view("OPSBOT_DATABASE_URL").size(), "--to");
        err << "opsbot migrate-db: " << message << "\n";
        return 1;
    }
}

// The Docker HEALTHCHECK: the image has no curl, so opsbot asks itself.
int healthcheck(const Settings& settings, std::ostream& out, std::ostream& err) {
    std::string host = settings.listen.substr(0, settings.listen.rfind(':'));
    const std::string port = settings.listen.substr(settings.listen.rfind(':') + 1);
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = "127.0.0.1";
    CurlHttpClient http;
    HttpRequest request{"GET", "http://" + host + ":" + port + "/healthz", {}, ""};
    request.timeout = std::chrono::seconds(5);
    const auto response = http.send(request);
    if (!response.ok()) {
        err << "opsbot healthcheck: " << request.url << ": " << response.error().message << "\n";
        return 1;
    }
    out << response.value().status << " " << response.value().body << "\n";
    return response.value().status == 200 ? 0 : 1;
}

std::string store_line(const Settings& settings) {
    try {
        return db::describe(db::storage_target(settings.database_url, settings.database_path));
    } catch (const db::DatabaseError& e) {
        return e.what();
    }
}

void print_version(const Settings& settings, std::ostream& out) {
    const std::string git = build_info::kGitDescribe;
    out << "opsbot " << build_info::kVersion << " (" << (git.empty() ? "git unknown" : git)
        << ")\nbuilt with " << build_info::kCompiler << ", " << build_info::kBuildType
        << ", SQLite " << db::sqlite_version() << ", libpq " << db::postgres_client_version()
        << "\nstore: " << store_line(settings) << "\nreplica: " << settings.replica_id << "\n";
}

int console(const Settings& settings, CliStreams streams) {
    if (const int status = check_database(settings, streams.err); status != 0) return status;
    const auto app = App::start(settings, streams.err);
    if (!app) return 2;
    const Actor actor = console_actor(settings, *app->catalogue());
    ConsoleNotifier notifier(streams.out);
    app->set_notifier(&notifier);
    // Webhooks reach the console too when OPSBOT_LISTEN is set: alerts and
    // build news print between the replies.
    std::unique_ptr<net::HttpServer> intake;
    if (settings.listen_explicit) {
        intake = std::make_unique<net::HttpServer>(
            net::HttpServerOptions{.listen = settings.listen, .threads = 8}, app->metrics());
        app->register_hooks(*intake);
        if (const auto started = intake->start(); !started) {
            streams.err << "opsbot: " << started.error().message << "\n";
            return 2;
        }
    }
    app->start_background(settings.listen_explicit);
    const int status =
        run_console(app->dispatcher(), actor, streams.in, streams.out, streams.interactive);
    if (intake) intake->stop();
    app->stop_background();
    app->set_notifier(nullptr);
    return status;
}

int default_mode(const Settings& settings, CliStreams streams) {
    if (settings.slack_app_token.empty() != settings.slack_bot_token.empty()) {
        streams.err << "opsbot: Slack mode needs both tokens, but only "
                    << (settings.slack_app_token.empty() ? "SLACK_BOT_TOKEN" : "SLACK_APP_TOKEN")
                    << " is set; set "
                    << (settings.slack_app_token.empty() ? "SLACK_APP_TOKEN (xapp-…)"
                                                         : "SLACK_BOT_TOKEN (xoxb-…)")
                    << " too, or unset both for the console.\n";
        return 2;
    }
    if (!settings.slack_configured()) {
        spdlog::info("no Slack tokens set: console mode on {}", settings.config_path);
        return console(settings, streams);
    }
    if (const int status = check_database(settings, streams.err); status != 0) return status;
    const auto app = App::start(settings, streams.err);
    if (!app) return 2;
    return run_slack_mode(*app, streams.err);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, const EnvLookup& env, CliStreams streams) {
    const auto loaded = load_settings(env);
    setup_logging(loaded.settings.log);
    for (const auto& problem : loaded.problems) spdlog::warn("{}", problem);
    const Settings& settings = loaded.settings;

    const std::string command = args.empty() ? "" : args.front();
    const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
    if (command.empty()) return default_mode(settings, streams);
    if (command == "console") return console(settings, streams);
    if (command == "check-config") return check_config(settings, rest, streams.out, streams.err);
    if (command == "audit") return audit_cli(settings, rest, streams.out, streams.err);
    if (command == "version" || command == "--version") {
        print_version(settings, streams.out);
        return 0;
    }
    if (command == "export-catalogue")
        return export_catalogue(settings, rest, streams.out, streams.err);
    if (command == "backup-db") return backup_db(settings, rest, streams.out, streams.err);
    if (command == "migrate-db") return migrate_db(settings, rest, streams.out, streams.err);
    if (command == "healthcheck") return healthcheck(settings, streams.out, streams.err);
    if (command == "doctor") {
        CurlHttpClient http;
        return print_doctor(run_doctor(settings, http), streams.out);
    }
    if (command == "help" || command == "--help" || command == "-h") {
        streams.out << kUsage;
        return 0;
    }
    streams.err << "opsbot: unknown command '" << command << "'\n" << kUsage;
    return 2;
}

}  // namespace opsbot
