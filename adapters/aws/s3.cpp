#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/aws/s3.hpp"
#include "core/text.hpp"

namespace opsbot::aws {
namespace {

// One retry: S3 asks clients to retry 500 and 503 SlowDown, and a listing is
// idempotent. Each attempt is signed afresh.
constexpr int kAttempts = 2;
constexpr std::chrono::milliseconds kBackoff{250};
// 10 million objects at 1,000 a page: a bucket that never stops paginating
// is a broken server, not a big bucket.
constexpr std::size_t kMaxPages = 10'000;
constexpr std::size_t kMaxDetail = 200;

// ---- XML: just enough for ListObjectsV2 and S3's error bodies ------------

void append_utf8(std::string& out, unsigned long code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// The five predefined entities and numeric references (S3 writes control
// characters in keys as &#x0D;); anything else is kept as it came.
std::string xml_decode(std::string_view text) {
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto semi = text[i] == '&' ? text.find(';', i + 1) : std::string_view::npos;
        if (semi == std::string_view::npos || semi - i > 10) {
            out += text[i];
            continue;
        }
        const std::string_view name = text.substr(i + 1, semi - i - 1);
        bool decoded = false;
        for (const auto& [entity, c] : kEntities)
            if (name == entity) {
                out += c;
                decoded = true;
            }
        if (!decoded && name.size() > 1 && name[0] == '#') {
            const bool is_hex = name[1] == 'x' || name[1] == 'X';
            const std::string_view digits = name.substr(is_hex ? 2 : 1);
            unsigned long code = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                                   code, is_hex ? 16 : 10);
            if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
                code > 0 && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF)) {
                append_utf8(out, code);
                decoded = true;
            }
        }
        if (!decoded) {
            out += text[i];
            continue;
        }
        i = semi;
    }
    return out;
}

// The raw content of the first <name>…</name> in text[from, to), and where
// it ends; "<KeyCount>" is not "<Key>", "<Key/>" is an empty Key.
struct Element {
    std::string_view content;
    std::size_t end = std::string_view::npos;  // just past the closing tag
};

std::optional<Element> find_element(std::string_view text, std::string_view name,
                                    std::size_t from = 0) {
    const std::string open = "<" + std::string(name);
    const std::string close = "</" + std::string(name) + ">";
    for (auto at = text.find(open, from); at != std::string_view::npos;
         at = text.find(open, at + 1)) {
        const std::size_t after = at + open.size();
        if (after >= text.size()) return std::nullopt;
        const char next = text[after];
        if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\r' &&
            next != '\n')
            continue;
        const auto tag_end = text.find('>', after);
        if (tag_end == std::string_view::npos) return std::nullopt;
        if (text[tag_end - 1] == '/') return Element{{}, tag_end + 1};
        const auto closing = text.find(close, tag_end + 1);
        if (closing == std::string_view::npos) return std::nullopt;
        return Element{text.substr(tag_end + 1, closing - tag_end - 1), closing + close.size()};
    }
    return std::nullopt;
}

std::optional<std::string> element_text(std::string_view text, std::string_view name) {
    const auto element = find_element(text, name);
    if (!element) return std::nullopt;
    return xml_decode(element->content);
}

struct Page {
    std::vector<S3Object> objects;
    bool truncated = false;
    std::string next_token;
};

// A ListObjectsV2 answer, or why it is not one.
Result<Page> parse_list(std::string_view body) {
    const auto root = find_element(body, "ListBucketResult");
    if (!root)
        return Error{"bad_response", "S3 answered the listing without a ListBucketResult", ""};
    const std::string_view result = root->content;
    Page page;
    for (auto contents = find_element(result, "Contents"); contents;
         contents = find_element(result, "Contents", contents->end)) {
        const auto key = element_text(contents->content, "Key");
        const auto size = element_text(contents->content, "Size");
        const auto modified = element_text(contents->content, "LastModified");
        if (!key || key->empty() || !size || !modified)
            return Error{"bad_response",
                         "S3 listed an object without its Key, Size or LastModified", ""};
        S3Object object;
        object.key = *key;
        const std::string digits = trim(*size);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), object.size);
        if (ec != std::errc() || end != digits.data() + digits.size() || object.size < 0)
            return Error{"bad_response",
                         "S3 listed '" + object.key + "' with a size that is not a number", ""};
        const auto when = parse_iso8601(trim(*modified));
        if (!when)
            return Error{"bad_response",
                         "S3 listed '" + object.key + "' with an unreadable LastModified", ""};
        object.last_modified = *when;
        page.objects.push_back(std::move(object));
    }
    page.truncated = trim(element_text(result, "IsTruncated").value_or("false")) == "true";
    page.next_token = element_text(result, "NextContinuationToken").value_or("");
    return page;
}

struct S3Error {
    std::string code;
    std::string message;
};

S3Error parse_error(std::string_view body) {
    const auto error = find_element(body, "Error");
    if (!error) return {};
    return S3Error{trim(element_text(error->content, "Code").value_or("")),
                   element_text(error->content, "Message").value_or("")};
}

