#include "bot/cli.hpp"

#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "bot/app.hpp"
#include "bot/console.hpp"
#include "bot/net/http_server.hpp"
#include "bot/slack_mode.hpp"
#include "core/audit_query.hpp"
#include "core/config_loader.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/database.hpp"

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
  version, --version   print the version
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
    out << path << ": OK — " << c.projects.size() << " project(s), " << c.roles.size()
        << " role(s), " << c.members.size() << " member entr"
        << (c.members.size() == 1 ? "y" : "ies") << "\n";
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
        const auto database = open_database(settings.database_path);
        db::AuditLog audit(*database, clock);
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

int console(const Settings& settings, CliStreams streams) {
    const auto app = App::start(settings, streams.err);
    if (!app) return 2;
    const Actor actor = console_actor(settings, app->catalogue());
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
        streams.out << "opsbot " << OPSBOT_VERSION << "\n";
        return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        streams.out << kUsage;
        return 0;
    }
    streams.err << "opsbot: unknown command '" << command << "'\n" << kUsage;
    return 2;
}

}  // namespace opsbot
