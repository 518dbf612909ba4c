#include "bot/slack_mode.hpp"

#include "bot/alerts/alert_messages.hpp"
#include "bot/deploy/deploy_messages.hpp"
#include "bot/envelope_ledger.hpp"
#include "bot/runbooks/runbook_messages.hpp"
#include "bot/slack/slack_notifier.hpp"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <ostream>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bot/net/http_server.hpp"
#include "bot/newproject/project_setup_service.hpp"
#include "bot/replicas/lease_keeper.hpp"
#include "bot/replicas/prune_jobs.hpp"
#include "bot/replicas/replica_report.hpp"
#include "bot/slack/slack_router.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/store_health.hpp"
#include "bot/views/forms.hpp"
#include "bot/views/home_publisher.hpp"
#include "bot/views/home_slack.hpp"
#include "core/text.hpp"
#include "persistence/storage.hpp"

namespace opsbot {
namespace {

// Set from any thread when the bot must stop; read by the waiting main thread.
struct StopFlag {
    std::mutex mutex;
    std::string fatal_reason;
    std::atomic<bool> fatal{false};

    void fail(const std::string& reason) {
        std::lock_guard lock(mutex);
        if (fatal) return;
        fatal_reason = reason;
        fatal = true;
    }
};

// Blocks until SIGINT/SIGTERM or a fatal error. The signals were blocked in
// every thread before any was started, so only this wait sees them.
void wait_for_stop(const sigset_t& signals, StopFlag& stop) {
    const timespec tick{0, 100'000'000};
    while (!stop.fatal) {
        const int signal_number = sigtimedwait(&signals, nullptr, &tick);
        if (signal_number > 0) {
            spdlog::info("opsbot: {} received, stopping", strsignal(signal_number));
            return;
        }
    }
}

// After the first signal: a second one ends the process at once, without
// waiting for running work (it is replayed or reported at the next start).
void exit_on_second_signal(const sigset_t& signals) {
    std::thread([signals] {
        int signal_number = 0;
        if (sigwait(&signals, &signal_number) != 0) return;
        spdlog::warn("shutdown: second signal ({}): exiting now", strsignal(signal_number));
        spdlog::default_logger()->flush();
        std::_Exit(128 + signal_number);
    }).detach();
}

// The time left before a deadline, never negative.
std::chrono::milliseconds left(std::chrono::steady_clock::time_point deadline) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::chrono::milliseconds{0};
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
}

// Running commands finish and queued replies go out, up to the grace period.
// What is cut off stays unhandled in the envelope journal and is replayed at
// the next start.
// Returns false when work was cut off.
bool drain_work(KeyedExecutor& handlers, KeyedExecutor& outbound, std::chrono::seconds grace) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    spdlog::info("shutdown: finishing {} command(s) and {} queued repl(ies), up to {}",
                 handlers.depth(), outbound.depth(), format_duration(grace));
    const bool handled = handlers.drain(left(deadline));
    const bool flushed = outbound.drain(left(deadline));
    if (handled && flushed) {
        spdlog::info("shutdown: every command finished and every reply was sent");
        return true;
    }
    spdlog::warn(
        "shutdown: {} command(s) and {} repl(ies) unfinished at the deadline; their envelopes "
        "are replayed at the next start",
        handlers.depth(), outbound.depth());
    return false;
}

net::OutgoingResponse health(const slack::SocketModeClient& client, StoreHealth& store) {
    const bool connected = client.connected();
    const auto problem = store.problem();
    const nlohmann::json body{{"slack", connected ? "connected" : "disconnected"},
                              {"database", problem.value_or("ok")}};
    return {connected && !problem ? 200 : 503, body.dump(), "application/json", {}};
}

