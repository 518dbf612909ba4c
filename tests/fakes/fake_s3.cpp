#include "tests/fakes/fake_s3.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <utility>

#include "adapters/aws/s3.hpp"
#include "core/digest.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::test {
namespace {

using SystemTime = std::chrono::system_clock::time_point;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::chrono::minutes kAllowedSkew{15};
constexpr std::chrono::seconds kMaxExpires{604'800};

std::string xml_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// S3's error document: Code, Message, then whatever details S3 adds.
FakeResponse s3_error(int status, const std::string& code, const std::string& message,
                      const Pairs& details = {}) {
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                       "</Code><Message>" + xml_escape(message) + "</Message>";
    for (const auto& [name, value] : details)
        body += "<" + name + ">" + xml_escape(value) + "</" + name + ">";
    body += "<RequestId>4442587FB7D0A2F9</RequestId><HostId>fake/host/id=</HostId></Error>";
    return FakeResponse{status, std::move(body), "application/xml", {}};
}

FakeResponse failure(int status) {
    if (status == 503) return s3_error(503, "SlowDown", "Please reduce your request rate.");
    if (status == 500)
        return s3_error(500, "InternalError",
                        "We encountered an internal error. Please try again.");
    return s3_error(status, "ServiceUnavailable", "Service is unable to handle request.");
}

// "20261124T031245Z" → a time; nothing for anything else.
std::optional<SystemTime> parse_amz_date(std::string_view text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
    auto number = [&](std::size_t at, std::size_t length) {
        int value = -1;
        const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, value);
        return ec == std::errc() && end == text.data() + at + length ? value : -1;
    };
    std::tm utc{};
    utc.tm_year = number(0, 4) - 1900;
    utc.tm_mon = number(4, 2) - 1;
    utc.tm_mday = number(6, 2);
    utc.tm_hour = number(9, 2);
    utc.tm_min = number(11, 2);
    utc.tm_sec = number(13, 2);
    if (utc.tm_year < 0 || utc.tm_mon < 0 || utc.tm_mday < 1 || utc.tm_hour < 0 || utc.tm_min < 0 ||
        utc.tm_sec < 0)
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string http_date(SystemTime time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return text;
}

// S3 shows times in listings as "2026-11-24T03:12:45.000Z".
std::string listing_date(SystemTime time) {
    const std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &utc);
    return text;
}

std::string etag(const std::string& bytes) {
    return "\"" + sha256_hex(bytes).substr(0, 32) + "\"";
}

// The raw query split into decoded pairs, in the order sent.
Pairs query_pairs(std::string_view query) {
    Pairs pairs;
    for (const auto& piece : split(query, '&')) {
        const auto eq = piece.find('=');
        pairs.emplace_back(
            percent_decode(piece.substr(0, eq), false),
            eq == std::string::npos ? "" : percent_decode(piece.substr(eq + 1), false));
    }
    return pairs;
}

std::optional<std::string> param(const Pairs& pairs, std::string_view name) {
    for (const auto& [key, value] : pairs)
        if (key == name) return value;
    return std::nullopt;
}

std::string query_of(const std::string& target) {
    const auto question = target.find('?');
    return question == std::string::npos ? "" : target.substr(question + 1);
}

// The request as the client built it, from what came over the wire: the
// Host header and the raw target, query included or not.
HttpRequest as_signed(const RecordedRequest& request, const std::string& query) {
    HttpRequest rebuilt;
    rebuilt.method = request.method;
    rebuilt.url =
        "http://" + request.header("Host") + request.path() + (query.empty() ? "" : "?" + query);
    rebuilt.headers = request.headers;
    rebuilt.body = request.body;
    return rebuilt;
}

// "AKID/20261124/eu-central-1/s3/aws4_request", checked against the date signed.
FakeResponse check_credential(const std::string& credential, SystemTime signed_at) {
    const auto parts = split(credential, '/');
    if (parts.size() != 5 || parts[4] != "aws4_request" || parts[3] != "s3")
        return s3_error(400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the Credential is mal-formed; "
                        "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    if (parts[0] != FakeS3::kAccessKey)
        return s3_error(403, "InvalidAccessKeyId",
                        "The AWS Access Key Id you provided does not exist in our records.",
                        {{"AWSAccessKeyId", parts[0]}});
    if (parts[2] != FakeS3::kRegion)
        return s3_error(400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the region '" + parts[2] +
                            "' is wrong; expecting '" + FakeS3::kRegion + "'",
                        {{"Region", FakeS3::kRegion}});
    const std::time_t seconds = std::chrono::system_clock::to_time_t(signed_at);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char date[9];
    std::strftime(date, sizeof date, "%Y%m%d", &utc);
    if (parts[1] != date)
        return s3_error(400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; Invalid credential date. Date is "
                        "not the same as X-Amz-Date.");
    return FakeResponse{0, "", "", {}};
}

FakeResponse signature_mismatch(const std::string& string_to_sign, const std::string& provided,
                                const std::string& canonical) {
    return s3_error(403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.",
                    {{"AWSAccessKeyId", FakeS3::kAccessKey},
                     {"StringToSign", string_to_sign},
                     {"SignatureProvided", provided},
                     {"CanonicalRequest", canonical}});
}

}  // namespace

FakeS3::FakeS3() {
    server_.route("*", "/", [this](const RecordedRequest& request) { return handle(request); });
}

void FakeS3::put_object(const std::string& key, std::string bytes, SystemTime last_modified) {
    std::lock_guard lock(mutex_);
    objects_[key] = Object{std::move(bytes), last_modified};
}

void FakeS3::set_page_size(std::size_t keys) {
    std::lock_guard lock(mutex_);
    page_size_ = std::max<std::size_t>(keys, 1);
}

void FakeS3::fail_next(int count, int status) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
    failure_status_ = status;
}

