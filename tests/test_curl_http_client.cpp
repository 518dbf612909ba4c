#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "adapters/http/curl_http_client.hpp"
#include "tests/fakes/fake_http_server.hpp"

using opsbot::CurlHttpClient;
using opsbot::CurlOptions;
using opsbot::HttpRequest;
using opsbot::test::FakeHttpServer;
using opsbot::test::FakeResponse;
using opsbot::test::RecordedRequest;

namespace {

// Nothing listens on port 1 of the loopback interface.
constexpr const char* kRefusedUrl = "http://127.0.0.1:1/api/chat.postMessage";
constexpr const char* kSecretToken = "xoxb-1111-2222-curltestsecretvalue";

HttpRequest request(std::string method, std::string url, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.body = std::move(body);
    return r;
}

FakeResponse echo(const RecordedRequest& r) {
    return FakeResponse{201, r.body, "text/plain", {{"X-Seen-Method", r.method}}};
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE("curl: POST and GET carry headers and body both ways") {
    FakeHttpServer server;
    server.route("*", "/echo", echo);
    CurlHttpClient client;

    auto post = request("POST", server.base_url() + "/echo?x=1", R"({"hello":"wörld"})");
    post.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"X-Trace", "abc"}};
    const auto posted = client.send(post);
    REQUIRE(posted.ok());
    CHECK(posted.value().status == 201);
    CHECK(posted.value().body == R"({"hello":"wörld"})");
    CHECK(posted.value().header("x-seen-method") == "POST");
    CHECK(posted.value().header("Content-Type") == "text/plain");

    auto get = request("GET", server.base_url() + "/echo/get");
    get.headers = {{"Accept", "text/plain"}};
    const auto got = client.send(get);
    REQUIRE(got.ok());
    CHECK(got.value().status == 201);
    CHECK(got.value().body.empty());
    CHECK(got.value().header("X-Seen-Method") == "GET");

    const auto seen = server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/echo?x=1");
    CHECK(seen[0].body == R"({"hello":"wörld"})");
    CHECK(seen[0].header("Content-Type") == "application/json; charset=utf-8");
    CHECK(seen[0].header("X-Trace") == "abc");
    CHECK(seen[0].header("Expect").empty());
    CHECK(seen[1].method == "GET");
    CHECK(seen[1].header("Accept") == "text/plain");
}

TEST_CASE("curl: a reused handle forgets the previous call's headers, body and method") {
    FakeHttpServer server;
    server.route("*", "/echo", echo);
    CurlHttpClient client({.max_connections = 1});

    auto put = request("PUT", server.base_url() + "/echo", "first body");
    put.headers = {{"Authorization", std::string("Bearer ") + kSecretToken}, {"X-Only-Once", "1"}};
    REQUIRE(client.send(put).ok());
    const auto got = client.send(request("GET", server.base_url() + "/echo"));
    REQUIRE(got.ok());
    CHECK(got.value().header("X-Seen-Method") == "GET");

    const auto seen = server.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].method == "PUT");
    CHECK(seen[0].body == "first body");
    CHECK(seen[1].method == "GET");
    CHECK(seen[1].body.empty());
    CHECK(seen[1].header("Authorization").empty());
    CHECK(seen[1].header("X-Only-Once").empty());
    CHECK(server.connections_accepted() == 1);
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("curl: a 500 is a response, not an error") {
    FakeHttpServer server;
    server.route("POST", "/boom", [](const RecordedRequest&) {
        return FakeResponse{500, "<html>oops</html>", "text/html", {{"Retry-After", "3"}}};
    });
    CurlHttpClient client;

    const auto answer = client.send(request("POST", server.base_url() + "/boom", "{}"));
    REQUIRE(answer.ok());
    CHECK(answer.value().status == 500);
    CHECK(answer.value().body == "<html>oops</html>");
    CHECK(answer.value().header("retry-after") == "3");
}

TEST_CASE("curl: connection refused is a network error that names the URL without its query") {
    CurlHttpClient client;
    auto refused = request("POST", std::string(kRefusedUrl) + "?token=" + kSecretToken, "{}");
    refused.headers = {{"Authorization", std::string("Bearer ") + kSecretToken}};

    const auto answer = client.send(refused);
    REQUIRE_FALSE(answer.ok());
    const auto& error = answer.error();
    CHECK(error.code == "network");
    CHECK(ends_with(error.message, std::string(" calling ") + kRefusedUrl));
    CHECK(error.hint == "check that the service is up and reachable from this host");
    for (const std::string& text : {error.message, error.hint}) {
        CHECK(text.find(kSecretToken) == std::string::npos);
        CHECK(text.find("token=") == std::string::npos);
        CHECK(text.find("Bearer") == std::string::npos);
    }
    CHECK(client.connections_opened() == 0);
}

TEST_CASE("curl: an answer slower than the request timeout is a network error") {
    FakeHttpServer server;
    server.route("GET", "/slow", [](const RecordedRequest&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        return FakeResponse{200, "late", "text/plain", {}};
    });
    CurlHttpClient client;
    auto slow = request("GET", server.base_url() + "/slow?api_key=" + kSecretToken);
    slow.headers = {{"Authorization", std::string("Bearer ") + kSecretToken}};
    slow.timeout = std::chrono::milliseconds(100);

    // Had the timeout not fired, the late 200 would make this succeed.
    const auto answer = client.send(slow);

    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error().code == "network");
    CHECK(answer.error().message.find("timed out") != std::string::npos);
    CHECK(ends_with(answer.error().message, " calling " + server.base_url() + "/slow"));
    CHECK(answer.error().hint ==
          "the service did not answer in time; check that it is up, or raise the timeout");
    CHECK(answer.error().message.find(kSecretToken) == std::string::npos);
}

TEST_CASE("curl: 200 calls from 4 threads open no more than max_connections connections") {
    FakeHttpServer server;
    server.route("POST", "/count", [](const RecordedRequest& r) {
        return FakeResponse{200, r.body, "text/plain", {}};
    });
    CurlHttpClient client({.max_connections = 3});
    std::atomic<int> good{0};

    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const std::string body = std::to_string(t) + "-" + std::to_string(i);
                const auto answer =
                    client.send(request("POST", server.base_url() + "/count", body));
                if (answer.ok() && answer.value().status == 200 && answer.value().body == body)
                    ++good;
            }
        });
    for (auto& thread : threads) thread.join();

    CHECK(good == 200);
    CHECK(server.requests().size() == 200);
    CHECK(client.connections_opened() >= 1);
    CHECK(client.connections_opened() <= 3);
    CHECK(server.connections_accepted() <= 3);
    CHECK(server.connections_accepted() == client.connections_opened());
}