// Intents without an outcome ran when `replica` stopped (this replica's
// previous process at start, a dead one at takeover): report, never re-run.
void reconcile_intents(App& app, slack::WebApi& api, const std::string& replica) {
    const bool restart = replica == app.settings().replica_id;
    const std::string what = restart ? "a restart of opsbot" : "the loss of replica " + replica;
    for (const auto& intent : app.intents().interrupt(replica)) {
        spdlog::warn("opsbot: '{}' by {} (started {}) was interrupted by {}; not re-run",
                     intent.command, intent.actor_id, format_iso8601(intent.started), what);
        AuditEntry entry;
        entry.correlation_id = intent.correlation_id;
        entry.actor_id = intent.actor_id;
        entry.source = Source::system;
        entry.channel = intent.channel;
        entry.thread = intent.thread;
        entry.command = intent.command;
        entry.outcome = Outcome::failed;
        entry.external_ref = intent.key;
        entry.error = "interrupted by " + what + "; not re-run";
        app.audit().append(std::move(entry));
        if (intent.channel.empty()) continue;
        const std::string stopped =
            restart ? "opsbot restarted" : "The opsbot replica " + replica + " stopped";
        const auto posted = api.post_message(
            {intent.channel,
             stopped + " while running `" + intent.command + "` for <@" + intent.actor_id +
                 ">. It was not run again: check its result before retrying.",
             intent.thread, ""});
        if (!posted)
            spdlog::warn("opsbot: could not report the interrupted intent: {}",
                         posted.error().message);
    }
}

// A dead replica's unfinished intents are reported and its unhandled
// envelopes replayed here (PostgreSQL: a SQLite database has one process).
void take_over_dead_replicas(App& app, slack::WebApi& api, EnvelopeLedger& ledger,
                             slack::SlackRouter& router) {
    LeaseKeeper* keeper = app.leases();
    if (!keeper || app.storage().backend() != db::Backend::postgresql) return;
    keeper->on_dead_replica([&app, &api, &ledger, &router](const std::string& replica) {
        reconcile_intents(app, api, replica);
        ledger.take_over(replica, router);
    });
}

}  // namespace

