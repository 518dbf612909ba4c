// Whether a TLS connection holds input already taken off its socket, over a
// real TLS connection on loopback.

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "bot/slack/tls_input.hpp"
#include "tests/fakes/tls_identity.hpp"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using opsbot::slack::tls_holds_input;

TEST_CASE("tls input: bytes read off the socket but not yet taken count, the kernel's do not",
          "[slack][tls]") {
    const auto identity = opsbot::test::make_self_signed_identity({"IP:127.0.0.1"});
    ssl::context server_tls(ssl::context::tls_server);
    server_tls.use_certificate_chain(asio::buffer(identity.certificate_pem));
    server_tls.use_private_key(asio::buffer(identity.private_key_pem), ssl::context::pem);
    // No session tickets: nothing arrives after the test's own bytes.
    SSL_CTX_set_num_tickets(server_tls.native_handle(), 0);
    ssl::context client_tls(ssl::context::tls_client);  // trust is not this test's subject

    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    ssl::stream<tcp::socket> server(io, server_tls), client(io, client_tls);
    client.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server.next_layer());
    boost::system::error_code server_ec, client_ec;
    server.async_handshake(ssl::stream_base::server, [&](auto ec) { server_ec = ec; });
    client.async_handshake(ssl::stream_base::client, [&](auto ec) { client_ec = ec; });
    io.run();
    REQUIRE_FALSE(server_ec);
    REQUIRE_FALSE(client_ec);

    // One record, smaller than what asio reads off the socket at once.
    const std::string sent(12 * 1024, 'e');
    asio::write(server, asio::buffer(sent));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (client.next_layer().available() <= sent.size() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(client.next_layer().available() > sent.size());
    CHECK_FALSE(tls_holds_input(client.native_handle()));  // all of it is still the kernel's

    std::string received(100, '\0');
    asio::read(client, asio::buffer(received));
    CHECK(client.next_layer().available() == 0);
    CHECK(tls_holds_input(client.native_handle()));  // the rest waits in OpenSSL

    std::string rest(sent.size() - received.size(), '\0');
    asio::read(client, asio::buffer(rest));
    CHECK(received + rest == sent);
    CHECK_FALSE(tls_holds_input(client.native_handle()));
}
