// AWS Signature Version 4 as S3 wants it: the canonical request, the string
// to sign and the HMAC chain, for the Authorization header and for presigned
// URLs. Checked byte for byte against AWS's worked examples in
// tests/test_sigv4.cpp.

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/s3.hpp"
#include "core/digest.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::aws {
namespace {

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";
constexpr const char* kTerminator = "aws4_request";
constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";
// S3 refuses presigned URLs that live longer than a week.
constexpr std::chrono::seconds kMaxExpiry{604'800};

struct UrlParts {
    std::string origin;  // "https://host:port", as given
    std::string host;    // the Host header curl sends: lower case, default port dropped
    std::string path;    // as given, "" when absent
    std::string query;   // after '?', without the fragment
};

UrlParts split_url(std::string_view url) {
    UrlParts parts;
    url = url.substr(0, url.find('#'));
    const auto scheme_end = url.find("://");
    const std::string scheme =
        scheme_end == std::string_view::npos ? "" : to_lower(url.substr(0, scheme_end));
    const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const std::size_t authority_end =
        std::min(url.find_first_of("/?", authority_start), url.size());
    parts.origin = std::string(url.substr(0, authority_end));
    std::string authority = to_lower(url.substr(authority_start, authority_end - authority_start));
    if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
    if ((scheme == "https" && authority.ends_with(":443")) ||
        (scheme == "http" && authority.ends_with(":80")))
        authority.erase(authority.rfind(':'));
    parts.host = std::move(authority);
    const std::string_view rest = url.substr(authority_end);
    const auto question = rest.find('?');
    parts.path = std::string(rest.substr(0, question));
    if (question != std::string_view::npos) parts.query = std::string(rest.substr(question + 1));
    return parts;
}

// The path as S3 signs it: each byte encoded once, '/' kept. Decoding first
// makes an already encoded path ("/a%20b") and a raw one ("/a b") agree.
std::string canonical_uri(const std::string& path) {
    if (path.empty()) return "/";
    return uri_encode(percent_decode(path, false), false);
}

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

// Name and value decoded; '+' is itself, as in a path: S3 clients encode a
// space as %20, and a '+' they mean as %2B.
QueryPairs parse_query(std::string_view query) {
    QueryPairs pairs;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        if (!piece.empty()) {
            const auto eq = piece.find('=');
            pairs.emplace_back(percent_decode(piece.substr(0, eq), false),
                               eq == std::string_view::npos
                                   ? std::string()
                                   : percent_decode(piece.substr(eq + 1), false));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return pairs;
}

// Sorted by encoded name, then encoded value; an empty value keeps "name=".
std::string canonical_query(const QueryPairs& pairs) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(pairs.size());
    for (const auto& [name, value] : pairs)
        encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name + "=" + value;
    }
    return out;
}

// Trimmed, with every run of spaces and tabs inside made one space.
std::string canonical_value(std::string_view value) {
    std::string out;
    bool gap = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            gap = !out.empty();
            continue;
        }
        if (gap) out += ' ';
        gap = false;
        out += c;
    }
    return out;
}

std::vector<std::string> normalised_names(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& name : names) out.push_back(to_lower(trim(name)));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string amz_date(TimePoint now) {
    const std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(now));
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[20];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

std::string credential_scope(TimePoint now, const std::string& region, const std::string& service) {
    return amz_date(now).substr(0, 8) + "/" + region + "/" + service + "/" + kTerminator;
}

void remove_header(HttpHeaders& headers, std::string_view name) {
    const std::string wanted = to_lower(name);
    std::erase_if(headers, [&](const auto& header) { return to_lower(header.first) == wanted; });
}

}  // namespace

// RFC 3986 percent-encoding is SigV4's, byte for byte; keys keep their slashes.
std::string uri_encode(std::string_view text, bool encode_slash) {
    if (encode_slash) return percent_encode(text);
    std::string out;
    for (std::size_t start = 0;;) {
        const auto slash = text.find('/', start);
        out += percent_encode(text.substr(start, slash - start));
        if (slash == std::string_view::npos) return out;
        out += '/';
        start = slash + 1;
    }
}

