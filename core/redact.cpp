#include "core/redact.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <regex>
#include <shared_mutex>
#include <vector>

#include "core/text.hpp"

namespace opsbot {
namespace {

constexpr const char* kMask = "[redacted]";

struct Rule {
    // Lowercase substrings, one of which must be in the text for the regex
    // to run: most lines contain none, and skip every regex.
    std::vector<std::string> triggers;
    std::regex pattern;
    const char* replacement;
};

const std::vector<Rule>& rules() {
    using std::regex;
    constexpr auto flags = regex::ECMAScript | regex::optimize;
    constexpr auto nocase = flags | regex::icase;
    static const std::vector<Rule> table = {
        // Slack bot, user, app, refresh and config tokens.
        {{"xox"}, regex(R"((xox[a-z])-[A-Za-z0-9-]{1,512})", flags), "$1-[redacted]"},
        {{"xapp-"}, regex(R"(xapp-[A-Za-z0-9-]{1,512})", flags), "xapp-[redacted]"},
        // Authorization headers and their bare values.
        {{"bearer"},
         regex(R"((bearer)\s{1,8}[A-Za-z0-9._~+/=-]{1,4096})", nocase),
         "$1 [redacted]"},
        {{"basic"}, regex(R"((basic)\s{1,8}[A-Za-z0-9+/=]{8,4096})", nocase), "$1 [redacted]"},
        // Credentials inside a URL: https://user:password@host
        {{"://"}, regex(R"((\w{1,16}://)[^/\s:@]{1,256}:[^/\s@]{1,256}@)", flags), "$1[redacted]@"},
        // A presigned URL's whole query string is its credential.
        {{"x-amz-"},
         regex(R"((\w{1,16}://[^\s?"'<>]{1,2048})\?[^\s"'<>]{0,4096}X-Amz-[^\s"'<>]{0,4096})",
               nocase),
         "$1?[redacted]"},
        // Secrets in query strings.
        {{"token=", "key=", "secret=", "password=", "signature=", "sig="},
         regex(
             R"(([?&](?:token|access_token|api_key|apikey|secret|password|signature|sig)=)[^&\s"'<>]{1,4096})",
             nocase),
         "$1[redacted]"},
        // Webhook signatures and crumbs in headers.
        {{"signature", "crumb"},
         regex(
             R"(((?:sentry-hook-signature|x-slack-signature|x-hub-signature(?:-256)?|jenkins-crumb)\s{0,8}[:=]\s{0,8})[^\s,;"]{1,4096})",
             nocase),
         "$1[redacted]"},
        {{"sha256="}, regex(R"(sha256=[0-9a-fA-F]{16,256})", flags), "sha256=[redacted]"},
        // AWS access key ids.
        {{"akia", "asia"}, regex(R"(\b(AKIA|ASIA)[A-Z0-9]{16}\b)", flags), "$1[redacted]"},
        // Secret-looking JSON fields.
        {{"password", "secret", "token"},
         regex(
             R"sql(("(?:password|secret|token|api_token|client_secret|access_token|secret_access_key|session_token)"\s{0,8}:\s{0,8}")[^"]{0,4096}")sql",
             nocase),
         "$1[redacted]\""},
    };
    return table;
}

// Every quantifier is bounded: libstdc++'s regex recurses once per matched
// character, and an unbounded match over a huge token would overflow the stack.

// Registered values are replaced as literals; a snapshot is swapped in
// whole so that readers never wait on a writer for long.
std::shared_mutex secrets_mutex;
std::shared_ptr<const std::vector<std::string>> secrets =
    std::make_shared<const std::vector<std::string>>();

std::string mask_literals(std::string text, const std::vector<std::string>& values) {
    for (const auto& value : values) {
        for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at))
            text.replace(at, value.size(), kMask), at += std::char_traits<char>::length(kMask);
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
    std::string text = mask_literals(std::string(input), *values);
    std::string lowered = to_lower(text);
    for (const auto& rule : rules()) {
        const bool triggered =
            std::any_of(rule.triggers.begin(), rule.triggers.end(),
                        [&](const std::string& t) { return lowered.find(t) != std::string::npos; });
        if (!triggered) continue;
        text = std::regex_replace(text, rule.pattern, rule.replacement);
        lowered = to_lower(text);
    }
    return text;
}

}  // namespace opsbot
