#pragma once
// The audit filters as people type them (chat and command line share them).

#include <string>

#include "core/audit.hpp"
#include "core/result.hpp"

namespace opsbot {

struct AuditFilterText {
    std::string since;  // "1d", "2h", "2026-11-01"
    std::string project;
    std::string actor;
    std::string outcome;
    std::string limit;
};

Result<AuditQuery> build_audit_query(const AuditFilterText& filter, TimePoint now,
                                     int default_limit, int max_limit);

}  // namespace opsbot
