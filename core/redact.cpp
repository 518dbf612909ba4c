#include "core/redact.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "core/text.hpp"

// Hand-written scanners, one per kind of secret, applied in a fixed order,
// each to the output of the one before. They reproduce what the std::regex
// table they replace did (leftmost match, greedy, first alternative wins)
// including its length caps: a value longer than a cap has only its first
// cap characters masked, as before. One difference: a masked value ends at
// the end of its line, and a header's or scheme's value must start on the
// name's line; the table's \s let "Bearer \nContent-Type" mask the next
// header's name and the line break with it. Character classes are those of the "C"
// locale, which opsbot never changes. Every scanner runs in linear time.

namespace opsbot {
namespace {

constexpr std::string_view kMask = "[redacted]";
constexpr std::size_t npos = std::string_view::npos;

using CharClass = bool (*)(char);

// Character classes as std::regex saw them in the "C" locale: ASCII only,
// bytes from 0x80 up are in no class (but in every negated one).
struct Is {
    static bool digit(char c) { return c >= '0' && c <= '9'; }
    static bool upper(char c) { return c >= 'A' && c <= 'Z'; }
    static bool lower(char c) { return c >= 'a' && c <= 'z'; }
    static bool alnum(char c) { return digit(c) || upper(c) || lower(c); }
    static bool word(char c) { return alnum(c) || c == '_'; }                   // \w
    static bool space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // \s
    // Between a name and its value: a value never starts on the next line.
    static bool blank(char c) { return c == ' ' || c == '\t'; }
    static bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
    static bool one_of(char c, std::string_view set) { return set.find(c) != npos; }