void FakeS3::set_clock_offset(std::chrono::seconds offset) {
    std::lock_guard lock(mutex_);
    clock_offset_ = offset;
}

SystemTime FakeS3::now() const {
    return std::chrono::system_clock::now() + clock_offset_;
}

// ---- HTTP ------------------------------------------------------------------

FakeResponse FakeS3::handle(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    ++request_counter_;
    FakeResponse response = [&] {
        if (failures_left_ > 0) {
            --failures_left_;
            return failure(failure_status_);
        }
        if (auto refused = authenticate(request); refused.status != 0) return refused;
        const std::string path = request.path();
        const auto slash = path.find('/', 1);
        const std::string bucket = percent_decode(path.substr(1, slash - 1), false);
        if (bucket != kBucket)
            return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                            {{"BucketName", bucket}});
        if (request.method != "GET")
            return s3_error(405, "MethodNotAllowed",
                            "The specified method is not allowed against this resource.");
        if (slash == std::string::npos || slash + 1 == path.size()) return list(request);
        return get(percent_decode(path.substr(slash + 1), false));
    }();
    response.headers.emplace_back("x-amz-request-id",
                                  "FAKE" + std::to_string(100000 + request_counter_));
    return response;
}

FakeResponse FakeS3::authenticate(const RecordedRequest& request) const {
    if (!request.header("Authorization").empty()) return header_auth(request);
    if (param(query_pairs(query_of(request.target)), "X-Amz-Signature")) return query_auth(request);
    return s3_error(403, "AccessDenied", "Access Denied");
}

