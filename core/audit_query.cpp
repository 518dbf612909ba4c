#include "core/audit_query.hpp"

#include <algorithm>
#include <charconv>

namespace opsbot {

Result<AuditQuery> build_audit_query(const AuditFilterText& filter, TimePoint now,
                                     int default_limit, int max_limit) {
    AuditQuery query;
    query.project = filter.project;
    query.actor = filter.actor;
    query.limit = default_limit;
    if (!filter.since.empty()) {
        query.since = parse_since(filter.since, now);
        if (!query.since)
            return Error{"bad_since",
                         "--since '" + filter.since + "' is neither a duration nor a date",
                         "use 1h, 2d or 2026-11-01"};
    }
    if (!filter.outcome.empty()) {
        query.outcome = parse_outcome(filter.outcome);
        if (!query.outcome)
            return Error{
                "bad_outcome", "unknown outcome '" + filter.outcome + "'",
                "use accepted, denied, parse_error, confirmed, started, succeeded or failed"};
    }
    if (!filter.limit.empty()) {
        const std::string& text = filter.limit;
        int value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc{} || end != text.data() + text.size() || value < 1)
            return Error{"bad_limit", "--limit '" + text + "' is not a positive number",
                         "use a number like 50"};
        query.limit = max_limit > 0 ? std::min(value, max_limit) : value;
    }
    return query;
}

}  // namespace opsbot
