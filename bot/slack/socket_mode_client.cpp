// GCC 12 inlines asio's awaitable frame recycling allocator and then warns
// that its operator delete does not match the coroutine frame's new: a false
// positive (the pair is asio's own).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <pthread.h>

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "bot/slack/socket_mode_client.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/slack/tls_input.hpp"
#include "bot/slack/write_batching_stream.hpp"
#include "core/keyed_executor.hpp"
#include "core/time.hpp"

namespace opsbot::slack {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct WsUrl {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
};

std::optional<WsUrl> parse_ws_url(const std::string& url) {
    WsUrl out;
    std::string rest;
    if (url.rfind("wss://", 0) == 0) {
        out.tls = true;
        rest = url.substr(6);
    } else if (url.rfind("ws://", 0) == 0) {
        rest = url.substr(5);
    } else {
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    out.target = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? (out.tls ? "443" : "80") : authority.substr(colon + 1);
    if (out.host.empty()) return std::nullopt;
    return out;
}

// One WebSocket connection to Slack. All of it runs on the socket thread.
class Link : public std::enable_shared_from_this<Link> {
public:
    virtual ~Link() = default;
    virtual asio::awaitable<void> connect(const WsUrl& url,
                                          const tcp::resolver::results_type& endpoints,
                                          const SocketModeOptions& options) = 0;
    virtual asio::awaitable<std::string> read() = 0;
    virtual void send(std::vector<std::string> texts) = 0;  // in order
    virtual void close() = 0;
    virtual void abort() = 0;
    virtual void ping() = 0;
    virtual bool closing() const = 0;
    virtual bool more_to_read() = 0;  // bytes the kernel (or TLS) holds for us

    int id = 0;
    const char* step = "";  // how far connect() got, for the log
    bool hello = false;
    bool ended = false;
    bool refresh_requested = false;
    Clock::time_point opened = Clock::now();
    Clock::time_point last_frame = Clock::now();
};

template <class Ws>
class LinkImpl final : public Link {
    static constexpr bool kTls =
        !std::is_same_v<typename Ws::next_layer_type::next_layer_type, beast::tcp_stream>;

public:
    template <class... Args>
    explicit LinkImpl(Args&&... args) : ws_(std::forward<Args>(args)...) {}

    asio::awaitable<void> connect(const WsUrl& url, const tcp::resolver::results_type& endpoints,
                                  const SocketModeOptions& options) override {
        auto& lowest = beast::get_lowest_layer(ws_);
        lowest.expires_after(options.connect_timeout);
        step = "connect";
        co_await lowest.async_connect(endpoints, asio::use_awaitable);
        // An ack must leave at once: with Nagle's algorithm on, a small write
        // waits for the peer's ACK of the previous one (up to its delayed-ACK
        // timer, ~40 ms).
        lowest.socket().set_option(tcp::no_delay(true));
        if constexpr (kTls) {
            auto& tls = ws_.next_layer().next_layer();
            // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
            if (!SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                          TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())))
                throw std::runtime_error("cannot set TLS server name");
            tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
            step = "TLS handshake";
            co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        }
        lowest.expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options.connect_timeout;
        // Silence is watched by SocketModeClient::Impl::watch_links, not by Beast:
        // Beast's idle timer is re-armed on every frame, a timerfd_settime
        // system call per envelope on the ack path.
        timeouts.idle_timeout = websocket::stream_base::none();
        timeouts.keep_alive_pings = false;
        ws_.set_option(timeouts);
        ws_.control_callback(
            [this](websocket::frame_type, beast::string_view) { last_frame = Clock::now(); });
        ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "opsbot");
        }));
        step = "handshake";
        co_await ws_.async_handshake(url.host, url.target, asio::use_awaitable);
    }

    asio::awaitable<std::string> read() override {
        buffer_.clear();
        co_await ws_.async_read(buffer_, asio::use_awaitable);
        co_return beast::buffers_to_string(buffer_.data());
    }

    void send(std::vector<std::string> texts) override {
        if (closing_) return;
        for (auto& text : texts) outbox_.push_back(std::move(text));
        // Frames queued together leave in one write once the outbox is
        // empty, instead of a system call, a segment (and a wake-up of the
        // peer) per frame.
        if (outbox_.size() > 1) ws_.next_layer().hold();
        if (!writing_) write_next();
    }

    void close() override {
        closing_ = true;
        if (!writing_ && !pinging_) close_now();
    }

    // Beast allows one ping at a time and no close while it is out.
    void ping() override {
        if (closing_ || pinging_) return;
        pinging_ = true;
        ws_.async_ping({}, [self = shared_from_this(), this](beast::error_code) {
            pinging_ = false;
            if (closing_ && !writing_) close_now();
        });
    }

    bool closing() const override { return closing_; }

    bool more_to_read() override {
        if constexpr (kTls) {
            if (tls_holds_input(ws_.next_layer().next_layer().native_handle())) return true;
        }
        beast::error_code ec;
        return beast::get_lowest_layer(ws_).socket().available(ec) > 0 && !ec;
    }

    void abort() override {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

private:
    void write_next() {
        writing_ = true;
        ws_.async_write(asio::buffer(outbox_.front()),
                        [self = shared_from_this(), this](beast::error_code ec, std::size_t) {
                            outbox_.pop_front();
                            writing_ = false;
                            if (ec) outbox_.clear();
                            if (!outbox_.empty()) return write_next();
                            ws_.next_layer().release();
                            if (ec) return;
                            if (closing_ && !pinging_) close_now();
                        });
    }

    void close_now() {
        ws_.async_close(websocket::close_code::normal,
                        [self = shared_from_this(), this](beast::error_code) { abort(); });
    }

    Ws ws_;
    beast::flat_buffer buffer_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closing_ = false;
    bool pinging_ = false;
};