// ---- messages ----------------------------------------------------------------

std::string without_trailing_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string bucket_url(const S3Config& config) {
    if (!config.endpoint.empty())
        return without_trailing_slashes(config.endpoint) + "/" + uri_encode(config.bucket, true);
    return "https://" + config.bucket + ".s3." + config.region + ".amazonaws.com/";
}

std::string location(const S3Config& config, const std::string& prefix) {
    return "s3://" + config.bucket + "/" + prefix;
}

// S3's own sentence, on one line, without anything secret should S3 ever
// echo it back.
std::string s3_says(const S3Error& error, const Credentials& credentials) {
    std::string detail = error.message;
    std::replace_if(
        detail.begin(), detail.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    for (const auto& secret : {credentials.secret_access_key, credentials.session_token}) {
        if (secret.empty()) continue;
        for (auto at = detail.find(secret); at != std::string::npos; at = detail.find(secret))
            detail.replace(at, secret.size(), "[secret]");
    }
    detail = shorten(trim(detail), kMaxDetail);
    return detail.empty() ? std::string() : " (S3: \"" + detail + "\")";
}

std::string status_and_code(int status, const S3Error& error) {
    return std::to_string(status) + (error.code.empty() ? "" : " " + error.code);
}

Status config_error(const S3Config& config) {
    std::vector<std::string> missing;
    if (trim(config.bucket).empty()) missing.emplace_back("BACKUP_BUCKET");
    if (trim(config.credentials.access_key_id).empty()) missing.emplace_back("AWS_ACCESS_KEY_ID");
    if (config.credentials.secret_access_key.empty()) missing.emplace_back("AWS_SECRET_ACCESS_KEY");
    if (missing.empty()) return success();
    std::string names;
    for (std::size_t i = 0; i < missing.size(); ++i)
        names += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
    return Error{
        "s3_config",
        "S3 is not configured: " + names + (missing.size() == 1 ? " is" : " are") + " not set",
        "set BACKUP_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, "
        "then restart opsbot"};
}

Error unavailable(const Result<HttpResponse>& last, int attempts, const S3Config& config,
                  const std::string& prefix) {
    const std::string tries = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    const std::string where = config.endpoint.empty() ? "S3 (" + config.region + ")"
                                                      : without_trailing_slashes(config.endpoint);
    const std::string hint = "S3 may be down or throttling; check " + where +
                             (config.endpoint.empty() ? "" : " (S3_ENDPOINT)") +
                             " and try again in a minute";
    if (!last.ok())
        return Error{"s3_unavailable",
                     "S3 did not answer listing " + location(config, prefix) + " (" + tries +
                         "): " + last.error().message,
                     hint};
    const auto error = parse_error(last.value().body);
    return Error{"s3_unavailable",
                 "S3 is unavailable: it answered " + status_text(last.value().status) +
                     (error.code.empty() ? "" : " " + error.code) + " to listing " +
                     location(config, prefix) + " (" + tries + ")" +
                     s3_says(error, config.credentials),
                 hint};
}

Error answer_error(const HttpResponse& response, const S3Config& config,
                   const std::string& prefix) {
    const S3Error error = parse_error(response.body);
    const std::string says = s3_says(error, config.credentials);
    const std::string what = " (" + status_and_code(response.status, error) + ")";
    const std::string bucket = "'" + config.bucket + "'";
    if (response.status == 403) {
        if (error.code == "SignatureDoesNotMatch")
            return Error{"s3_auth",
                         "S3 refused opsbot's signature" + what +
                             ": AWS_SECRET_ACCESS_KEY is wrong for AWS_ACCESS_KEY_ID" + says,
                         "copy the secret access key that belongs to AWS_ACCESS_KEY_ID into "
                         "AWS_SECRET_ACCESS_KEY, then restart opsbot"};
        if (error.code == "InvalidAccessKeyId")
            return Error{"s3_auth", "S3 does not know AWS_ACCESS_KEY_ID" + what + says,
                         "check AWS_ACCESS_KEY_ID: the key may be deleted or inactive in IAM, "
                         "or belong to another S3 service than S3_ENDPOINT"};
        if (error.code == "ExpiredToken" || error.code == "InvalidToken" ||
            error.code == "TokenRefreshRequired")
            return Error{"s3_auth", "S3 refused AWS_SESSION_TOKEN" + what + says,
                         "renew the temporary credentials (AWS_ACCESS_KEY_ID, "
                         "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then restart opsbot"};
        if (error.code == "RequestTimeTooSkewed")
            return Error{"s3_auth",
                         "S3 refused the request: this host's clock is too far off" + what + says,
                         "synchronise the clock of opsbot's host (NTP)"};
        return Error{"s3_auth",
                     "S3 denied listing " + location(config, prefix) + what +
                         " to the credentials in AWS_ACCESS_KEY_ID" + says,
                     "grant s3:ListBucket on bucket " + bucket +
                         " to the IAM user or role of AWS_ACCESS_KEY_ID"};
    }
    if (response.status == 404 && (error.code == "NoSuchBucket" || error.code.empty()))
        return Error{
            "s3_no_bucket",
            "S3 has no bucket " + bucket + " (BACKUP_BUCKET)" +
                (config.endpoint.empty() ? " in " + config.region : "") + what + says,
            "check BACKUP_BUCKET" +
                std::string(config.endpoint.empty() ? " and AWS_REGION" : " and S3_ENDPOINT")};
    if (response.status == 301 || error.code == "AuthorizationHeaderMalformed" ||
        error.code == "PermanentRedirect")
        return Error{
            "bad_response",
            "S3 says bucket " + bucket + " is not in region " + config.region + what + says,
            "set AWS_REGION to the bucket's region, then restart opsbot"};
    return Error{"bad_response",
                 "S3 answered " + status_and_code(response.status, error) + " to listing " +
                     location(config, prefix) + says,
                 "check BACKUP_BUCKET, AWS_REGION and S3_ENDPOINT"};
}

}  // namespace

