// The Slack app manifest in config/ against what opsbot handles: a slash
// command Slack would send that names no command, or an event or surface
// opsbot relies on that the app does not enable, fails here rather than in
// a workspace.

#include <catch2/catch.hpp>

#include <set>

#include <yaml-cpp/yaml.h>

#include "commands/builtin_commands.hpp"

using namespace opsbot;

namespace {

YAML::Node manifest() {
    return YAML::LoadFile(std::string(OPSBOT_SOURCE_DIR) + "/config/slack-app-manifest.yaml");
}

}  // namespace

TEST_CASE("manifest: every slash command names a command opsbot has", "[manifest]") {
    CommandRegistry registry;
    commands::register_builtin_commands(registry);
    const auto slash = manifest()["features"]["slash_commands"];
    REQUIRE(slash.size() > 5);
    std::set<std::string> seen;
    for (const auto& entry : slash) {
        const auto command = entry["command"].as<std::string>();
        INFO(command);
        CHECK(seen.insert(command).second);  // Slack refuses a manifest naming one twice
        REQUIRE(command.rfind('/', 0) == 0);
        CHECK(entry["should_escape"].as<bool>());  // mentions arrive as <@U…>
        if (command == "/ops") continue;
        // "/runbook start …" runs "runbook start …": a command, or a group of them.
        const auto name = command.substr(1);
        const auto names = registry.names();
        CHECK(std::any_of(names.begin(), names.end(), [&](const std::string& known) {
            return known == name || known.rfind(name + " ", 0) == 0;
        }));
    }
}

TEST_CASE("manifest: Socket Mode, interactivity, the Home tab and its events", "[manifest]") {
    const auto app = manifest();
    CHECK(app["settings"]["socket_mode_enabled"].as<bool>());
    CHECK(app["settings"]["interactivity"]["is_enabled"].as<bool>());
    CHECK(app["features"]["app_home"]["home_tab_enabled"].as<bool>());
    // Answers to forms opened from the Home tab come as direct messages.
    CHECK(app["features"]["app_home"]["messages_tab_enabled"].as<bool>());
    std::vector<std::string> events;
    for (const auto& event : app["settings"]["event_subscriptions"]["bot_events"])
        events.push_back(event.as<std::string>());
    CHECK(events == std::vector<std::string>{"app_mention", "app_home_opened"});
    std::vector<std::string> scopes;
    for (const auto& scope : app["oauth_config"]["scopes"]["bot"])
        scopes.push_back(scope.as<std::string>());
    for (const char* needed : {"app_mentions:read", "chat:write", "commands", "usergroups:read"})
        CHECK(std::find(scopes.begin(), scopes.end(), needed) != scopes.end());
}
