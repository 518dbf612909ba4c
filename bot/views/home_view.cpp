#include "bot/views/home_view.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace opsbot::views {
namespace {

nlohmann::json plain(const std::string& text, std::size_t limit) {
    return {{"type", "plain_text"}, {"text", shorten(text, limit)}, {"emoji", true}};
}

nlohmann::json mrkdwn(const std::string& text, std::size_t limit) {
    return {{"type", "mrkdwn"}, {"text", shorten(text, limit)}};
}

nlohmann::json section(const std::string& text) {
    return {{"type", "section"}, {"text", mrkdwn(text, kMaxSectionText)}};
}

nlohmann::json context(const std::string& text) {
    // A context element's text has the section's limit.
    return {{"type", "context"}, {"elements", {mrkdwn(text, kMaxSectionText)}}};
}

nlohmann::json button(DashboardAction action, const std::string& project) {
    return {{"type", "button"},
            {"action_id", kHomeActionPrefix + std::string(to_string(action))},
            {"text", plain(label(action), kMaxButtonText)},
            {"value", shorten(project, kMaxButtonValue)}};
}

// The blocks of one project: a divider, its section, its buttons if any.
std::vector<nlohmann::json> project_blocks(const ProjectBoard& board, TimePoint now) {
    std::vector<nlohmann::json> blocks;
    blocks.push_back({{"type", "divider"}});
    blocks.push_back(section(join(describe_board(board, now, thread_link), "\n")));
    if (board.actions.empty()) return blocks;
    auto buttons = nlohmann::json::array();
    for (DashboardAction action : board.actions)
        buttons.push_back(button(action, board.project.slug));
    blocks.push_back({{"type", "actions"}, {"elements", buttons}});
    return blocks;
}

// Busy projects first (a running deploy, a lock, an alert), so that folding
// hides the quiet ones; catalogue order otherwise.
std::vector<const ProjectBoard*> shown_order(const Dashboard& dashboard) {
    std::vector<const ProjectBoard*> order;
    for (const auto& board : dashboard.projects) order.push_back(&board);
    std::stable_partition(order.begin(), order.end(),
                          [](const ProjectBoard* board) { return board->busy(); });
    return order;
}

std::string more_projects(std::size_t n) {
    return "…and " + std::to_string(n) + " more project" + (n == 1 ? "" : "s") +
           ", quieter ones: `home` in a channel or the console lists them all.";
}

}  // namespace

std::string thread_link(const std::string& channel, const std::string& thread) {
    if (channel.empty() || channel[0] == '#') return "in " + escape_mrkdwn(channel);
    if (thread.empty()) return "<https://slack.com/app_redirect?channel=" + channel + "|channel>";
    std::string ts = thread;
    ts.erase(std::remove(ts.begin(), ts.end(), '.'), ts.end());
    return "<https://slack.com/archives/" + channel + "/p" + ts + "|thread>";
}

nlohmann::json home_view(const Dashboard& dashboard) {
    auto blocks = nlohmann::json::array();
    blocks.push_back({{"type", "header"}, {"text", plain("Your projects", kMaxHeaderText)}});
    blocks.push_back(context("As of " + format_iso8601(dashboard.as_of) +
                             " · updated when something changes · `home` shows it as text"));
    if (dashboard.projects.empty())
        blocks.push_back(
            section("You hold no role on any project, so there is nothing to show yet. An admin "
                    "can add you under `members` in config/opsbot.yaml; `whoami` shows your "
                    "roles."));
    const auto order = shown_order(dashboard);
    std::size_t shown = 0;
    for (const ProjectBoard* board : order) {
        const auto more = project_blocks(*board, dashboard.as_of);
        // One block stays free for the fold line while projects remain.
        const std::size_t reserve = shown + 1 < order.size() ? 1 : 0;
        if (blocks.size() + more.size() + reserve > kMaxViewBlocks) break;
        for (const auto& block : more) blocks.push_back(block);
        ++shown;
    }
    if (shown < order.size()) blocks.push_back(context(more_projects(order.size() - shown)));
    return {{"type", "home"}, {"callback_id", "opsbot_home"}, {"blocks", blocks}};
}

}  // namespace opsbot::views
