// The Notification plugin's message (com.tikal.hudson.plugins.notification):
// {"name", "url", "build": {"full_url", "number", "queue_id", "phase",
// "status", "url", "scm": {"branch", "commit", "culprits"}, "timestamp"}}.
// Gson leaves null fields out, and the timestamp was epoch milliseconds in
// old plugin versions and an ISO string in newer ones.

#include <cmath>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "adapters/jenkins/jenkins_client.hpp"
#include "core/encoding.hpp"
#include "core/json.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace opsbot::jenkins {
namespace {

using nlohmann::json;

Error bad(std::string message) {
    return Error{"bad_notification", std::move(message),
                 "configure the Jenkins Notification plugin endpoint with format JSON and "
                 "protocol HTTP"};
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// A JSON number as a whole number; none when it does not fit (converting
// an out-of-range double is undefined behaviour).
std::optional<long long> whole_number(const json& value) {
    if (value.is_number_unsigned()) {
        const auto n = value.get<unsigned long long>();
        if (n > static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
            return std::nullopt;
        return static_cast<long long>(n);
    }
    if (value.is_number_integer()) return value.get<long long>();
    const double d = value.get<double>();
    if (!std::isfinite(d) || d < -9e18 || d > 9e18) return std::nullopt;
    return static_cast<long long>(d);
}

// Numbers arrive as JSON numbers, or as strings from hand-written templates.
long number_of(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return 0;
    if (it->is_number()) return static_cast<long>(whole_number(*it).value_or(0));
    if (it->is_string() && all_digits(it->get<std::string>()) && it->get<std::string>().size() < 19)
        return std::stol(it->get<std::string>());
    return 0;
}

// "job/clients/job/acme/job/deploy-prod/" → "clients/acme/deploy-prod"; the
// plugin's "name" is the last segment only. "" when url is not a job path.
std::string full_name_from_url(std::string_view url) {
    std::string name;
    std::size_t start = 0;
    while (start < url.size()) {
        if (url.substr(start, 4) != "job/") return {};
        const auto end = std::min(url.find('/', start + 4), url.size());
        if (end == start + 4) return {};
        if (!name.empty()) name += '/';
        name += percent_decode(url.substr(start + 4, end - start - 4), false);
        start = end + 1;
    }
    return name;
}

std::string job_name(const json& message) {
    const std::string name = string_field(message, "name");
    if (const auto full = string_field(message, "full_name"); !full.empty()) return full;
    const std::string from_url = full_name_from_url(string_field(message, "url"));
    const bool agrees = from_url == name || (from_url.size() > name.size() &&
                                             from_url.compare(from_url.size() - name.size() - 1,
                                                              std::string::npos, "/" + name) == 0);
    return agrees && !from_url.empty() ? from_url : name;
}

// "+01:00", "-0530", "Z" or "" → the offset east of UTC.
std::optional<std::chrono::minutes> utc_offset(std::string_view zone) {
    if (zone.empty() || zone == "Z") return std::chrono::minutes(0);
    if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
    std::string digits;
    for (const char c : zone.substr(1))
        if (c != ':') digits += c;
    if (digits.size() != 4 || !all_digits(digits)) return std::nullopt;
    const auto minutes = std::stoi(digits.substr(0, 2)) * 60 + std::stoi(digits.substr(2));
    return std::chrono::minutes(zone[0] == '-' ? -minutes : minutes);
}

// The plugin formats "yyyy-MM-dd'T'HH:mm:ss.Sz" with "UTC" turned into
// "+00:00": ".S" is the millisecond count unpadded, so ".5" is 5 ms, not 500.
std::optional<TimePoint> parse_plugin_time(std::string_view text) {
    if (text.size() < 19) return std::nullopt;
    const auto base = parse_iso8601(std::string(text.substr(0, 19)) + "Z");
    if (!base) return std::nullopt;
    std::string_view rest = text.substr(19);
    long millis = 0;
    if (!rest.empty() && rest[0] == '.') {
        const auto digits_end = std::min(rest.find_first_not_of("0123456789", 1), rest.size());
        const std::string digits(rest.substr(1, digits_end - 1));
        if (digits.empty()) return std::nullopt;
        // Longer fractions are true decimals: their first three digits are milliseconds.
        millis = std::stol(digits.substr(0, 3));
        rest = rest.substr(digits_end);
    }
    const auto offset = utc_offset(rest);
    if (!offset) return std::nullopt;
    return *base + std::chrono::milliseconds(millis) - *offset;
}

std::optional<TimePoint> timestamp_of(const json& build) {
    const auto it = build.find("timestamp");
    if (it == build.end()) return std::nullopt;
    if (it->is_number()) {
        const auto millis = whole_number(*it);
        if (!millis) return std::nullopt;
        return TimePoint(std::chrono::milliseconds(*millis));
    }
    if (!it->is_string()) return std::nullopt;
    const auto text = it->get<std::string>();
    if (all_digits(text) && text.size() < 19)
        return TimePoint(std::chrono::milliseconds(std::stoll(text)));
    return parse_plugin_time(text);
}

void read_scm(const json& build, BuildNotification& out) {
    const auto scm = build.find("scm");
    if (scm == build.end() || !scm->is_object()) return;
    out.branch = string_field(*scm, "branch");
    out.commit = string_field(*scm, "commit");
    const auto culprits = scm->find("culprits");
    if (culprits == scm->end() || !culprits->is_array()) return;
    for (const auto& culprit : *culprits)
        if (culprit.is_string()) out.culprits.push_back(culprit.get<std::string>());
}

}  // namespace

Result<BuildNotification> parse_notification(std::string_view body) {
    const auto message = json::parse(body, nullptr, false);
    if (message.is_discarded() || !message.is_object())
        return bad("the Jenkins notification is not a JSON object");
    const auto build = message.find("build");
    if (build == message.end() || !build->is_object())
        return bad("the Jenkins notification has no \"build\" object");
    BuildNotification out;
    out.job = job_name(message);
    if (out.job.empty()) return bad("the Jenkins notification names no job");
    out.phase = string_field(*build, "phase");
    for (auto& c : out.phase)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (out.phase.empty()) return bad("the Jenkins notification for " + out.job + " has no phase");
    out.job_url = string_field(message, "url");
    out.status = string_field(*build, "status");
    out.number = number_of(*build, "number");
    out.queue_id = number_of(*build, "queue_id");
    out.full_url = string_field(*build, "full_url");
    out.timestamp = timestamp_of(*build);
    read_scm(*build, out);
    return out;
}

bool tokens_equal(std::string_view expected, std::string_view given) {
    if (expected.empty()) return false;
    // Runs over the whole given token whatever matches, so the time taken
    // says nothing about how much of it was right.
    unsigned difference = expected.size() == given.size() ? 0U : 1U;
    for (std::size_t i = 0; i < given.size(); ++i)
        difference |= static_cast<unsigned char>(given[i]) ^
                      static_cast<unsigned char>(expected[i % expected.size()]);
    return difference == 0;
}

}  // namespace opsbot::jenkins