int run_slack_mode(App& app, std::ostream& err) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const Settings& settings = app.settings();
    Metrics& metrics = app.metrics();
    slack::WebApi api(app.http(),
                      {settings.slack_api_url, settings.slack_bot_token, settings.slack_app_token},
                      metrics);
    const auto auth = api.auth_test();
    if (!auth) {
        err << "opsbot: SLACK_BOT_TOKEN was not accepted by Slack: " << auth.error().message
            << (auth.error().hint.empty() ? "" : " — " + auth.error().hint) << "\n";
        return 1;
    }
    spdlog::info("slack: signed in as bot user {} in {}", auth.value().user_id, auth.value().team);
    StopFlag stop;
    if (!app.join_replicas(err, [&stop] {
            stop.fail(
                "another replica took over this one's lease (it stalled past it); "
                "restart it");
        }))
        return 3;
    reconcile_intents(app, api, settings.replica_id);
    SystemClock clock;
    EnvelopeLedger ledger(app.storage().open_envelope_journal(clock), app.store_health());

    // Niced to the floor, so that the socket thread acknowledging envelopes
    // wins the CPU in a storm (at 5 twelve busy workers outweighed it
    // fourfold; at 10 they still weighed about as much). Niceness only
    // arbitrates within opsbot's cgroup (its container or systemd unit): when
    // the socket thread is idle, the workers get the whole CPU.
    KeyedExecutor handlers({.name = "handlers", .workers = 4, .capacity = 50'000, .nice = 19});
    KeyedExecutor outbound({.name = "outbound",
                            .workers = 8,
                            .capacity = 50'000,
                            .paced_per_second = 1.0,
                            .paced_burst = 3,
                            .nice = 19});
    slack::SlackNotifier notifier(api);
    app.set_notifier(&notifier);
    app.project_setup().set_slack(&api);
    // The router reads only the members, which do not change while running.
    const auto catalogue = app.catalogue();
    slack::SlackRouter router(app.dispatcher(), api, *catalogue, app.audit(), handlers, outbound,
                              auth.value().user_id);
    router.on_command_button(alerts::kActionPrefix, [](const slack::BlockAction& action) {
        return "alert " + action.action_id.substr(std::string(alerts::kActionPrefix).size()) + " " +
               action.value;
    });
    router.on_command_button(runbooks::kActionPrefix, [](const slack::BlockAction& action) {
        return runbooks::button_command(action.action_id, action.value);
    });
    // Roll back on a finished release: its value is the rollback command;
    // anything else becomes a bare `rollback`, which only shows its usage.
    router.on_command_button(deploy::kRollbackAction, [](const slack::BlockAction& action) {
        return starts_with(action.value, "rollback ") ? action.value : std::string("rollback");
    });
    views::FormService forms(
        {.api = api,
         .dispatcher = app.dispatcher(),
         .catalogue = app.catalogue_source(),
         .audit = app.audit(),
         .handlers = handlers,
         .outbound = outbound,
         .actor_for = [&router](const std::string& user,
                                const std::string& name) { return router.actor_for(user, name); },
         .backups = &app.backups(),
         .runbooks = &app.runbook_definitions()});
    views::register_forms(router, forms);
    views::HomePublisher home(
        {.catalogue = app.catalogue_source(),
         .services = app.services(),
         .clock = clock,
         .actor_of = [&router](const std::string& user) { return router.actor_for(user, ""); },
         .publish = [&api](const std::string& user, const nlohmann::json& view) -> Status {
             if (auto published = api.views_publish(user, view); !published)
                 return published.error();
             return Unit{};
         },
         .group_members =
             [&api](const std::string& usergroup) { return api.usergroup_members(usergroup); }},
        settings.home_debounce);
    // Every audited change refreshes the Home tabs it concerns; unset before
    // the publisher goes (declared after it, so destroyed first).
    struct HomeFeed {
        App& app;
        ~HomeFeed() { app.on_project_changed({}); }
    } home_feed{app};
    app.on_project_changed([&home](const std::string& project) { home.project_changed(project); });
    views::register_home_tab(router, api, home, app.catalogue_source(), &forms);
    slack::SocketModeOptions options;
    options.ping_interval = settings.slack_ping_interval;
    options.pong_timeout = settings.slack_pong_timeout;
    options.answer_within = settings.slack_answer_within;
    options.backoff_initial = settings.reconnect_backoff;
    slack::SocketModeClient client(
        options, [&api] { return api.open_connection(); },
        {[&router, &ledger](slack::Envelope e) {
             auto done = ledger.done_for(e);
             router.on_envelope(std::move(e), std::move(done));
         },
         [&stop](const std::string& reason) { stop.fail(reason); },
         [&ledger](std::vector<slack::ReceivedEnvelope>& envelopes) {
             return ledger.before_ack(envelopes);
         }},
        metrics);

    net::HttpServer intake({.listen = settings.listen, .threads = 8}, metrics);
    intake.route("GET", "/healthz",
                 [&](const net::IncomingRequest&) { return health(client, app.store_health()); });
    intake.route("GET", "/metrics", [&](const net::IncomingRequest&) {
        metrics.set(metric::kOutboundQueueDepth, static_cast<double>(outbound.depth()));
        metrics.set(metric::kStoreConnectFailures,
                    static_cast<double>(app.storage().connect_failures()));
        report_replica_metrics(metrics, settings.replica_id, app.leases(), app.storage().leases());
        return net::OutgoingResponse{
            200, metrics.render_prometheus(), "text/plain; version=0.0.4", {}};
    });
    app.register_hooks(intake);
    if (const auto started = intake.start(); !started) {
        err << "opsbot: " << started.error().message << "\n";
        return 2;
    }
    ledger.replay(router);
    take_over_dead_replicas(app, api, ledger, router);
    // Handled claims are kept an hour (Slack's retries come within minutes),
    // then forgotten by the "prune" singleton.
    app.prune_jobs().add("envelope claims",
                         [&ledger] { return static_cast<std::int64_t>(ledger.prune()); });
    client.start();
    app.start_background();
    wait_for_stop(signals, stop);
    exit_on_second_signal(signals);

    spdlog::info("shutdown: no new webhooks or envelopes; closing the listener and the Slack link");
    intake.stop_accepting();
    client.stop();
    app.stop_background();
    spdlog::info(
        "shutdown: deploy locks stay held: they are durable, and the deploy follower resumes "
        "the builds they guard at the next start");
    const bool drained = drain_work(handlers, outbound, settings.shutdown_grace);
    app.on_project_changed({});
    home.stop();
    intake.stop();
    // What was cut off is taken over by the other replicas at once.
    app.leave_replicas();
    if (!drained) {
        // A worker stuck in a call (a long Retry-After, a hung upstream)
        // cannot be cancelled, and joining it would overrun the deadline.
        // Everything durable is committed: leave without joining.
        spdlog::info("shutdown: done");
        spdlog::default_logger()->flush();
        if (stop.fatal) err << "opsbot: " << stop.fatal_reason << std::endl;
        std::_Exit(stop.fatal ? 1 : 0);
    }
    app.project_setup().set_slack(nullptr);
    app.set_notifier(nullptr);
    spdlog::info("shutdown: done");
    if (stop.fatal) {
        err << "opsbot: " << stop.fatal_reason << "\n";
        return 1;
    }
    return 0;
}

}  // namespace opsbot
