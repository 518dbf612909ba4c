#include "adapters/http/curl_http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot {
namespace {

std::once_flag curl_initialised;

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* headers = static_cast<HttpHeaders*>(user);
    const std::string_view line(data, size * count);
    // Each status line starts a new header block (after a 1xx or a redirect):
    // only the final response's headers are kept.
    if (starts_with(line, "HTTP/")) {
        headers->clear();
        return size * count;
    }
    if (const auto colon = line.find(':'); colon != std::string_view::npos)
        headers->emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    return size * count;
}

// scheme://host/path: no user info, query or fragment, which may carry secrets.
std::string printable_url(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto host_start = scheme_end + 3;
    const auto path_start = std::min(url.find('/', host_start), url.size());
    const auto at = url.substr(0, path_start).rfind('@');
    if (at == std::string_view::npos || at < host_start) return std::string(url);
    return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

std::string hint_for(CURLcode code) {
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
            return "the service did not answer in time; check that it is up, or raise the timeout";
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return "check the host name in the URL and DNS";
        case CURLE_COULDNT_CONNECT:
            return "check that the service is up and reachable from this host";
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
            return "TLS failed: check the server certificate and the CA bundle on this host";
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            return "check the URL: only http:// and https:// are supported";
        default:
            return "check that the service is up and reachable from this host";
    }
}

void set_long(CURL* handle, CURLoption option, long value) {
    curl_easy_setopt(handle, option, value);
}

struct HeaderList {
    curl_slist* list = nullptr;
    HeaderList() = default;
    HeaderList(const HeaderList&) = delete;
    HeaderList& operator=(const HeaderList&) = delete;
    ~HeaderList() { curl_slist_free_all(list); }

    void add(const std::string& line) {
        curl_slist* grown = curl_slist_append(list, line.c_str());
        if (!grown) throw std::bad_alloc();
        list = grown;
    }
};

}  // namespace

struct CurlHttpClient::Impl {
    CurlOptions options;
    std::mutex mutex;
    std::condition_variable handle_free;
    std::vector<CURL*> idle;      // each keeps its connection open for the next call
    std::size_t created = 0;      // handles in existence, idle or lent out
    std::size_t connections = 0;  // CURLINFO_NUM_CONNECTS, summed

    explicit Impl(CurlOptions o) : options(o) {
        options.max_connections = std::max<std::size_t>(options.max_connections, 1);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        for (CURL* handle : idle) curl_easy_cleanup(handle);
    }

    CURL* borrow() {
        std::unique_lock lock(mutex);
        handle_free.wait(lock, [&] { return !idle.empty() || created < options.max_connections; });
        if (!idle.empty()) {
            CURL* handle = idle.back();
            idle.pop_back();
            return handle;
        }
        CURL* handle = curl_easy_init();
        if (!handle) throw std::runtime_error("libcurl could not create a handle");
        ++created;
        return handle;
    }

    void give_back(CURL* handle, long new_connections) {
        {
            std::lock_guard lock(mutex);
            idle.push_back(handle);
            connections += static_cast<std::size_t>(std::max(new_connections, 0L));
        }
        handle_free.notify_one();
    }

    // A borrowed handle, returned to the pool on every path out of send().
    class Lease {
    public:
        explicit Lease(Impl& pool) : pool_(pool), handle_(pool.borrow()) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            long new_connections = 0;
            curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &new_connections);
            pool_.give_back(handle_, new_connections);
        }
        CURL* get() const { return handle_; }

    private:
        Impl& pool_;
        CURL* handle_;
    };
};

CurlHttpClient::CurlHttpClient(CurlOptions options) : impl_(std::make_unique<Impl>(options)) {
    std::call_once(curl_initialised, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("libcurl could not be initialised");
    });
}

CurlHttpClient::~CurlHttpClient() = default;

std::size_t CurlHttpClient::connections_opened() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->connections;
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
    Impl::Lease lease(*impl_);
    CURL* handle = lease.get();
    // Every option back to its default, so that no header, body or method of
    // the previous call leaks into this one; the open connection survives.
    curl_easy_reset(handle);

    HeaderList headers;
    // "Name;" is how curl sends a header with an empty value; "Name:" would drop it.
    for (const auto& [name, value] : request.headers)
        headers.add(value.empty() ? name + ";" : name + ": " + value);
    headers.add("Expect:");  // no 100-continue round trip before large bodies

    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    if (request.method == "GET") {
        set_long(handle, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
        set_long(handle, CURLOPT_NOBODY, 1L);
    } else {
        if (request.method != "POST")
            curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
            request.method == "PATCH") {
            curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
            curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size()));
        }
    }
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.list);
    set_long(handle, CURLOPT_NOSIGNAL, 1L);
    set_long(handle, CURLOPT_CONNECTTIMEOUT_MS,
             static_cast<long>(impl_->options.connect_timeout.count()));
    set_long(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    set_long(handle, CURLOPT_SSL_VERIFYPEER, impl_->options.verify_tls ? 1L : 0L);
    set_long(handle, CURLOPT_SSL_VERIFYHOST, impl_->options.verify_tls ? 2L : 0L);
    set_long(handle, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl decodes
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "opsbot");

    HttpResponse response;
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response.headers);
    char curl_said[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_said);

    const CURLcode code = curl_easy_perform(handle);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);  // curl_said dies with this frame
    if (code != CURLE_OK) {
        const std::string what = curl_said[0] ? curl_said : curl_easy_strerror(code);
        Error error{"network", redact(what + " calling " + printable_url(request.url)),
                    hint_for(code)};
        spdlog::debug("http: {} {}", request.method, error.message);
        return error;
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    spdlog::debug("http: {} {} -> {}", request.method, printable_url(request.url), response.status);
    return response;
}

}  // namespace opsbot
