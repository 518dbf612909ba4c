// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "bot/slack/link_supervisor.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/ack_batcher.hpp"
#include "core/time.hpp"

namespace opsbot::slack {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = LinkClock;
using boost::system::error_code;

LinkSupervisor::LinkSupervisor(asio::io_context& io, SocketModeOptions options, LinkSet& links,
                               AckBatcher& acks, Metrics& metrics, Hooks hooks)
    : io_(io),
      options_(options),
      links_(links),
      acks_(acks),
      metrics_(metrics),
      hooks_(std::move(hooks)),
      wake_(io),
      watchdog_(io) {}

LinkSupervisor::~LinkSupervisor() = default;

void LinkSupervisor::start() {
    asio::co_spawn(io_, supervise(), asio::detached);
    asio::co_spawn(io_, watch(), asio::detached);
}

void LinkSupervisor::stop() {
    stopping_ = true;
    notify();
}

void LinkSupervisor::join() {
    blocking_.join();
}

void LinkSupervisor::notify() {
    wake_.cancel();
}

// GCC 12 miscompiles coroutines whose by-value arguments or lambda captures
// own resources (shared_ptr counts go wrong): coroutines here take
// references to named locals, and lambdas that capture by value are built
// outside coroutine bodies.
template <class Done>
asio::awaitable<void> LinkSupervisor::wait_for(const Done& done, Clock::duration timeout) {
    const auto deadline =
        timeout == Clock::duration::max() ? Clock::time_point::max() : Clock::now() + timeout;
    while (!done() && !stopping_ && Clock::now() < deadline) {
        wake_.expires_at(deadline);
        error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

std::chrono::milliseconds LinkSupervisor::backoff_delay(int failures) {
    if (failures <= 0) return std::chrono::milliseconds{0};
    auto delay = options_.backoff_initial;
    for (int i = 1; i < failures && delay < options_.backoff_max; ++i) delay *= 2;
    delay = std::min(delay, options_.backoff_max);
    // Jitter spreads reconnects of many bots after a Slack incident.
    std::uniform_int_distribution<long> jitter(delay.count() / 2, delay.count());
    return std::chrono::milliseconds{jitter(random_)};
}

asio::awaitable<void> LinkSupervisor::sleep(std::chrono::milliseconds delay) {
    if (delay.count() == 0) co_return;
    spdlog::info("slack: reconnecting in {}", format_duration(delay));
    const auto never = [] { return false; };
    co_await wait_for(never, delay);
}

// Where to connect: apps.connections.open, then the DNS lookup of its host,
// both on the blocking thread so the live link keeps acking.
struct LinkSupervisor::Target {
    ConnectionUrl answer;
    std::optional<WsUrl> url;
    tcp::resolver::results_type endpoints;
};

struct LinkSupervisor::PendingTarget {
    Target target;
    bool done = false;
};

void LinkSupervisor::resolve(Target& target, asio::thread_pool& pool) {
    target.url = parse_ws_url(target.answer.url);
    if (!target.url) {
        target.answer = {false, false, "", "apps.connections.open gave an unusable URL scheme"};
        return;
    }
    tcp::resolver resolver(pool.get_executor());
    error_code ec;
    target.endpoints = resolver.resolve(target.url->host, target.url->port, ec);
    if (ec)
        target.answer = {false, false, "",
                         "cannot resolve " + target.url->host + ": " + ec.message()};
}

void LinkSupervisor::request_target(const std::shared_ptr<PendingTarget>& pending) {
    // stop() joins the blocking thread before this object goes; a job it
    // posts after the io_context stopped never runs.
    asio::post(blocking_, [this, pending] {
        pending->target.answer = hooks_.open_connection();
        if (pending->target.answer.ok) resolve(pending->target, blocking_);
        asio::post(io_, [this, pending] {
            pending->done = true;
            notify();
        });
    });
}

asio::awaitable<LinkSupervisor::Target> LinkSupervisor::fetch_target() {
    const auto pending = std::make_shared<PendingTarget>();
    request_target(pending);
    const auto done = [&pending] { return pending->done; };
    co_await wait_for(done, Clock::duration::max());
    co_return pending->target;
}

LinkPtr LinkSupervisor::make_link(const WsUrl& url) {
    LinkPtr link;
    if (url.tls) {
        if (!tls_) {
            tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            tls_->set_default_verify_paths();
            tls_->set_verify_mode(asio::ssl::verify_peer);
        }
        link = make_tls_link(io_, *tls_);
    } else {
        link = make_plain_link(io_);
    }
    link->id = next_link_id_++;
    return link;
}

void LinkSupervisor::on_hello(Link& link) {
    link.hello = true;
    spdlog::info("slack: link {} says hello", link.id);
    notify();
}

void LinkSupervisor::on_disconnect(const LinkPtr& link, const std::string& reason) {
    if (reason == "link_disabled") {
        spdlog::error("slack: Socket Mode was turned off for this app (link_disabled)");
        if (hooks_.on_fatal)
            hooks_.on_fatal(
                "Slack disabled Socket Mode for this app (link_disabled): turn it "
                "back on under Socket Mode in the app's settings, then restart");
        stopping_ = true;
        return notify();
    }
    spdlog::info("slack: link {} asked to refresh ({})", link->id, reason);
    link->refresh_requested = true;
    notify();
}

// A link silent for the ping interval gets a ping; silent for the pong
// timeout after that, it is dropped and replaced. Silence is what was read
// (any frame, pongs included), never what was written: a peer that stopped
// reading lets writes pile up in the kernel, or blocks them, and neither may
// pass for an answer. The timer is set for the next deadline when it fires,
// not re-armed on every frame (a system call per envelope on the ack path);
// a link opened meanwhile has its first deadline after that one. One loop
// watches every link; it holds none across a wait, so it may be left
// suspended.
asio::awaitable<void> LinkSupervisor::watch() {
    while (!stopping_) {
        auto next = Clock::now() + options_.ping_interval;
        for (const auto& link : std::vector(links_.all))
            next = std::min(next, check_silence(*link));
        watchdog_.expires_at(next);
        error_code ec;
        co_await watchdog_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

// Pings or drops the link as its silence asks; returns when to look again.
Clock::time_point LinkSupervisor::check_silence(Link& link) {
    const auto now = Clock::now();
    const auto ping_at = link.last_frame + options_.ping_interval;
    const auto drop_at = ping_at + options_.pong_timeout;
    if (now < ping_at) return ping_at;
    if (now < drop_at) {
        // The pong moves ping_at on: look again by then, so that an idle
        // link is pinged every interval, not every timeout.
        link.ping();
        return std::min(drop_at, now + options_.ping_interval);
    }
    if (!link.dropped) {
        link.dropped = true;
        spdlog::warn(
            "slack: link {} answered nothing, not even a ping, for {}; replacing it", link.id,
            format_duration(
                std::chrono::duration_cast<std::chrono::milliseconds>(now - link.last_frame)));
        link.abort();
    }
    return Clock::time_point::max();
}

void LinkSupervisor::start_reading(const LinkPtr& link) {
    asio::co_spawn(io_, read_loop(link), asio::detached);
}

void LinkSupervisor::start_retiring(const LinkPtr& link) {
    asio::co_spawn(io_, retire(link), asio::detached);
}

// After a refresh the old link stays open until it has gone quiet: once our
// close frame is out, Beast drops whatever Slack still sent on it.
asio::awaitable<void> LinkSupervisor::retire(LinkPtr link) {
    using namespace std::chrono_literals;
    const auto quiet = std::min<Clock::duration>(options_.ping_interval / 2, 1s);
    const auto give_up = Clock::now() + 10s;
    asio::steady_timer timer(io_);
    while (!link->ended && !stopping_ && Clock::now() < give_up &&
           Clock::now() - link->last_frame < quiet) {
        timer.expires_after(quiet / 4);
        error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    spdlog::debug("slack: closing link {} after the refresh", link->id);
    acks_.flush();  // the burst's acks before our close frame
    link->close();
}

asio::awaitable<void> LinkSupervisor::read_loop(LinkPtr link) {
    try {
        for (;;) {
            std::string text = co_await link->read();
            const auto now = Clock::now();
            link->last_frame = now;
            acks_.message_read(now);
            hooks_.on_message(link, std::move(text), now);
        }
    } catch (const std::exception& e) {
        if (!stopping_) spdlog::debug("slack: link {} ended: {}", link->id, e.what());
    }
    link->ended = true;
    std::erase(links_.all, link);
    notify();
}

// Connects and waits for hello; null when that failed.
asio::awaitable<LinkPtr> LinkSupervisor::open_link(const Target& target) {
    const auto& url = target.url;
    const auto link = make_link(*url);
    try {
        co_await link->connect(*url, target.endpoints, options_);
    } catch (const std::exception& e) {
        spdlog::warn("slack: cannot open the WebSocket to {} ({}): {}{}", url->host, link->step,
                     e.what(),
                     certificate_refused(e)
                         ? " — the server's certificate was not trusted: check the system CA "
                           "certificates (SSL_CERT_FILE, SSL_CERT_DIR) and the host name"
                         : "");
        co_return nullptr;
    }
    link->last_frame = Clock::now();  // silence counts from here
    links_.all.push_back(link);
    start_reading(link);
    const auto greeted = [&link] { return link->hello || link->ended; };
    co_await wait_for(greeted, options_.connect_timeout);
    if (link->hello && !link->ended) co_return link;
    spdlog::warn("slack: no hello on link {} within {}", link->id,
                 format_duration(options_.connect_timeout));
    link->abort();
    co_return nullptr;
}

asio::awaitable<void> LinkSupervisor::supervise() {
    int failures = 0;
    std::optional<Clock::time_point> down_since = Clock::now();
    LinkPtr current;
    while (!stopping_) {
        Target target = co_await fetch_target();
        const ConnectionUrl& url = target.answer;
        if (stopping_) break;
        if (!url.ok) {
            if (url.fatal) {
                if (hooks_.on_fatal) hooks_.on_fatal(url.error);
                break;
            }
            spdlog::warn("slack: apps.connections.open failed: {}", url.error);
            co_await sleep(backoff_delay(++failures));
            continue;
        }
        auto link = co_await open_link(target);
        if (!link) {
            if (current && current->ended) {
                // The refresh failed and the old link is gone too.
                connected_ = false;
                metrics_.set(metric::kSlackConnected, 0);
                current.reset();
                down_since = Clock::now();
            }
            co_await sleep(backoff_delay(++failures));
            continue;
        }
        links_.live = link;
        if (current) start_retiring(current);  // the new link is live: no gap
        current = link;
        connected_ = true;
        metrics_.set(metric::kSlackConnected, 1);
        if (down_since) {
            spdlog::info("slack: connected (link {}) after {} without a connection", link->id,
                         format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                             Clock::now() - *down_since)));
            down_since.reset();
        }
        const auto ended_or_refresh = [&current] {
            return current->ended || current->refresh_requested;
        };
        co_await wait_for(ended_or_refresh, Clock::duration::max());
        if (!current->ended) continue;  // refresh: open the next link first
        connected_ = false;
        metrics_.set(metric::kSlackConnected, 0);
        metrics_.increment(metric::kReconnects);
        down_since = Clock::now();
        // The first reconnect is immediate; a link that drops again soon
        // after opening counts as a failure, so a flapping connection backs
        // off instead of looping.
        const bool stable =
            Clock::now() - current->opened > (options_.ping_interval + options_.pong_timeout) * 3;
        if (stable) failures = 0;
        if (!stopping_) spdlog::warn("slack: connection lost (link {}); reconnecting", current->id);
        current.reset();
        co_await sleep(backoff_delay(failures++));
    }
    connected_ = false;
    acks_.flush();
    for (auto& link : std::vector(links_.all)) link->close();
    co_await await_closed();
    done_.set_value();
}

// A clean goodbye: each close handshake gets a moment, so Slack sees a close
// frame rather than a reset. wait_for() cannot serve here: it returns at
// once while stopping.
asio::awaitable<void> LinkSupervisor::await_closed() {
    using namespace std::chrono_literals;
    const auto give_up = Clock::now() + 1s;
    asio::steady_timer timer(io_);
    while (!links_.all.empty() && Clock::now() < give_up) {
        timer.expires_after(10ms);
        error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (links_.all.empty()) spdlog::info("slack: Socket Mode link closed");
}

}  // namespace opsbot::slack
