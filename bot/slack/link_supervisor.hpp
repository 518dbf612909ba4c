#pragma once
// Keeps one Socket Mode link live: apps.connections.open, connect, wait for
// hello, read; a refresh opens the next link before the old one closes; a
// link that went silent is replaced; a lost one is reconnected with backoff.
// Runs on the socket thread. Internal to opsbot_net: it pulls in Asio.

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "bot/slack/socket_link.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "core/metrics.hpp"

namespace opsbot::slack {

class AckBatcher;

class LinkSupervisor {
public:
    struct Hooks {
        std::function<ConnectionUrl()> open_connection;  // blocks: run off the socket thread
        std::function<void(const std::string& reason)> on_fatal;
        // Each message read, in order.
        std::function<void(const LinkPtr& link, std::string text, LinkClock::time_point received)>
            on_message;
    };

    LinkSupervisor(boost::asio::io_context& io, SocketModeOptions options, LinkSet& links,
                   AckBatcher& acks, Metrics& metrics, Hooks hooks);
    ~LinkSupervisor();
    LinkSupervisor(const LinkSupervisor&) = delete;
    LinkSupervisor& operator=(const LinkSupervisor&) = delete;

    void start();  // on the io_context, before it runs
    // On the socket thread: closes the links and ends the loops; finished()
    // becomes ready once the links are closed (or given up on).
    void stop();
    std::shared_future<void> finished() const { return finished_; }
    void join();  // once the io_context stopped: the blocking thread

    bool connected() const { return connected_; }
    void on_hello(Link& link);
    void on_disconnect(const LinkPtr& link, const std::string& reason);

private:
    struct Target;
    struct PendingTarget;

    template <class Done>
    boost::asio::awaitable<void> wait_for(const Done& done, LinkClock::duration timeout);
    static void resolve(Target& target, boost::asio::thread_pool& pool);
    std::chrono::milliseconds backoff_delay(int failures);
    boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay);
    void request_target(const std::shared_ptr<PendingTarget>& pending);
    boost::asio::awaitable<Target> fetch_target();
    LinkPtr make_link(const WsUrl& url);
    boost::asio::awaitable<LinkPtr> open_link(const Target& target);
    // Not coroutines: they build the by-value arguments of the ones they start.
    void start_reading(const LinkPtr& link);
    void start_retiring(const LinkPtr& link);
    boost::asio::awaitable<void> read_loop(LinkPtr link);
    boost::asio::awaitable<void> retire(LinkPtr link);
    boost::asio::awaitable<void> supervise();
    boost::asio::awaitable<void> await_closed();
    boost::asio::awaitable<void> watch();
    LinkClock::time_point check_silence(Link& link);
    void notify();

    boost::asio::io_context& io_;
    SocketModeOptions options_;
    LinkSet& links_;
    AckBatcher& acks_;
    Metrics& metrics_;
    Hooks hooks_;
    // Made on the first wss:// link: loading the CA store costs tens of ms.
    std::unique_ptr<boost::asio::ssl::context> tls_;
    boost::asio::thread_pool blocking_{1};  // apps.connections.open, off the socket thread
    boost::asio::steady_timer wake_;
    boost::asio::steady_timer watchdog_;  // watch() waits on it
    std::atomic<bool> connected_{false};
    bool stopping_ = false;
    int next_link_id_ = 1;
    std::mt19937 random_{std::random_device{}()};
    std::promise<void> done_;
    std::shared_future<void> finished_ = done_.get_future().share();
};

}  // namespace opsbot::slack