HttpRequest list_objects_request(const S3Config& config, const std::string& prefix,
                                 const std::string& continuation_token, TimePoint now,
                                 int max_keys) {
    HttpRequest request;
    request.method = "GET";
    request.url = bucket_url(config) + "?list-type=2";
    if (max_keys > 0) request.url += "&max-keys=" + std::to_string(max_keys);
    if (!prefix.empty()) request.url += "&prefix=" + uri_encode(prefix, true);
    if (!continuation_token.empty())
        request.url += "&continuation-token=" + uri_encode(continuation_token, true);
    request.timeout = config.timeout;
    sign_request(request, config.credentials, config.region, "s3", now);
    return request;
}

std::string object_url(const S3Config& config, const std::string& key) {
    const std::string path = uri_encode(key, false);
    if (!config.endpoint.empty())
        return without_trailing_slashes(config.endpoint) + "/" + uri_encode(config.bucket, true) +
               "/" + path;
    return "https://" + config.bucket + ".s3." + config.region + ".amazonaws.com/" + path;
}

S3Client::S3Client(HttpClient& http, S3Config config, const Clock& clock)
    : http_(http), config_(std::move(config)), clock_(clock) {}

Result<std::vector<S3Object>> S3Client::list(const std::string& prefix) {
    if (auto configured = config_error(config_); !configured.ok()) return configured.error();
    std::vector<S3Object> objects;
    std::set<std::string> tokens_seen;
    std::string token;
    for (std::size_t page = 0; page < kMaxPages; ++page) {
        auto response = http_.send(list_objects_request(config_, prefix, token, clock_.now()));
        for (int attempt = 1; !response.ok() || response.value().status >= 500; ++attempt) {
            if (attempt >= kAttempts) return unavailable(response, attempt, config_, prefix);
            std::this_thread::sleep_for(kBackoff);
            response = http_.send(list_objects_request(config_, prefix, token, clock_.now()));
        }
        const auto& answer = response.value();
        if (answer.status < 200 || answer.status >= 300)
            return answer_error(answer, config_, prefix);
        auto parsed = parse_list(answer.body);
        if (!parsed.ok()) {
            Error error = parsed.error();
            error.message += " (listing " + location(config_, prefix) + ")";
            error.hint = "check that S3_ENDPOINT points at S3 or an S3-compatible store";
            return error;
        }
        Page& got = parsed.value();
        std::move(got.objects.begin(), got.objects.end(), std::back_inserter(objects));
        if (!got.truncated) return objects;
        if (got.next_token.empty() || !tokens_seen.insert(got.next_token).second)
            return Error{"bad_response",
                         "S3 said the listing of " + location(config_, prefix) +
                             " goes on but gave no new continuation token",
                         "check that S3_ENDPOINT points at S3 or an S3-compatible store"};
        token = got.next_token;
    }
    return Error{"bad_response",
                 "S3 listed more than " + std::to_string(kMaxPages) + " pages under " +
                     location(config_, prefix),
                 "use a narrower prefix"};
}

std::string S3Client::presign_get(const std::string& key, std::chrono::seconds expires) const {
    return presign_url("GET", object_url(config_, key), config_.credentials, config_.region, "s3",
                       clock_.now(), std::min(expires, std::chrono::seconds(604'800)));
}

Status S3Client::check_access(const std::string& prefix) {
    if (auto configured = config_error(config_); !configured.ok()) return configured.error();
    const auto request = list_objects_request(config_, prefix, "", clock_.now(), 1);
    const auto response = http_.send(request);
    if (!response.ok() || response.value().status >= 500)
        return unavailable(response, 1, config_, prefix);
    if (response.value().status < 200 || response.value().status >= 300)
        return answer_error(response.value(), config_, prefix);
    return success();
}

}  // namespace opsbot::aws