    static bool slack_token(char c) { return alnum(c) || c == '-'; }
    static bool bearer(char c) { return alnum(c) || one_of(c, "._~+/=-"); }
    static bool basic(char c) { return alnum(c) || one_of(c, "+/="); }
    static bool url_user(char c) { return !space(c) && !one_of(c, "/:@"); }
    static bool url_password(char c) { return !space(c) && !one_of(c, "/@"); }
    static bool url_path(char c) { return !space(c) && !one_of(c, "?\"'<>"); }
    static bool url_query(char c) { return !space(c) && !one_of(c, "\"'<>"); }
    static bool query_value(char c) { return !space(c) && !one_of(c, "&\"'<>"); }
    static bool header_value(char c) { return !space(c) && !one_of(c, ",;\""); }
    static bool key_id(char c) { return upper(c) || digit(c); }
    static bool json_string(char c) { return c != '"' && c != '\n' && c != '\r'; }
};

char to_lower_ascii(char c) {
    return Is::upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether `word` (lowercase) is at text[at], ignoring ASCII case.
bool has_icase(std::string_view text, std::size_t at, std::string_view word) {
    if (at > text.size() || text.size() - at < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (to_lower_ascii(text[at + i]) != word[i]) return false;
    return true;
}

// Where `word` (lowercase, starting with a letter) next starts at or after
// `from`, ignoring ASCII case; npos when nowhere.
std::size_t find_icase(std::string_view text, std::string_view word, std::size_t from) {
    for (auto at = from; at < text.size(); ++at)
        if ((text[at] | 0x20) == word[0] && has_icase(text, at, word)) return at;
    return npos;
}

bool has_char(std::string_view text, std::size_t at, char c) {
    return at < text.size() && text[at] == c;
}

// How many characters of `in_class` start at text[at], counting at most
// `limit`: a greedy {0,limit}.
std::size_t run_length(std::string_view text, std::size_t at, std::size_t limit,
                       CharClass in_class) {
    std::size_t n = 0;
    while (n < limit && at + n < text.size() && in_class(text[at + n])) ++n;
    return n;
}

// Whitespace between a name and its separator: at most 8 `in_class`
// characters (Is::blank where the value must be on the name's line).
std::optional<std::size_t> skip_spaces(std::string_view text, std::size_t at,
                                       CharClass in_class = Is::space) {
    const std::size_t n = run_length(text, at, 9, in_class);
    if (n > 8) return std::nullopt;
    return at + n;
}

// The end of the run of `in_class` characters that starts at `at`. The run
// measured last is remembered: callers ask with non-decreasing positions, so
// candidates inside one long run cost a single scan between them.
class RunEnd {
public:
    explicit RunEnd(CharClass in_class) : in_class_(in_class) {}
    std::size_t operator()(std::string_view text, std::size_t at) {
        if (at >= start_ && at < end_) return end_;
        start_ = end_ = at;
        while (end_ < text.size() && in_class_(text[end_])) ++end_;
        return end_;
    }

private:
    CharClass in_class_;
    std::size_t start_ = 0;
    std::size_t end_ = 0;
};

// A match: text[begin, end) becomes text[begin, begin + kept) + infix +
// "[redacted]" + suffix.
struct Match {
    std::size_t begin = 0;
    std::size_t kept = 0;
    std::size_t end = 0;
    std::string_view infix{};
    std::string_view suffix{};
};

// Rewrites every match, left to right, each search starting where the last
// match ended (as std::regex_replace did). `find` returns the leftmost match
// that starts at or after `from`; matches are never empty.
template <class Find>
std::string replace_all(std::string text, Find&& find) {
    std::optional<Match> match = find(std::string_view(text), 0);
    if (!match) return text;
    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;
    for (; match; match = find(std::string_view(text), match->end)) {
        out.append(text, copied, match->begin - copied);
        out.append(text, match->begin, match->kept);
        out += match->infix;
        out += kMask;
        out += match->suffix;
        copied = match->end;
    }
    out.append(text, copied);
    return out;
}

// Slack bot, user, refresh and config tokens: xoxb-1-abc → xoxb-[redacted].
std::optional<Match> slack_token(std::string_view text, std::size_t from) {
    for (auto at = text.find("xox", from); at != npos; at = text.find("xox", at + 1)) {
        if (at + 4 >= text.size() || !Is::lower(text[at + 3]) || text[at + 4] != '-') continue;
        const std::size_t n = run_length(text, at + 5, npos, Is::slack_token);
        if (n > 0) return Match{at, 5, at + 5 + n};
    }
    return std::nullopt;
}

// Slack app-level tokens: xapp-1-A0-abc → xapp-[redacted].
std::optional<Match> slack_app_token(std::string_view text, std::size_t from) {
    for (auto at = text.find("xapp-", from); at != npos; at = text.find("xapp-", at + 1)) {
        const std::size_t n = run_length(text, at + 5, npos, Is::slack_token);
        if (n > 0) return Match{at, 5, at + 5 + n};
    }
    return std::nullopt;
}

// An authorization scheme (any case) followed by 1 to 8 spaces and at least
// `min_length` value characters; the scheme keeps its case, the spaces become
// one: "Bearer  abc" → "Bearer [redacted]".
std::optional<Match> scheme_credential(std::string_view text, std::size_t from,
                                       std::string_view scheme, CharClass in_value,
                                       std::size_t min_length) {
    for (auto at = find_icase(text, scheme, from); at != npos;
         at = find_icase(text, scheme, at + 1)) {
        const std::size_t spaces = run_length(text, at + scheme.size(), 9, Is::blank);
        if (spaces == 0 || spaces > 8) continue;
        const std::size_t value = at + scheme.size() + spaces;
        const std::size_t n = run_length(text, value, npos, in_value);
        if (n >= min_length) return Match{at, scheme.size(), value + n, " "};
    }
    return std::nullopt;
}

// Authorization: Bearer <token>, and bare "bearer <token>".
std::optional<Match> bearer_credential(std::string_view text, std::size_t from) {
    return scheme_credential(text, from, "bearer", Is::bearer, 1);
}

// Authorization: Basic <base64 of user:password>, 8 characters or more.
std::optional<Match> basic_credential(std::string_view text, std::size_t from) {
    return scheme_credential(text, from, "basic", Is::basic, 8);
}

// Where the scheme of a URL whose "://" is at `colon` starts: the last 1 to
// 16 word characters before it, never before `from`; `colon` when none.
std::size_t scheme_start(std::string_view text, std::size_t from, std::size_t colon) {
    std::size_t at = colon;
    while (at > from && colon - at < 16 && Is::word(text[at - 1])) --at;
    return at;
}

// Credentials inside a URL: https://user:password@host → https://[redacted]@host.
std::optional<Match> url_credentials(std::string_view text, std::size_t from) {
    for (auto colon = text.find("://", from); colon != npos; colon = text.find("://", colon + 1)) {
        const std::size_t begin = scheme_start(text, from, colon);
        if (begin == colon) continue;
        const std::size_t user = colon + 3;
        const std::size_t user_length = run_length(text, user, 257, Is::url_user);
        if (user_length == 0 || user_length > 256 || !has_char(text, user + user_length, ':'))
            continue;
        const std::size_t password = user + user_length + 1;
        const std::size_t password_length = run_length(text, password, 257, Is::url_password);
        if (password_length == 0 || password_length > 256 ||
            !has_char(text, password + password_length, '@'))
            continue;
        return Match{begin, user - begin, password + password_length + 1, "", "@"};
    }
    return std::nullopt;
}

// A presigned URL's whole query string is its credential:
// https://host/path?…X-Amz-…  → https://host/path?[redacted]. The query is
// cut after the last "X-Amz-" among its first 4102 characters, plus at most
// 4096 more. Candidates are met left to right, so the runs and the marker
// search are remembered between them.
class PresignedUrl {
public:
    std::optional<Match> operator()(std::string_view text, std::size_t from) {
        for (auto colon = text.find("://", from); colon != npos;
             colon = text.find("://", colon + 1)) {
            const std::size_t begin = scheme_start(text, from, colon);
            if (begin == colon) continue;
            const std::size_t path = colon + 3;
            const std::size_t question = path_end_(text, path);
            if (question == path || question - path > 2048 || !has_char(text, question, '?'))
                continue;
            const std::size_t query = question + 1;
            const std::size_t query_end = query_end_(text, query);
            if (query_end - query < kMarker.size()) continue;
            const std::size_t marker =
                last_marker(text, query, std::min(query + 4096, query_end - kMarker.size()));
            if (marker == npos || marker < query) continue;
            const std::size_t tail = marker + kMarker.size();
            return Match{begin, query - begin,
                         tail + std::min<std::size_t>(query_end - tail, 4096)};
        }
        return std::nullopt;
    }

private:
    static constexpr std::string_view kMarker = "x-amz-";

    // The last marker that starts in [from, limit], or npos. Candidates ask
    // with non-decreasing limits, so the text is scanned once.
    std::size_t last_marker(std::string_view text, std::size_t from, std::size_t limit) {
        if (marker_scan_ < from || marker_scan_ > limit + 1) {
            marker_scan_ = from;
            last_marker_ = npos;
        }
        for (; marker_scan_ <= limit; ++marker_scan_)
            if (has_icase(text, marker_scan_, kMarker)) last_marker_ = marker_scan_;
        return last_marker_;
    }

    RunEnd path_end_{Is::url_path};
    RunEnd query_end_{Is::url_query};
    std::size_t marker_scan_ = 0;
    std::size_t last_marker_ = npos;
};

// Secrets in query strings: ?token=abc&x=1 → ?token=[redacted]&x=1.
std::optional<Match> query_secret(std::string_view text, std::size_t from) {
    static constexpr std::string_view kNames[] = {"token",  "access_token", "api_key",   "apikey",
                                                  "secret", "password",     "signature", "sig"};
    for (auto at = from; at < text.size(); ++at) {
        if (text[at] != '?' && text[at] != '&') continue;
        for (const auto name : kNames) {
            const std::size_t equals = at + 1 + name.size();
            if (!has_icase(text, at + 1, name) || !has_char(text, equals, '=')) continue;
            const std::size_t n = run_length(text, equals + 1, npos, Is::query_value);
            if (n > 0) return Match{at, equals + 1 - at, equals + 1 + n};
        }
    }
    return std::nullopt;
}

// The value of a signature header named `name` at text[at]: name, spaces,
// ':' or '=', spaces, value. Everything before the value is kept.
std::optional<Match> header_value(std::string_view text, std::size_t at, std::string_view name) {
    if (!has_icase(text, at, name)) return std::nullopt;
    const auto separator = skip_spaces(text, at + name.size(), Is::blank);
    if (!separator || !(has_char(text, *separator, ':') || has_char(text, *separator, '=')))
        return std::nullopt;
    const auto value = skip_spaces(text, *separator + 1, Is::blank);
    if (!value) return std::nullopt;
    const std::size_t n = run_length(text, *value, npos, Is::header_value);
    if (n == 0) return std::nullopt;
    return Match{at, *value - at, *value + n};
}

// Webhook signatures and Jenkins crumbs in headers:
// X-Slack-Signature: v0=abc → X-Slack-Signature: [redacted].
std::optional<Match> signature_header(std::string_view text, std::size_t from) {
    static constexpr std::string_view kNames[] = {"sentry-hook-signature", "x-slack-signature",
                                                  "x-hub-signature-256", "x-hub-signature",
                                                  "jenkins-crumb"};
    for (auto at = from; at < text.size(); ++at) {
        const char first = static_cast<char>(text[at] | 0x20);
        if (first != 's' && first != 'x' && first != 'j') continue;  // as every name starts
        for (const auto name : kNames)
            if (auto match = header_value(text, at, name)) return match;
    }
    return std::nullopt;
}

// <prefix><16 to 256 hex digits> → <prefix>[redacted].
std::optional<Match> hex_after(std::string_view text, std::size_t from, std::string_view prefix) {
    for (auto at = text.find(prefix, from); at != npos; at = text.find(prefix, at + 1)) {
        const std::size_t digits = at + prefix.size();
        const std::size_t n = run_length(text, digits, 256, Is::hex);
        if (n >= 16) return Match{at, prefix.size(), digits + n};
    }
    return std::nullopt;
}

// Webhook body digests: sha256=<hex> → sha256=[redacted].
std::optional<Match> sha256_digest(std::string_view text, std::size_t from) {
    return hex_after(text, from, "sha256=");
}

// SigV4 signatures, in an Authorization header or a query: a signed request
// could be replayed for 15 minutes. Signature=<hex> → Signature=[redacted].
std::optional<Match> sigv4_signature(std::string_view text, std::size_t from) {
    return hex_after(text, from, "Signature=");
}

// AWS access key ids, a whole word: AKIAIOSFODNN7EXAMPLE → AKIA[redacted].
std::optional<Match> aws_key_id(std::string_view text, std::size_t from) {
    constexpr std::size_t kLength = 20;
    for (auto at = text.find('A', from); at != npos; at = text.find('A', at + 1)) {
        const auto prefix = text.substr(at, 4);
        if (prefix != "AKIA" && prefix != "ASIA") continue;
        if (at > 0 && Is::word(text[at - 1])) continue;
        if (run_length(text, at + 4, 16, Is::key_id) < 16) continue;
        if (at + kLength < text.size() && Is::word(text[at + kLength])) continue;
        return Match{at, 4, at + kLength};
    }
    return std::nullopt;
}

// Secret-looking JSON fields: "password": "hunter2" → "password": "[redacted]".
// The value ends at the first unescaped '"', however long it is, or at the
// end of its line (JSON strings hold no line break).
class JsonSecret {
public:
    std::optional<Match> operator()(std::string_view text, std::size_t from) {
        for (auto at = text.find('"', from); at != npos; at = text.find('"', at + 1))
            for (const auto name : kNames)
                if (auto match = field_value(text, at, name)) return match;
        return std::nullopt;
    }

private:
    static constexpr std::string_view kNames[] = {
        "password",          "secret",       "token", "api_token", "client_secret", "access_token",
        "secret_access_key", "session_token"};

    std::optional<Match> field_value(std::string_view text, std::size_t at, std::string_view name) {
        const std::size_t name_end = at + 1 + name.size();
        if (!has_icase(text, at + 1, name) || !has_char(text, name_end, '"')) return std::nullopt;
        const auto colon = skip_spaces(text, name_end + 1);
        if (!colon || !has_char(text, *colon, ':')) return std::nullopt;
        const auto quote = skip_spaces(text, *colon + 1);
        if (!quote || !has_char(text, *quote, '"')) return std::nullopt;
        const std::size_t value = *quote + 1;
        const std::size_t close = closing_quote(text, value);
        if (has_char(text, close, '"')) return Match{at, value - at, close + 1, "", "\""};
        // Never closed: masked to the end of its line, which stays.
        if (close == value) return std::nullopt;
        return Match{at, value - at, close};
    }

    // The first '"' not escaped by an odd run of backslashes, or the end of
    // the line when none comes first.
    std::size_t closing_quote(std::string_view text, std::size_t at) {
        for (;;) {
            const std::size_t quote = value_end_(text, at);
            if (!has_char(text, quote, '"')) return quote;
            std::size_t slashes = 0;
            while (quote - slashes > at && text[quote - slashes - 1] == '\\') ++slashes;
            if (slashes % 2 == 0) return quote;
            at = quote + 1;
        }
    }

    RunEnd value_end_{Is::json_string};
};

// Registered values are replaced as literals; a snapshot is swapped in
// whole so that readers never wait on a writer for long.
std::shared_mutex secrets_mutex;
std::shared_ptr<const std::vector<std::string>> secrets =
    std::make_shared<const std::vector<std::string>>();

// Each value in turn (longest first), every occurrence, left to right.
std::string mask_literals(std::string text, const std::vector<std::string>& values) {
    for (const auto& value : values) {
        auto at = text.find(value);
        if (at == std::string::npos) continue;
        std::string out;
        out.reserve(text.size());
        std::size_t copied = 0;
        for (; at != std::string::npos; at = text.find(value, copied)) {
            out.append(text, copied, at - copied);
            out += kMask;
            copied = at + value.size();
        }
        out.append(text, copied);
        text = std::move(out);
    }
    return text;
}

}  // namespace

void register_secret(std::string value) {
    value = trim(value);
    if (value.size() < 6) return;
    std::unique_lock lock(secrets_mutex);
    auto next = std::make_shared<std::vector<std::string>>(*secrets);
    if (std::find(next->begin(), next->end(), value) != next->end()) return;
    next->push_back(std::move(value));
    // Longest first, so a secret that contains another is masked whole.
    std::sort(next->begin(), next->end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    secrets = std::move(next);
}

void clear_registered_secrets() {
    std::unique_lock lock(secrets_mutex);
    secrets = std::make_shared<const std::vector<std::string>>();
}

std::string redact(std::string_view input) {
    std::shared_ptr<const std::vector<std::string>> values;
    {
        std::shared_lock lock(secrets_mutex);
        values = secrets;
    }
    // The order matters: each rule sees what the ones before left.
    std::string text = mask_literals(std::string(input), *values);
    text = replace_all(std::move(text), slack_token);
    text = replace_all(std::move(text), slack_app_token);
    text = replace_all(std::move(text), bearer_credential);
    text = replace_all(std::move(text), basic_credential);
    text = replace_all(std::move(text), url_credentials);
    text = replace_all(std::move(text), PresignedUrl{});
    text = replace_all(std::move(text), query_secret);
    text = replace_all(std::move(text), signature_header);
    text = replace_all(std::move(text), sha256_digest);
    text = replace_all(std::move(text), sigv4_signature);
    text = replace_all(std::move(text), aws_key_id);
    text = replace_all(std::move(text), JsonSecret{});
    return text;
}

}  // namespace opsbot