FakeResponse FakeS3::header_auth(const RecordedRequest& request) const {
    const std::string authorization = request.header("Authorization");
    if (!starts_with(authorization, std::string(kAlgorithm) + " "))
        return s3_error(400, "InvalidArgument", "Unsupported Authorization Type",
                        {{"ArgumentName", "Authorization"}});
    std::string credential, signed_headers, provided;
    for (const auto& field : split(authorization.substr(std::string(kAlgorithm).size()), ',')) {
        const std::string part = trim(field);
        const auto eq = part.find('=');
        if (eq == std::string::npos) continue;
        const std::string name = part.substr(0, eq);
        const std::string value = part.substr(eq + 1);
        if (name == "Credential") credential = value;
        if (name == "SignedHeaders") signed_headers = value;
        if (name == "Signature") provided = value;
    }
    const auto names = split(signed_headers, ';');
    if (credential.empty() || provided.empty() ||
        std::find(names.begin(), names.end(), "host") == names.end())
        return s3_error(400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; it must name the Credential, "
                        "the SignedHeaders (host among them) and the Signature.");
    const auto signed_at = parse_amz_date(request.header("x-amz-date"));
    if (!signed_at || std::find(names.begin(), names.end(), "x-amz-date") == names.end())
        return s3_error(403, "AccessDenied",
                        "AWS authentication requires a valid Date or x-amz-date header");
    if (auto refused = check_credential(credential, *signed_at); refused.status != 0)
        return refused;
    const std::string payload_hash = request.header("x-amz-content-sha256");
    if (payload_hash.empty())
        return s3_error(400, "InvalidRequest",
                        "Missing required header for this request: x-amz-content-sha256");
    if (payload_hash != "UNSIGNED-PAYLOAD" && payload_hash != sha256_hex(request.body))
        return s3_error(400, "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was "
                        "computed.");
    const auto skew = now() - *signed_at;
    if (skew > kAllowedSkew || skew < -kAllowedSkew)
        return s3_error(403, "RequestTimeTooSkewed",
                        "The difference between the request time and the current time is too "
                        "large.",
                        {{"RequestTime", request.header("x-amz-date")},
                         {"ServerTime", listing_date(now())},
                         {"MaxAllowedSkewMilliseconds", "900000"}});

    const std::string canonical =
        aws::canonical_request(as_signed(request, query_of(request.target)), names, payload_hash);
    const std::string to_sign = aws::string_to_sign(canonical, *signed_at, kRegion, "s3");
    const std::string expected = aws::signature(kSecret, *signed_at, kRegion, "s3", to_sign);
    if (!constant_time_equals(expected, provided))
        return signature_mismatch(to_sign, provided, canonical);
    return FakeResponse{0, "", "", {}};
}