bool certificate_refused(const std::exception& e) {
    const auto* error = dynamic_cast<const boost::system::system_error*>(&e);
    if (!error || error->code().category() != asio::error::get_ssl_category()) return false;
    // asio keeps ERR_get_error()'s value in an int.
    const auto code = static_cast<unsigned long>(static_cast<unsigned int>(error->code().value()));
    return ERR_GET_LIB(code) == ERR_LIB_SSL &&
           ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

using PlainWs = websocket::stream<WriteBatchingStream<beast::tcp_stream>>;
using TlsWs = websocket::stream<WriteBatchingStream<beast::ssl_stream<beast::tcp_stream>>>;

}  // namespace

struct SocketModeClient::Impl : std::enable_shared_from_this<Impl> {
    SocketModeOptions options;
    std::function<ConnectionUrl()> open_connection;
    SocketModeEvents events;
    Metrics& metrics;

    asio::io_context io{1};
    // Made on the first wss:// link: loading the CA store costs tens of ms.
    std::unique_ptr<asio::ssl::context> tls;
    asio::thread_pool blocking{1};  // apps.connections.open, off the socket thread
    asio::steady_timer wake{io};
    asio::steady_timer watchdog{io};  // watch_links() waits on it
    std::thread thread;
    std::atomic<bool> connected{false};
    std::atomic<bool> finished{false};
    bool stopping = false;
    int next_link_id = 1;
    std::vector<std::shared_ptr<Link>> links;
    std::shared_ptr<Link> live;  // the link acks go out on
    std::mt19937 random{std::random_device{}()};
    // Parses and routes acknowledged envelopes in the order received (one
    // worker, one key). Niced like the handlers it feeds: it is not on the
    // ack path. Last, so that it stops before the members its work uses go.
    KeyedExecutor routing{{.name = "routing", .workers = 1, .capacity = 50'000, .nice = 19}};

    Impl(SocketModeOptions o, std::function<ConnectionUrl()> open, SocketModeEvents e, Metrics& m)
        : options(o), open_connection(std::move(open)), events(std::move(e)), metrics(m) {}

    void notify() { wake.cancel(); }

    // GCC 12 miscompiles coroutines whose by-value arguments or lambda
    // captures own resources (shared_ptr counts go wrong): coroutines here
    // take references to named locals, and lambdas that capture by value are
    // built outside coroutine bodies.
    template <class Done>
    asio::awaitable<void> wait_for(const Done& done, Clock::duration timeout) {
        const auto deadline =
            timeout == Clock::duration::max() ? Clock::time_point::max() : Clock::now() + timeout;
        while (!done() && !stopping && Clock::now() < deadline) {
            wake.expires_at(deadline);
            beast::error_code ec;
            co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    std::chrono::milliseconds backoff_delay(int failures) {
        if (failures <= 0) return std::chrono::milliseconds{0};
        auto delay = options.backoff_initial;
        for (int i = 1; i < failures && delay < options.backoff_max; ++i) delay *= 2;
        delay = std::min(delay, options.backoff_max);
        // Jitter spreads reconnects of many bots after a Slack incident.
        std::uniform_int_distribution<long> jitter(delay.count() / 2, delay.count());
        return std::chrono::milliseconds{jitter(random)};
    }

    asio::awaitable<void> sleep(std::chrono::milliseconds delay) {
        if (delay.count() == 0) co_return;
        spdlog::info("slack: reconnecting in {}", format_duration(delay));
        const auto never = [] { return false; };
        co_await wait_for(never, delay);
    }

    // Where to connect: apps.connections.open, then the DNS lookup of its
    // host, both on the blocking thread so the live link keeps acking.
    struct Target {
        ConnectionUrl answer;
        std::optional<WsUrl> url;
        tcp::resolver::results_type endpoints;
    };

    static void resolve(Target& target, asio::thread_pool& pool) {
        target.url = parse_ws_url(target.answer.url);
        if (!target.url) {
            target.answer = {false, false, "", "apps.connections.open gave an unusable URL scheme"};
            return;
        }
        tcp::resolver resolver(pool.get_executor());
        beast::error_code ec;
        target.endpoints = resolver.resolve(target.url->host, target.url->port, ec);
        if (ec)
            target.answer = {false, false, "",
                             "cannot resolve " + target.url->host + ": " + ec.message()};
    }

    struct PendingTarget {
        Target target;
        bool done = false;
    };

    void request_target(const std::shared_ptr<PendingTarget>& pending) {
        asio::post(blocking, [self = shared_from_this(), pending] {
            pending->target.answer = self->open_connection();
            if (pending->target.answer.ok) resolve(pending->target, self->blocking);
            asio::post(self->io, [self, pending] {
                pending->done = true;
                self->notify();
            });
        });
    }

    asio::awaitable<Target> fetch_target() {
        const auto pending = std::make_shared<PendingTarget>();
        request_target(pending);
        const auto done = [&pending] { return pending->done; };
        co_await wait_for(done, Clock::duration::max());
        co_return pending->target;
    }

    std::shared_ptr<Link> make_link(const WsUrl& url) {
        std::shared_ptr<Link> link;
        if (url.tls) {
            if (!tls) {
                tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
                tls->set_default_verify_paths();
                tls->set_verify_mode(asio::ssl::verify_peer);
            }
            link = std::make_shared<LinkImpl<TlsWs>>(io, *tls);
        } else
            link = std::make_shared<LinkImpl<PlainWs>>(io);
        link->id = next_link_id++;
        return link;
    }

    void handle_message(const std::shared_ptr<Link>& link, std::string text,
                        Clock::time_point received) {
        // The common case acks on the head alone; the full parse and the
        // routing run on the routing thread, off the ack path.
        if (auto head = scan_envelope_head(text);
            head && carries_request(head->type) && !head->envelope_id.empty())
            return queue_ack(link, {std::move(*head), std::move(text)}, received, true);
        count_reads();
        auto parsed = parse_envelope(text);
        if (!parsed) {
            spdlog::warn("slack: ignoring a malformed Socket Mode message ({} bytes): {}",
                         text.size(), parsed.error().message);
            return;
        }
        Envelope envelope = std::move(parsed).value();
        if (!envelope.envelope_id.empty()) {
            queue_ack(link, {envelope, text}, received, false);
            flush_acks();  // now, so that what follows comes after the ack
        }
        if (envelope.type_name.empty()) {
            spdlog::warn("slack: acknowledged a malformed Socket Mode message with no type");
            return;
        }
        switch (envelope.type) {
            case EnvelopeType::hello:
                link->hello = true;
                spdlog::info("slack: link {} says hello", link->id);
                return notify();
            case EnvelopeType::disconnect:
                return on_disconnect(link, envelope.disconnect_reason);
            default:
                // Through the routing thread too, to keep the order received.
                to_router([this, envelope = std::move(envelope)]() mutable {
                    if (events.on_envelope) events.on_envelope(std::move(envelope));
                });
        }
    }

    void to_router(std::function<void()> job) {
        if (!routing.post("envelopes", std::move(job)))
            spdlog::error(
                "slack: the routing queue is full; acknowledged envelopes wait for the next "
                "start, where the envelope journal replays them");
    }

    // Envelopes are acknowledged by the burst: those read back to back are
    // journaled in one write, acked in as few TCP segments as they fit and
    // handed to the router as one job. A burst ends when the socket has
    // nothing more to read, or at kMaxBurst envelopes.
    static constexpr std::size_t kMaxBurst = 256;
    struct AckTo {
        std::shared_ptr<Link> link;  // where the envelope came from
        Clock::time_point received;
        bool route = true;  // false: the caller routes it
    };
    struct Unacked {
        std::vector<ReceivedEnvelope> envelopes;  // as before_ack takes them
        std::vector<AckTo> acks;                  // one per envelope
    } unacked;
    std::uint64_t reads = 0;  // messages read, on any link
    Clock::time_point last_read;
    std::uint64_t reads_counted = 0;  // of those, in the metrics
    bool flush_check_posted = false;

    // By the burst too: the metrics' lock is shared with every thread.
    void count_reads() {
        metrics.increment(metric::kEnvelopesReceived, {},
                          static_cast<double>(reads - reads_counted));
        reads_counted = reads;
    }

    void queue_ack(const std::shared_ptr<Link>& link, ReceivedEnvelope envelope,
                   Clock::time_point received, bool route) {
        unacked.envelopes.push_back(std::move(envelope));
        unacked.acks.push_back({link, received, route});
        if (unacked.envelopes.size() >= kMaxBurst) return flush_acks();
        if (flush_check_posted) return;
        flush_check_posted = true;
        post_flush_check(reads - 1);
    }

    // The burst goes on while messages keep coming in, and while the kernel
    // or TLS holds more bytes for a link (a frame read in two pieces completes
    // no message in between), for at most kMaxWaitForRead after the last
    // message: a link that stopped reading must not hold the acks back.
    static constexpr auto kMaxWaitForRead = std::chrono::milliseconds(1);
    void post_flush_check(std::uint64_t reads_before) {
        asio::post(io, [this, reads_before] {
            if (!unacked.envelopes.empty() &&
                (reads != reads_before ||
                 (more_to_read() && Clock::now() - last_read < kMaxWaitForRead)))
                return post_flush_check(reads);
            flush_check_posted = false;
            flush_acks();
        });
    }

    bool more_to_read() const {
        return std::any_of(links.begin(), links.end(),
                           [](const auto& link) { return !link->ended && link->more_to_read(); });
    }

    void flush_acks() {
        if (unacked.envelopes.empty()) return;
        Unacked burst = std::exchange(unacked, {});
        count_reads();
        if (events.before_ack) events.before_ack(burst.envelopes);
        acknowledge(burst);
        std::vector<ReceivedEnvelope> to_route;
        for (std::size_t i = 0; i < burst.envelopes.size(); ++i)
            if (burst.acks[i].route) to_route.push_back(std::move(burst.envelopes[i]));
        if (!to_route.empty())
            to_router([this, to_route = std::move(to_route)] {
                for (const auto& envelope : to_route) route(envelope.head, envelope.text);
            });
    }

    void acknowledge(const Unacked& burst) {
        // A link we are closing can send no more frames: Slack may still
        // deliver on it until our close arrives, so ack on the live one.
        std::map<std::shared_ptr<Link>, std::vector<std::string>> acks;
        for (std::size_t i = 0; i < burst.envelopes.size(); ++i) {
            const auto& link = burst.acks[i].link;
            const auto& via = link->closing() && live ? live : link;
            acks[via].push_back(ack_for(burst.envelopes[i].head.envelope_id));
        }
        for (auto& [link, texts] : acks) link->send(std::move(texts));
        const auto now = Clock::now();
        std::vector<double> latencies;
        for (const auto& ack : burst.acks)
            latencies.push_back(std::chrono::duration<double>(now - ack.received).count());
        metrics.increment(metric::kEnvelopesAcked, {}, static_cast<double>(latencies.size()));
        metrics.observe(metric::kAckLatency, latencies);
    }

    // On the routing thread. An envelope the quick reader took but the full
    // parser refuses was acknowledged: it goes on as `other`, so that it is
    // logged and its journal entry closed.
    void route(const EnvelopeHead& head, const std::string& text) {
        auto parsed = parse_envelope(text);
        Envelope envelope;
        if (parsed) {
            envelope = std::move(parsed).value();
        } else {
            spdlog::warn("slack: acknowledged envelope {} is malformed ({} bytes): {}",
                         head.envelope_id, text.size(), parsed.error().message);
            static_cast<EnvelopeHead&>(envelope) = head;
            envelope.type = EnvelopeType::other;
        }
        if (events.on_envelope) events.on_envelope(std::move(envelope));
    }

    void on_disconnect(const std::shared_ptr<Link>& link, const std::string& reason) {
        if (reason == "link_disabled") {
            spdlog::error("slack: Socket Mode was turned off for this app (link_disabled)");
            if (events.on_fatal)
                events.on_fatal(
                    "Slack disabled Socket Mode for this app (link_disabled): turn it "
                    "back on under Socket Mode in the app's settings, then restart");
            stopping = true;
            return notify();
        }
        spdlog::info("slack: link {} asked to refresh ({})", link->id, reason);
        link->refresh_requested = true;
        notify();
    }

    // Silence past the ping interval gets a ping; past twice the interval
    // the link is dead. Any frame counts, pongs included. One loop watches
    // every link; it holds none across a wait, so it may be left suspended.
    asio::awaitable<void> watch_links() {
        while (!stopping) {
            watchdog.expires_after(options.ping_interval / 4);
            beast::error_code ec;
            co_await watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            for (const auto& link : std::vector(links)) check_silence(*link);
        }
    }

    void check_silence(Link& link) {
        const auto silent = Clock::now() - link.last_frame;
        if (silent >= options.ping_interval * 2) {
            spdlog::warn(
                "slack: link {} silent for {}, even to a ping; dropping it", link.id,
                format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(silent)));
            link.abort();
        } else if (silent >= options.ping_interval) {
            link.ping();
        }
    }

    void start_reading(const std::shared_ptr<Link>& link) {
        asio::co_spawn(io, read_loop(link), asio::detached);
    }

    void start_retiring(const std::shared_ptr<Link>& link) {
        asio::co_spawn(io, retire(link), asio::detached);
    }

    // After a refresh the old link stays open until it has gone quiet: once
    // our close frame is out, Beast drops whatever Slack still sent on it.
    asio::awaitable<void> retire(std::shared_ptr<Link> link) {
        using namespace std::chrono_literals;
        const auto quiet = std::min<Clock::duration>(options.ping_interval / 2, 1s);
        const auto give_up = Clock::now() + 10s;
        asio::steady_timer timer(io);
        while (!link->ended && !stopping && Clock::now() < give_up &&
               Clock::now() - link->last_frame < quiet) {
            timer.expires_after(quiet / 4);
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        spdlog::debug("slack: closing link {} after the refresh", link->id);
        flush_acks();  // the burst's acks before our close frame
        link->close();
    }

    asio::awaitable<void> read_loop(std::shared_ptr<Link> link) {
        try {
            for (;;) {
                std::string text = co_await link->read();
                const auto now = Clock::now();
                link->last_frame = now;
                last_read = now;
                ++reads;
                handle_message(link, std::move(text), now);
            }
        } catch (const std::exception& e) {
            if (!stopping) spdlog::debug("slack: link {} ended: {}", link->id, e.what());
        }
        link->ended = true;
        std::erase(links, link);
        notify();
    }

    // Connects and waits for hello; null when that failed.
    asio::awaitable<std::shared_ptr<Link>> open_link(const Target& target) {
        const auto& url = target.url;
        const auto link = make_link(*url);
        try {
            co_await link->connect(*url, target.endpoints, options);
        } catch (const std::exception& e) {
            spdlog::warn("slack: cannot open the WebSocket to {} ({}): {}{}", url->host, link->step,
                         e.what(),
                         certificate_refused(e)
                             ? " — the server's certificate was not trusted: check the system CA "
                               "certificates (SSL_CERT_FILE, SSL_CERT_DIR) and the host name"
                             : "");
            co_return nullptr;
        }
        links.push_back(link);
        start_reading(link);
        const auto greeted = [&link] { return link->hello || link->ended; };
        co_await wait_for(greeted, options.connect_timeout);
        if (link->hello && !link->ended) co_return link;
        spdlog::warn("slack: no hello on link {} within {}", link->id,
                     format_duration(options.connect_timeout));
        link->abort();
        co_return nullptr;
    }

    asio::awaitable<void> supervise() {
        int failures = 0;
        std::optional<Clock::time_point> down_since = Clock::now();
        std::shared_ptr<Link> current;
        while (!stopping) {
            Target target = co_await fetch_target();
            const ConnectionUrl& url = target.answer;
            if (stopping) break;
            if (!url.ok) {
                if (url.fatal) {
                    if (events.on_fatal) events.on_fatal(url.error);
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
                    connected = false;
                    metrics.set(metric::kSlackConnected, 0);
                    current.reset();
                    down_since = Clock::now();
                }
                co_await sleep(backoff_delay(++failures));
                continue;
            }
            live = link;
            if (current) start_retiring(current);  // the new link is live: no gap
            current = link;
            connected = true;
            metrics.set(metric::kSlackConnected, 1);
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
            connected = false;
            metrics.set(metric::kSlackConnected, 0);
            metrics.increment(metric::kReconnects);
            down_since = Clock::now();
            // The first reconnect is immediate; a link that drops again soon
            // after opening counts as a failure, so a flapping connection
            // backs off instead of looping.
            const bool stable = Clock::now() - current->opened > options.ping_interval * 3;
            if (stable) failures = 0;
            if (!stopping)
                spdlog::warn("slack: connection lost (link {}); reconnecting", current->id);
            current.reset();
            co_await sleep(backoff_delay(failures++));
        }
        connected = false;
        flush_acks();
        for (auto& link : std::vector(links)) link->close();
        co_await await_closed();
        finished = true;
    }

    // A clean goodbye: each close handshake gets a moment, so Slack sees a
    // close frame rather than a reset. wait_for() cannot serve here: it
    // returns at once while stopping.
    asio::awaitable<void> await_closed() {
        using namespace std::chrono_literals;
        const auto give_up = Clock::now() + 1s;
        asio::steady_timer timer(io);
        while (!links.empty() && Clock::now() < give_up) {
            timer.expires_after(10ms);
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (links.empty()) spdlog::info("slack: Socket Mode link closed");
    }
};

SocketModeClient::SocketModeClient(SocketModeOptions options,
                                   std::function<ConnectionUrl()> open_connection,
                                   SocketModeEvents events, Metrics& metrics)
    : impl_(std::make_shared<Impl>(options, std::move(open_connection), std::move(events),
                                   metrics)) {}

SocketModeClient::~SocketModeClient() {
    stop();
}

void SocketModeClient::start() {
    asio::co_spawn(impl_->io, impl_->supervise(), asio::detached);
    asio::co_spawn(impl_->io, impl_->watch_links(), asio::detached);
    impl_->thread = std::thread([impl = impl_] {
        pthread_setname_np(pthread_self(), "slack-socket");
        impl->io.run();
    });
}

void SocketModeClient::stop() {
    if (!impl_->thread.joinable()) return;
    asio::post(impl_->io, [impl = impl_] {
        impl->stopping = true;
        impl->notify();
    });
    // Slack may not finish the close handshake: give it a moment, then stop.
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (!impl_->finished && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    impl_->io.stop();
    impl_->thread.join();
    impl_->blocking.join();
    // What was acknowledged is routed, not dropped: routing only parses and
    // queues, so this is quick.
    impl_->routing.drain(std::chrono::seconds(10));
    impl_->routing.stop();
}

bool SocketModeClient::connected() const {
    return impl_->connected;
}

}  // namespace opsbot::slack
