#include "bot/slack_mode.hpp"

#include "bot/alerts/alert_messages.hpp"
#include "bot/slack/slack_notifier.hpp"

#include <signal.h>

#include <atomic>
#include <mutex>
#include <ostream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bot/net/http_server.hpp"
#include "bot/slack/slack_router.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/web_api.hpp"

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

net::OutgoingResponse health(const slack::SocketModeClient& client, AuditStore& audit) {
    const bool connected = client.connected();
    bool writable = true;
    std::string database = "ok";
    try {
        audit.query(AuditQuery{.limit = 1});
    } catch (const std::exception& e) {
        writable = false;
        database = e.what();
    }
    const nlohmann::json body{{"slack", connected ? "connected" : "disconnected"},
                              {"database", database}};
    return {connected && writable ? 200 : 503, body.dump(), "application/json", {}};
}

// Intents without an outcome ran when opsbot stopped: report, never re-run.
void reconcile_intents(App& app, slack::WebApi& api) {
    for (const auto& intent : app.intents().unfinished()) {
        spdlog::warn("opsbot: '{}' by {} (started {}) was interrupted by a restart; not re-run",
                     intent.command, intent.actor_id, format_iso8601(intent.started));
        AuditEntry entry;
        entry.correlation_id = intent.correlation_id;
        entry.actor_id = intent.actor_id;
        entry.source = Source::system;
        entry.channel = intent.channel;
        entry.thread = intent.thread;
        entry.command = intent.command;
        entry.outcome = Outcome::failed;
        entry.external_ref = intent.key;
        entry.error = "interrupted by a restart of opsbot; not re-run";
        app.audit().append(std::move(entry));
        app.intents().finish(intent.key, "interrupted");
        if (intent.channel.empty()) continue;
        const auto posted = api.post_message(
            {intent.channel,
             "opsbot restarted while running `" + intent.command + "` for <@" + intent.actor_id +
                 ">. It was not run again: check its result before retrying.",
             intent.thread, ""});
        if (!posted)
            spdlog::warn("opsbot: could not report the interrupted intent: {}",
                         posted.error().message);
    }
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
    reconcile_intents(app, api);

    // Niced, so that the socket thread acknowledging envelopes wins the CPU
    // in a storm.
    KeyedExecutor handlers({.name = "handlers", .workers = 4, .capacity = 50'000, .nice = 5});
    KeyedExecutor outbound({.name = "outbound",
                            .workers = 8,
                            .capacity = 50'000,
                            .paced_per_second = 1.0,
                            .paced_burst = 3,
                            .nice = 5});
    slack::SlackNotifier notifier(api);
    app.set_notifier(&notifier);
    slack::SlackRouter router(app.dispatcher(), api, app.catalogue(), app.audit(), handlers,
                              outbound, auth.value().user_id);
    router.on_command_button(alerts::kActionPrefix, [](const slack::BlockAction& action) {
        return "alert " + action.action_id.substr(std::string(alerts::kActionPrefix).size()) + " " +
               action.value;
    });
    StopFlag stop;
    slack::SocketModeOptions options;
    options.ping_interval = settings.slack_ping_interval;
    options.backoff_initial = settings.reconnect_backoff;
    slack::SocketModeClient client(
        options, [&api] { return api.open_connection(); },
        {[&router](slack::Envelope e) { router.on_envelope(std::move(e)); },
         [&stop](const std::string& reason) { stop.fail(reason); }},
        metrics);

    net::HttpServer intake({.listen = settings.listen, .threads = 8}, metrics);
    intake.route("GET", "/healthz",
                 [&](const net::IncomingRequest&) { return health(client, app.audit()); });
    intake.route("GET", "/metrics", [&](const net::IncomingRequest&) {
        metrics.set(metric::kOutboundQueueDepth, static_cast<double>(outbound.depth()));
        return net::OutgoingResponse{
            200, metrics.render_prometheus(), "text/plain; version=0.0.4", {}};
    });
    app.register_hooks(intake);
    if (const auto started = intake.start(); !started) {
        err << "opsbot: " << started.error().message << "\n";
        return 2;
    }
    client.start();
    app.start_background();
    wait_for_stop(signals, stop);

    client.stop();
    app.stop_background();
    handlers.drain(std::chrono::seconds(5));
    outbound.drain(std::chrono::seconds(5));
    intake.stop();
    app.set_notifier(nullptr);
    if (stop.fatal) {
        err << "opsbot: " << stop.fatal_reason << "\n";
        return 1;
    }
    return 0;
}

}  // namespace opsbot
