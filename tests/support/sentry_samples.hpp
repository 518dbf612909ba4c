#pragma once
// Sentry alerts for tests: Sentry's documented issue-created webhook body with
// an id and title of the test's choosing, and an Alert as the intake records.

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/alerts.hpp"

namespace opsbot::test {

// tests/data/sentry/issue_created.json for project acme.
inline std::string sentry_issue_created(const std::string& issue_id, const std::string& title) {
    std::ifstream in(std::string(OPSBOT_SOURCE_DIR) + "/tests/data/sentry/issue_created.json");
    std::stringstream text;
    text << in.rdbuf();
    auto payload = nlohmann::json::parse(text.str());
    auto& issue = payload["data"]["issue"];
    issue["id"] = issue_id;
    issue["project"]["slug"] = "acme";
    issue["title"] = title;
    return payload.dump();
}

inline Alert sample_alert() {
    Alert alert;
    alert.resource = "issue";
    alert.action = "created";
    alert.issue_id = "42";
    alert.project = "acme";
    alert.title = "TypeError: x is undefined";
    return alert;
}

}  // namespace opsbot::test