FakeResponse FakeS3::query_auth(const RecordedRequest& request) const {
    const std::string query = query_of(request.target);
    const Pairs pairs = query_pairs(query);
    const auto algorithm = param(pairs, "X-Amz-Algorithm");
    const auto credential = param(pairs, "X-Amz-Credential");
    const auto date = param(pairs, "X-Amz-Date");
    const auto expires = param(pairs, "X-Amz-Expires");
    const auto signed_headers = param(pairs, "X-Amz-SignedHeaders");
    const auto provided = param(pairs, "X-Amz-Signature");
    if (!algorithm || !credential || !date || !expires || !signed_headers || !provided)
        return s3_error(403, "AccessDenied",
                        "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                        "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                        "X-Amz-Expires parameters.");
    if (*algorithm != kAlgorithm)
        return s3_error(400, "AuthorizationQueryParametersError",
                        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    const auto signed_at = parse_amz_date(*date);
    long long seconds = -1;
    const auto [end, ec] =
        std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
    if (!signed_at || ec != std::errc() || end != expires->data() + expires->size() || seconds < 0)
        return s3_error(400, "AuthorizationQueryParametersError",
                        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" "
                        "and X-Amz-Expires a non-negative integer");
    if (std::chrono::seconds(seconds) > kMaxExpires)
        return s3_error(400, "AuthorizationQueryParametersError",
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if (auto refused = check_credential(*credential, *signed_at); refused.status != 0)
        return refused;
    const auto names = split(*signed_headers, ';');
    if (std::find(names.begin(), names.end(), "host") == names.end())
        return s3_error(400, "AuthorizationQueryParametersError",
                        "X-Amz-SignedHeaders must include the host header");
    const SystemTime expiry = *signed_at + std::chrono::seconds(seconds);
    if (now() > expiry)
        return s3_error(403, "AccessDenied", "Request has expired",
                        {{"X-Amz-Expires", *expires},
                         {"Expires", listing_date(expiry)},
                         {"ServerTime", listing_date(now())}});

    // Everything but the signature is signed, as the client sent it.
    std::string unsigned_query;
    for (const auto& piece : split(query, '&')) {
        if (percent_decode(piece.substr(0, piece.find('=')), false) == "X-Amz-Signature") continue;
        unsigned_query += (unsigned_query.empty() ? "" : "&") + piece;
    }
    const std::string canonical =
        aws::canonical_request(as_signed(request, unsigned_query), names, "UNSIGNED-PAYLOAD");
    const std::string to_sign = aws::string_to_sign(canonical, *signed_at, kRegion, "s3");
    const std::string expected = aws::signature(kSecret, *signed_at, kRegion, "s3", to_sign);
    if (!constant_time_equals(expected, *provided))
        return signature_mismatch(to_sign, *provided, canonical);
    return FakeResponse{0, "", "", {}};
}

FakeResponse FakeS3::list(const RecordedRequest& request) {
    const Pairs pairs = query_pairs(query_of(request.target));
    if (param(pairs, "list-type").value_or("") != "2")
        return s3_error(400, "InvalidArgument",
                        "This fake S3 serves ListObjectsV2 only: list-type=2",
                        {{"ArgumentName", "list-type"}});
    const std::string prefix = param(pairs, "prefix").value_or("");
    std::size_t max_keys = 1000;
    if (const auto given = param(pairs, "max-keys")) {
        const auto [end, ec] =
            std::from_chars(given->data(), given->data() + given->size(), max_keys);
        if (ec != std::errc() || end != given->data() + given->size())
            return s3_error(400, "InvalidArgument",
                            "Provided max-keys not an integer or within "
                            "integer range",
                            {{"ArgumentName", "max-keys"}, {"ArgumentValue", *given}});
    }
    const std::size_t limit = std::min(max_keys, page_size_);

    auto it = objects_.lower_bound(prefix);
    const auto token = param(pairs, "continuation-token");
    if (token) {
        const auto known = tokens_.find(*token);
        if (known == tokens_.end())
            return s3_error(400, "InvalidArgument", "The continuation token provided is incorrect",
                            {{"ArgumentName", "continuation-token"}});
        it = objects_.upper_bound(known->second);
    }
    std::string contents;
    std::size_t count = 0;
    std::string last_key;
    for (; it != objects_.end() && starts_with(it->first, prefix) && count < limit; ++it, ++count) {
        const auto& [key, object] = *it;
        contents += "<Contents><Key>" + xml_escape(key) + "</Key><LastModified>" +
                    listing_date(object.last_modified) + "</LastModified><ETag>" +
                    xml_escape(etag(object.bytes)) +
                    "</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><Size>" +
                    std::to_string(object.bytes.size()) +
                    "</Size><StorageClass>STANDARD</StorageClass></Contents>";
        last_key = key;
    }
    const bool truncated = it != objects_.end() && starts_with(it->first, prefix) && count > 0;
    std::string next;
    if (truncated) {
        // Opaque like S3's, with the characters that need encoding in a query.
        next = "1" + base64_encode(hmac_sha256(kSecret, last_key + std::to_string(tokens_.size())));
        tokens_[next] = last_key;
    }
    std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>" +
        std::string(kBucket) + "</Name><Prefix>" + xml_escape(prefix) + "</Prefix>";
    if (token) body += "<ContinuationToken>" + xml_escape(*token) + "</ContinuationToken>";
    if (truncated)
        body += "<NextContinuationToken>" + xml_escape(next) + "</NextContinuationToken>";
    body += "<KeyCount>" + std::to_string(count) + "</KeyCount><MaxKeys>" +
            std::to_string(max_keys) + "</MaxKeys><IsTruncated>" + (truncated ? "true" : "false") +
            "</IsTruncated>" + contents + "</ListBucketResult>";
    return FakeResponse{200, std::move(body), "application/xml", {}};
}

FakeResponse FakeS3::get(const std::string& key) const {
    const auto it = objects_.find(key);
    if (it == objects_.end())
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", {{"Key", key}});
    return FakeResponse{200,
                        it->second.bytes,
                        "application/octet-stream",
                        {{"ETag", etag(it->second.bytes)},
                         {"Last-Modified", http_date(it->second.last_modified)},
                         {"Accept-Ranges", "bytes"}}};
}

}  // namespace opsbot::test
