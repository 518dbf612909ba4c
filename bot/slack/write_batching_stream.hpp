#pragma once
// A stream layer under the Socket Mode WebSocket that, while held, gathers
// what Beast writes and sends it in one write when released: a burst of acks
// goes out in one system call (and one TLS record) instead of one each.
// While not held, writes go straight through once earlier bytes are out.
//
// Beast is told a gathered write succeeded at once; when the real write
// fails, the socket is closed, so that the pending read fails and the link is
// replaced (Slack redelivers what was not acknowledged). Closing the
// connection (Beast's teardown) first sends what was gathered: Beast's close
// reply may be among it.
//
// The next layer lives in state shared with the write in flight: an SSL
// stream's write touches the stream until its handler runs, which can be
// after this object is gone.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <memory>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace opsbot::slack {

template <class NextLayer>
class WriteBatchingStream {
public:
    using executor_type = typename NextLayer::executor_type;
    using next_layer_type = NextLayer;

    template <class... Args>
    explicit WriteBatchingStream(Args&&... args)
        : state_(std::make_shared<State>(std::forward<Args>(args)...)) {}
    // A write in flight ends at once (aborted) and lets go of the state.
    ~WriteBatchingStream() {
        if (state_->writing) close_socket(*state_);
    }
    WriteBatchingStream(const WriteBatchingStream&) = delete;
    WriteBatchingStream& operator=(const WriteBatchingStream&) = delete;

    executor_type get_executor() noexcept { return state_->next.get_executor(); }
    NextLayer& next_layer() noexcept { return state_->next; }
    const NextLayer& next_layer() const noexcept { return state_->next; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return state_->next.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& data) {
                auto& state = *state_;
                if (!state.held && !state.writing && state.gathered.empty() && !state.failed)
                    return state.next.async_write_some(data, std::move(handler));
                const auto size = state.failed ? 0 : boost::asio::buffer_size(data);
                const auto at = state.gathered.size();
                state.gathered.resize(at + size);
                boost::asio::buffer_copy(boost::asio::buffer(state.gathered.data() + at, size),
                                         data);
                // Never complete inside the initiating call.
                boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                      std::move(handler), state.failed, size));
                if (!state.held) send_gathered(state_);
            },
            token, buffers);
    }

    // Gathers writes from now on.
    void hold() { state_->held = true; }
    // Sends what was gathered; the writes after it go out in order.
    void release() {
        state_->held = false;
        send_gathered(state_);
    }

    // Releases, and calls handler(error_code) once everything gathered is out
    // (or failed).
    template <class Handler>
    void async_flush(Handler&& handler) {
        release();
        if (!state_->writing) {
            boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                  std::forward<Handler>(handler), state_->failed));
            return;
        }
        state_->flushed.async_wait(
            [state = state_, handler = std::forward<Handler>(handler)](
                boost::beast::error_code) mutable { std::move(handler)(state->failed); });
    }

private:
    struct State {
        template <class... Args>
        explicit State(Args&&... args)
            : next(std::forward<Args>(args)...), flushed(next.get_executor()) {
            flushed.expires_at(boost::asio::steady_timer::time_point::max());
        }
        NextLayer next;
        boost::asio::steady_timer flushed;  // cancelled when nothing is left to send
        std::string gathered, in_flight;
        bool held = false;
        bool writing = false;
        boost::beast::error_code failed;
    };

    static void close_socket(State& state) {
        boost::beast::error_code ignored;
        boost::beast::get_lowest_layer(state.next).socket().close(ignored);
    }

    static void send_gathered(const std::shared_ptr<State>& state) {
        if (state->writing || state->gathered.empty()) return;
        state->writing = true;
        state->in_flight.swap(state->gathered);
        state->gathered.clear();
        boost::asio::async_write(state->next, boost::asio::buffer(state->in_flight),
                                 [state](boost::beast::error_code ec, std::size_t) {
                                     state->writing = false;
                                     state->in_flight.clear();
                                     if (ec) {
                                         state->failed = ec;
                                         state->gathered.clear();
                                         close_socket(*state);
                                     } else if (!state->held) {
                                         send_gathered(state);
                                     }
                                     if (!state->writing) state->flushed.cancel();
                                 });
    }

    std::shared_ptr<State> state_;
};

// How Beast's WebSocket closes the layer under it: through to the next one,
// once what was gathered is out. Opsbot uses only the asynchronous close.
template <class NextLayer>
void teardown(boost::beast::role_type role, WriteBatchingStream<NextLayer>& stream,
              boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, stream.next_layer(), ec);
}

template <class NextLayer, class Handler>
void async_teardown(boost::beast::role_type role, WriteBatchingStream<NextLayer>& stream,
                    Handler&& handler) {
    // Beast's WebSocket owns the stream and keeps it alive until its
    // handler runs.
    stream.async_flush([role, &stream, handler = std::forward<Handler>(handler)](
                           boost::beast::error_code) mutable {
        using boost::beast::websocket::async_teardown;
        async_teardown(role, stream.next_layer(), std::move(handler));
    });
}

}  // namespace opsbot::slack
