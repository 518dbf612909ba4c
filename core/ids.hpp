#pragma once

#include <string>

namespace opsbot {

// A short random id that ties together the audit rows and log lines of one
// command or webhook: 12 lowercase hex characters.
std::string new_correlation_id();

}  // namespace opsbot
