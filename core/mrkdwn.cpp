#include "core/mrkdwn.hpp"

#include <optional>
#include <vector>

#include "core/text.hpp"

// One pass, left to right. Fences, code spans and <…> constructs are read
// whole; an emphasis marker that opens is dropped and its closer marked for
// dropping when the pass reaches it, so emphasis nests without recursion.
// Every search stops at the end of its line (fences excepted), and the
// closer searches remember their last answer, so the pass is linear.

namespace opsbot {
namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool has_space(std::string_view text) {
    for (const char c : text)
        if (is_space(c)) return true;
    return false;
}

// Appends the character at text[at], or what the entity there stands for
// (&lt; &gt; &amp;); returns how many characters of text it took.
std::size_t append_decoded(std::string& out, std::string_view text, std::size_t at) {
    static constexpr struct {
        std::string_view name;
        char value;
    } kEntities[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}};
    if (text[at] == '&')
        for (const auto& entity : kEntities)
            if (text.compare(at, entity.name.size(), entity.name) == 0) {
                out += entity.value;
                return entity.name.size();
            }
    out += text[at];
    return 1;
}

std::string decoded(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) at += append_decoded(out, text, at);
    return out;
}

// Where the first of `stops` at or after `from` is, or npos when the line
// ends first.
std::size_t find_on_line(std::string_view text, std::string_view stops, std::size_t from) {
    for (auto at = from; at < text.size() && text[at] != '\n'; ++at)
        if (stops.find(text[at]) != npos) return at;
    return npos;
}

std::string with_prefix(char prefix, const std::string& label) {
    return label.front() == prefix ? label : prefix + label;
}

// <!here>, <!subteam^S1|@ops>, <!date^…|fallback>.
std::optional<std::string> special_mention(std::string_view command, const std::string& label) {
    if (starts_with(command, "date^")) {
        if (label.empty()) return std::nullopt;
        return label;
    }
    if (!label.empty()) return with_prefix('@', label);
    if (starts_with(command, "subteam^")) command.remove_prefix(8);
    return "@" + std::string(command);
}

// What a <target|label> construct shows, or nullopt when it is none: a
// placeholder such as <BACKUP_BUCKET> is text.
std::optional<std::string> angle_text(std::string_view inner) {
    const std::size_t bar = inner.find('|');
    const std::string_view target = inner.substr(0, bar);
    const std::string label = bar == npos ? "" : decoded(inner.substr(bar + 1));
    if (target.empty()) return std::nullopt;
    switch (target.front()) {
        case '@':
        case '#':
            if (target.size() == 1 || has_space(target)) return std::nullopt;
            return label.empty() ? std::string(target) : with_prefix(target.front(), label);
        case '!':
            return special_mention(target.substr(1), label);
        default:
            break;
    }
    if (has_space(target)) return std::nullopt;
    const std::string url = decoded(target);
    if (bar == npos) {
        if (url.find("://") == npos && !starts_with(url, "mailto:")) return std::nullopt;
        return url;
    }
    if (label.empty() || label == url) return url;
    if (url == "mailto:" + label) return label;
    return label + " (" + url + ")";
}

class PlainText {
public:
    explicit PlainText(std::string_view text) : text_(text), closer_(text.size(), false) {}

    std::string render() {
        out_.reserve(text_.size());
        while (at_ < text_.size()) step();
        return std::move(out_);
    }

private:
    // The first closer for a marker at or after `from` on its line: a
    // non-space before it, no letter or digit after it.
    struct CloserSearch {
        std::size_t from = npos;
        std::size_t end = 0;  // the answer, or the line's end when none
        std::size_t found = npos;
    };

    void step() {
        const char c = text_[at_];
        if (closer_[at_]) {
            ++at_;
            return;
        }
        if (c == '`' && (fence() || code_span())) return;
        if (c == '<' && angle()) return;
        if ((c == '*' || c == '_' || c == '~') && emphasis()) return;
        if (c == 'h' && bare_url()) return;
        copy_char();
    }

    void copy_char() { at_ += append_decoded(out_, text_, at_); }

    bool word_before() const { return at_ > 0 && is_alnum(text_[at_ - 1]); }

    // ```lines``` → lines. A line break right after the opening fence goes
    // with it, as does the last one before a closing fence that ends a line.
    bool fence() {
        if (text_.compare(at_, 3, "```") != 0) return false;
        const std::size_t open = at_ + 3;
        const std::size_t close = text_.find("```", open);
        if (close == npos) return false;
        const std::size_t after = close + 3;
        std::size_t begin = open;
        std::size_t end = close;
        if (begin < end && text_[begin] == '\n') ++begin;
        if (begin < end && text_[end - 1] == '\n' &&
            (after == text_.size() || text_[after] == '\n'))
            --end;
        out_ += decoded(text_.substr(begin, end - begin));
        at_ = after;
        return true;
    }

    bool code_span() {
        const std::size_t close = find_on_line(text_, "`", at_ + 1);
        if (close == npos || close == at_ + 1) return false;
        out_ += decoded(text_.substr(at_ + 1, close - at_ - 1));
        at_ = close + 1;
        return true;
    }

    bool angle() {
        const std::size_t close = find_on_line(text_, "<>", at_ + 1);
        if (close == npos || text_[close] != '>') return false;
        const auto shown = angle_text(text_.substr(at_ + 1, close - at_ - 1));
        if (!shown) return false;
        out_ += *shown;
        at_ = close + 1;
        return true;
    }

    bool emphasis() {
        const char marker = text_[at_];
        if (word_before() || (at_ > 0 && text_[at_ - 1] == marker)) return false;
        if (at_ + 1 >= text_.size() || is_space(text_[at_ + 1]) || text_[at_ + 1] == marker)
            return false;
        const std::size_t close = find_closer(marker, at_ + 2);
        if (close == npos) return false;
        closer_[close] = true;
        ++at_;
        return true;
    }

    std::size_t find_closer(char marker, std::size_t from) {
        CloserSearch& last = searches_[marker == '*' ? 0 : marker == '_' ? 1 : 2];
        if (last.from != npos && from >= last.from && from <= last.end) return last.found;
        last = {from, from, npos};
        for (; last.end < text_.size() && text_[last.end] != '\n'; ++last.end) {
            const std::size_t at = last.end;
            if (text_[at] != marker || is_space(text_[at - 1])) continue;
            if (at + 1 < text_.size() && is_alnum(text_[at + 1])) continue;
            last.found = at;
            break;
        }
        return last.found;
    }

    // A bare URL is copied as it is: its underscores are not emphasis.
    bool bare_url() {
        if (word_before()) return false;
        const auto rest = text_.substr(at_);
        if (!starts_with(rest, "http://") && !starts_with(rest, "https://")) return false;
        while (at_ < text_.size() && !closer_[at_] && !is_space(text_[at_]) && text_[at_] != '<' &&
               text_[at_] != '>')
            copy_char();
        return true;
    }

    std::string_view text_;
    std::vector<bool> closer_;
    CloserSearch searches_[3];
    std::string out_;
    std::size_t at_ = 0;
};

}  // namespace

std::string mrkdwn_to_plain(std::string_view text) {
    return PlainText(text).render();
}

}  // namespace opsbot
