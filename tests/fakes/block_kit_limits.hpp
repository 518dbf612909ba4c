#pragma once
// Slack's documented limits on views and their blocks, as the fake Slack
// enforces them: a view over a limit is refused (invalid_arguments), as
// Slack refuses it. Written from Slack's reference, apart from opsbot's own
// folding, so that a test of that folding can fail.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opsbot::test {

// What Slack would refuse in a modal or Home tab view, one line per problem
// ("blocks: 101 blocks, at most 100"); empty when it would take it.
std::vector<std::string> view_problems(const nlohmann::json& view);

// The buttons of a view's actions blocks, as "action_id:value", in order.
std::vector<std::string> view_buttons(const nlohmann::json& view);

}  // namespace opsbot::test
