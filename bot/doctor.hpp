#pragma once
// opsbot doctor: checks each configured service with the credentials opsbot
// would use and says, one line each, ok or the exact error. Services without
// settings are "not configured", which is not a failure.

#include <iosfwd>
#include <string>
#include <vector>

#include "bot/settings.hpp"

namespace opsbot {

class HttpClient;

struct DoctorCheck {
    enum class State { ok, failed, not_configured };
    std::string service;  // "slack bot", "jenkins", "database"…
    State state = State::not_configured;
    std::string detail;  // what was found, or the error and what to do
};

// Catalogue, database, replicas (this one, and on PostgreSQL the others
// alive and who holds each singleton work), Slack (auth.test, apps.connections.open), Jenkins
// (whoAmI), Sentry (the organization), Cloudflare (token verify), S3 (one
// listing with max-keys=1), in that order.
std::vector<DoctorCheck> run_doctor(const Settings& settings, HttpClient& http);

// Prints the checks; 0 when none failed, 1 otherwise.
int print_doctor(const std::vector<DoctorCheck>& checks, std::ostream& out);

}  // namespace opsbot
