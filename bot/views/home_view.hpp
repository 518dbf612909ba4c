#pragma once
// The Home tab as Block Kit: a header, then per project a section (what is
// live, locks, freezes, what runs, alerts) and the buttons the person's roles
// allow. It keeps within Slack's view limits whatever the catalogue: at most
// 100 blocks (projects that do not fit fold into "…and 14 more projects",
// the busy ones shown first) and each text cut to its block's length.

#include <string>

#include <nlohmann/json.hpp>

#include "core/dashboard.hpp"

namespace opsbot::views {

// Every Home tab button's action_id starts with this; its value is the project.
inline constexpr const char* kHomeActionPrefix = "opsbot_home_";
// Slack's limits for a Home tab (docs: "Reference: views", "Reference: blocks").
inline constexpr std::size_t kMaxViewBlocks = 100;
inline constexpr std::size_t kMaxSectionText = 3000;
inline constexpr std::size_t kMaxHeaderText = 150;
inline constexpr std::size_t kMaxButtonText = 75;
inline constexpr std::size_t kMaxButtonValue = 2000;

nlohmann::json home_view(const Dashboard& dashboard);

// A mrkdwn link into a conversation: its thread when known
// (https://slack.com/archives/C…/p…), else the channel
// (https://slack.com/app_redirect?channel=C…). Slack resolves both for the
// person's workspace; a channel given by name (#acme) is shown as it is.
std::string thread_link(const std::string& channel, const std::string& thread);

}  // namespace opsbot::views
