#pragma once
// A minimal keep-alive HTTP/1.1 client on a blocking socket, for load
// generators: requests are serialised before the clock starts, and sending
// one costs a write and a read, so the benchmark measures opsbot rather than
// the client. Loopback only; Content-Length bodies only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "core/http.hpp"

namespace opsbot::bench {

// "POST /hooks/sentry HTTP/1.1" with its headers and body, ready to write.
inline std::string serialise(const HttpRequest& request, const std::string& path) {
    std::string out = request.method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
    return out + request.body;
}

class RawHttpConnection {
public:
    explicit RawHttpConnection(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
        const int one = 1;
        if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~RawHttpConnection() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawHttpConnection(const RawHttpConnection&) = delete;
    RawHttpConnection& operator=(const RawHttpConnection&) = delete;

    // The response status, or 0 when the connection failed.
    int send(const std::string& request) {
        if (fd_ < 0) return 0;
        for (std::size_t sent = 0; sent < request.size();) {
            const auto n = ::write(fd_, request.data() + sent, request.size() - sent);
            if (n <= 0) return 0;
            sent += static_cast<std::size_t>(n);
        }
        return read_response();
    }

private:
    int read_response() {
        std::size_t header_end;
        while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return 0;
        const int status = std::stoi(buffer_.substr(9, 3));
        std::size_t length = 0;
        const auto at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < header_end)
            length = std::stoul(buffer_.substr(at + 16));
        while (buffer_.size() < header_end + 4 + length)
            if (!fill()) return 0;
        buffer_.erase(0, header_end + 4 + length);
        return status;
    }
    bool fill() {
        char chunk[8192];
        const auto n = ::read(fd_, chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buffer_;
};

}  // namespace opsbot::bench
