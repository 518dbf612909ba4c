#pragma once
// What an alert looks like in Slack: one issue with its counts and the
// Resolve / Ignore / Mute 1h buttons, or a digest of the issues that fired
// together. Block Kit, with the same words as the plain-text fallback.

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/alerts.hpp"
#include "core/command.hpp"

namespace opsbot::alerts {

// Button action ids; the value is the Sentry issue id.
inline constexpr const char* kActionPrefix = "opsbot_alert_";
inline constexpr const char* kResolveAction = "opsbot_alert_resolve";
inline constexpr const char* kIgnoreAction = "opsbot_alert_ignore";
inline constexpr const char* kMuteAction = "opsbot_alert_mute";

// An issue with how many occurrences arrived within the window.
struct IssueCounts {
    AlertIssue issue;
    std::int64_t recent = 0;
};

struct RenderOptions {
    std::chrono::minutes window{5};
    std::string fallback_channel;  // named in the note on uncatalogued projects
};

Reply render_issue(const IssueCounts& issue, const RenderOptions& options);
Reply render_digest(const std::vector<IssueCounts>& issues, const RenderOptions& options);

// "resolved by Alice (Slack)", "muted until 15:04 UTC by Bob (Slack)", "open"
std::string describe_status(const AlertIssue& issue);

}  // namespace opsbot::alerts
