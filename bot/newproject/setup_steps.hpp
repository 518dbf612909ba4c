#pragma once
// Internal to bot/newproject: how steps word their reports.

#include <string>
#include <vector>

#include "adapters/cloudflare/cloudflare.hpp"
#include "core/project_setup.hpp"

namespace opsbot::setup {

inline StepReport report(StepState state, std::string summary, std::string external_id = {},
                         std::string link = {}) {
    StepReport r;
    r.state = state;
    r.summary = std::move(summary);
    r.external_id = std::move(external_id);
    r.link = std::move(link);
    return r;
}
inline StepReport will_create(std::string summary) {
    return report(StepState::create, std::move(summary));
}
inline StepReport exists(std::string summary, std::string external_id = {}, std::string link = {}) {
    return report(StepState::exists, std::move(summary), std::move(external_id), std::move(link));
}
inline StepReport done(std::string summary, std::string external_id = {}, std::string link = {}) {
    return report(StepState::done, std::move(summary), std::move(external_id), std::move(link));
}
inline StepReport skipped(std::string why) {
    return report(StepState::skip, std::move(why));
}
inline StepReport failed(const Error& error, std::string summary = "not done") {
    auto r = report(StepState::failed, std::move(summary));
    r.error = error.message + (error.hint.empty() ? "" : " — " + error.hint);
    return r;
}

// The records the manual prescribes: the domain proxied to the server, and
// direct.<domain> unproxied (a CNAME to the server's name when given).
std::vector<cloudflare::DnsRecord> wanted_records(const NewProjectRequest& request);

}  // namespace opsbot::setup
