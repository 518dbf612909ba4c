// The layer under the Socket Mode WebSocket that gathers a burst's writes,
// over real loopback sockets.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "bot/slack/write_batching_stream.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using opsbot::slack::WriteBatchingStream;

namespace {

struct LoopbackPair {
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    WriteBatchingStream<beast::tcp_stream> client{io};
    tcp::socket server{io};

    LoopbackPair() {
        beast::get_lowest_layer(client).connect(acceptor.local_endpoint());
        acceptor.accept(server);
    }

    // Writes each text in turn, as Beast does: the next once the last completed.
    std::vector<beast::error_code> write_all(const std::vector<std::string>& texts) {
        std::vector<beast::error_code> results;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (const auto& text : texts) {
                    beast::error_code ec;
                    co_await asio::async_write(client, asio::buffer(text),
                                               asio::redirect_error(asio::use_awaitable, ec));
                    results.push_back(ec);
                }
            },
            asio::detached);
        io.restart();
        io.run();
        return results;
    }

    std::string read_server(std::size_t size) {
        std::string bytes(size, '\0');
        asio::read(server, asio::buffer(bytes));
        return bytes;
    }
};

}  // namespace

TEST_CASE("held writes complete at once and leave together, in order, when released") {
    LoopbackPair pair;
    pair.client.hold();
    const auto results = pair.write_all({"one ", "two ", "three "});
    REQUIRE(results.size() == 3);
    for (const auto& ec : results) CHECK_FALSE(ec);
    // Loopback delivers within the sending call: held bytes were not sent.
    CHECK(pair.server.available() == 0);

    pair.client.release();
    pair.io.restart();
    pair.io.run();
    CHECK(pair.read_server(14) == "one two three ");

    // Released: a lone write goes straight through.
    CHECK_FALSE(pair.write_all({"four"}).at(0));
    CHECK(pair.read_server(4) == "four");
}

TEST_CASE("writes made while gathered bytes are on their way follow them") {
    LoopbackPair pair;
    // Larger than the socket buffers: its write is still out while the peer
    // does not read.
    const std::string big(16 << 20, 'b');
    pair.client.hold();
    pair.write_all({big});
    std::vector<beast::error_code> results;
    asio::co_spawn(
        pair.io,
        [&]() -> asio::awaitable<void> {
            pair.client.release();
            for (const std::string text : {"second ", "third"}) {
                beast::error_code ec;
                co_await asio::async_write(pair.client, asio::buffer(text),
                                           asio::redirect_error(asio::use_awaitable, ec));
                results.push_back(ec);
            }
        },
        asio::detached);
    std::string read;
    std::thread reader([&] { read = pair.read_server(big.size() + 12); });
    pair.io.restart();
    pair.io.run();
    reader.join();
    REQUIRE(results.size() == 2);
    for (const auto& ec : results) CHECK_FALSE(ec);
    REQUIRE(read.size() == big.size() + 12);
    CHECK(read.compare(0, big.size(), big) == 0);
    CHECK(read.substr(big.size()) == "second third");
}

TEST_CASE("a gathered write that fails closes the socket and fails the writes after it") {
    LoopbackPair pair;
    // The peer resets the connection: the next send gets EPIPE/ECONNRESET.
    pair.server.set_option(asio::socket_base::linger(true, 0));
    pair.server.close();
    pair.client.hold();
    pair.write_all({"lost"});
    pair.client.release();
    pair.io.restart();
    pair.io.run();
    CHECK_FALSE(beast::get_lowest_layer(pair.client).socket().is_open());
    const auto results = pair.write_all({"after"});
    REQUIRE(results.size() == 1);
    CHECK(results[0]);
}

// A WebSocket client over the layer and a plain server, on loopback.
struct WebSocketPair {
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    websocket::stream<WriteBatchingStream<beast::tcp_stream>> client{io};
    websocket::stream<beast::tcp_stream> server{io};

    asio::awaitable<void> accept() {
        co_await acceptor.async_accept(server.next_layer().socket(), asio::use_awaitable);
        co_await server.async_accept(asio::use_awaitable);
    }
    asio::awaitable<void> connect() {
        co_await beast::get_lowest_layer(client).async_connect(acceptor.local_endpoint(),
                                                               asio::use_awaitable);
        co_await client.async_handshake("127.0.0.1", "/", asio::use_awaitable);
    }
};

TEST_CASE("a WebSocket over the layer: frames gathered with a ping arrive whole and in order") {
    WebSocketPair pair;
    auto& [io, acceptor, client, server] = pair;
    std::vector<std::string> received;
    int pings = 0;
    std::size_t buffered_before_release = 1;
    server.control_callback([&](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::ping) ++pings;
    });

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pair.accept();
            for (int i = 0; i < 3; ++i) {
                beast::flat_buffer buffer;
                co_await server.async_read(buffer, asio::use_awaitable);
                received.push_back(beast::buffers_to_string(buffer.data()));
            }
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pair.connect();
            client.next_layer().hold();
            co_await client.async_write(asio::buffer(std::string("{\"envelope_id\":\"a\"}")),
                                        asio::use_awaitable);
            co_await client.async_ping({}, asio::use_awaitable);
            co_await client.async_write(asio::buffer(std::string("{\"envelope_id\":\"b\"}")),
                                        asio::use_awaitable);
            co_await client.async_write(asio::buffer(std::string(3000, 'x')), asio::use_awaitable);
            buffered_before_release = server.next_layer().socket().available() + received.size();
            client.next_layer().release();
        },
        asio::detached);
    io.run();

    CHECK(buffered_before_release == 0);
    REQUIRE(received.size() == 3);
    CHECK(received[0] == "{\"envelope_id\":\"a\"}");
    CHECK(received[1] == "{\"envelope_id\":\"b\"}");
    CHECK(received[2] == std::string(3000, 'x'));
    CHECK(pings == 1);
}

TEST_CASE("a WebSocket over the layer closes cleanly while writes are held") {
    WebSocketPair pair;
    auto& [io, acceptor, client, server] = pair;
    // Without the close reply, the server gives up after this and says so.
    server.set_option(websocket::stream_base::timeout{std::chrono::seconds(3),
                                                      websocket::stream_base::none(), false});
    beast::error_code server_close{websocket::error::closed}, client_read;

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pair.accept();
            beast::flat_buffer buffer;
            co_await server.async_read(buffer, asio::use_awaitable);  // "ready"
            co_await server.async_close(websocket::close_code::going_away,
                                        asio::redirect_error(asio::use_awaitable, server_close));
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await pair.connect();
            co_await client.async_write(asio::buffer(std::string("ready")), asio::use_awaitable);
            // Held and never released here: Beast's close reply lands in the
            // gathered bytes, behind this frame, and must still go out.
            client.next_layer().hold();
            co_await client.async_write(asio::buffer(std::string("gathered")), asio::use_awaitable);
            beast::flat_buffer buffer;
            co_await client.async_read(buffer,
                                       asio::redirect_error(asio::use_awaitable, client_read));
        },
        asio::detached);
    io.run();

    CHECK_FALSE(server_close);  // the close reply arrived: no timeout
    CHECK(client_read == websocket::error::closed);
}
