#pragma once
// Small string helpers shared by the grammar, the config checks and replies.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsbot {

std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to word, if it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);
// "did you mean 'acme'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// Non-empty parts between separators: "a,,b" → {"a", "b"}.
std::vector<std::string> split(std::string_view text, char separator);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
std::string to_lower(std::string_view text);
// The text as valid UTF-8: each invalid byte (a stray continuation byte, an
// overlong form, a surrogate, past U+10FFFF) and each NUL becomes U+FFFD.
// What PostgreSQL's text columns accept, the same on SQLite.
std::string valid_utf8(std::string_view text);

// At most limit bytes, cut at a UTF-8 character boundary and ended with "…"
// when something was cut.
std::string shorten(std::string text, std::size_t limit);
// &, < and > as Slack's mrkdwn wants them in text from outside: no mention or
// link can be smuggled in.
std::string escape_mrkdwn(std::string_view text);
// A commit SHA as people read it: its first 7 characters ("c6d86dc").
std::string short_sha(std::string_view sha);

}  // namespace opsbot