std::string canonical_request(const HttpRequest& request,
                              const std::vector<std::string>& signed_headers,
                              const std::string& payload_hash) {
    const UrlParts url = split_url(request.url);
    const auto names = normalised_names(signed_headers);
    std::string headers;
    for (const auto& name : names) {
        std::string value;
        bool found = false;
        for (const auto& [key, given] : request.headers) {
            if (to_lower(key) != name) continue;
            if (found) value += ',';
            value += canonical_value(given);
            found = true;
        }
        // curl derives Host from the URL; the signature must cover that value.
        if (!found && name == "host") value = url.host;
        headers += name + ":" + value + "\n";
    }
    return request.method + "\n" + canonical_uri(url.path) + "\n" +
           canonical_query(parse_query(url.query)) + "\n" + headers + "\n" + join(names, ";") +
           "\n" + payload_hash;
}

std::string string_to_sign(const std::string& canonical_request, TimePoint now,
                           const std::string& region, const std::string& service) {
    return std::string(kAlgorithm) + "\n" + amz_date(now) + "\n" +
           credential_scope(now, region, service) + "\n" + sha256_hex(canonical_request);
}

std::string signature(const std::string& secret_access_key, TimePoint now,
                      const std::string& region, const std::string& service,
                      const std::string& string_to_sign) {
    const std::string date_key =
        hmac_sha256("AWS4" + secret_access_key, amz_date(now).substr(0, 8));
    const std::string region_key = hmac_sha256(date_key, region);
    const std::string service_key = hmac_sha256(region_key, service);
    const std::string signing_key = hmac_sha256(service_key, kTerminator);
    return hex(hmac_sha256(signing_key, string_to_sign));
}

void sign_request(HttpRequest& request, const Credentials& credentials, const std::string& region,
                  const std::string& service, TimePoint now) {
    // Signing again (a retry) replaces the previous signature and its date.
    for (const char* name :
         {"Authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"})
        remove_header(request.headers, name);
    const std::string payload_hash = sha256_hex(request.body);
    request.headers.emplace_back("x-amz-date", amz_date(now));
    request.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!credentials.session_token.empty())
        request.headers.emplace_back("x-amz-security-token", credentials.session_token);

    std::vector<std::string> names{"host"};
    for (const auto& [name, value] : request.headers)
        if (starts_with(to_lower(name), "x-amz-")) names.push_back(name);
    names = normalised_names(names);

    const std::string canonical = canonical_request(request, names, payload_hash);
    const std::string to_sign = string_to_sign(canonical, now, region, service);
    request.headers.emplace_back(
        "Authorization",
        std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
            credential_scope(now, region, service) + ", SignedHeaders=" + join(names, ";") +
            ", Signature=" +
            signature(credentials.secret_access_key, now, region, service, to_sign));
}

std::string presign_url(const std::string& method, const std::string& url,
                        const Credentials& credentials, const std::string& region,
                        const std::string& service, TimePoint now, std::chrono::seconds expires) {
    expires = std::clamp(expires, std::chrono::seconds(1), kMaxExpiry);
    const UrlParts parts = split_url(url);
    QueryPairs query = parse_query(parts.query);
    query.emplace_back("X-Amz-Algorithm", kAlgorithm);
    query.emplace_back("X-Amz-Credential",
                       credentials.access_key_id + "/" + credential_scope(now, region, service));
    query.emplace_back("X-Amz-Date", amz_date(now));
    query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    if (!credentials.session_token.empty())
        query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    query.emplace_back("X-Amz-SignedHeaders", "host");

    // The URL handed out is the one signed, byte for byte: canonical path and query.
    const std::string path = canonical_uri(parts.path);
    const std::string signed_query = canonical_query(query);
    HttpRequest request;
    request.method = method;
    request.url = parts.origin + path + "?" + signed_query;
    const std::string canonical = canonical_request(request, {"host"}, kUnsignedPayload);
    const std::string to_sign = string_to_sign(canonical, now, region, service);
    return request.url + "&X-Amz-Signature=" +
           signature(credentials.secret_access_key, now, region, service, to_sign);
}

}  // namespace opsbot::aws
