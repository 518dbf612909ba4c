#pragma once
// A person's dashboard: for each project they hold a role on, what is live
// on stage and prod, locks and freeze windows, what is running (deploys,
// releases, runbooks), the open alerts, and which actions their roles allow.
// Gathered once here and shown twice: as text by the `home` command and as
// the Slack Home tab (bot/views/home_view). `status` reads the same
// environment state.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/alerts.hpp"
#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/deploys.hpp"
#include "core/freeze.hpp"
#include "core/locks.hpp"
#include "core/permissions.hpp"
#include "core/runbooks.hpp"

namespace opsbot {

// One environment now: the last deploy that put a known commit live, the
// deploy running on it, and its lock.
struct EnvironmentStatus {
    Env env = Env::stage;
    std::optional<DeployRecord> live;
    std::optional<DeployRecord> running;
    std::optional<Lock> lock;
};
// Reads what services has (no deploy store: nothing live; no lock store: no lock).
EnvironmentStatus environment_status(const Services& services, const std::string& project, Env env,
                                     TimePoint now);

// Who put a deploy live: the name when known, else the Slack id.
std::string deployer_name(const DeployRecord& deploy);
// "`c6d86dc`", or "an unrecorded commit".
std::string commit_text(const DeployRecord& deploy);

// The actions a Home tab offers, each behind its permission.
enum class DashboardAction { deploy_stage, release_prod, purge, backup, runbook };
inline constexpr DashboardAction kDashboardActions[] = {
    DashboardAction::deploy_stage, DashboardAction::release_prod, DashboardAction::purge,
    DashboardAction::backup, DashboardAction::runbook};
const char* to_string(DashboardAction action);  // "deploy_stage", an id
const char* label(DashboardAction action);      // "Deploy stage", for people
// The command whose form the action opens: "deploy", "release" (a promote
// project's prod; a job project's prod is a "deploy"), "purge", "backup",
// "runbook start".
std::string form_command(DashboardAction action, const Project& project);
// The environment the action is for: stage for deploy_stage, prod for
// release_prod; none for the others, whose form offers one.
std::optional<Env> action_env(DashboardAction action);
std::optional<DashboardAction> parse_dashboard_action(std::string_view id);

struct ProjectBoard {
    Project project;
    std::vector<EnvironmentStatus> environments;  // prod first
    std::optional<FreezePeriod> freeze;           // in force over prod now
    std::optional<FreezePeriod> next_freeze;      // the next to start
    std::vector<RunRecord> runbooks;              // runs under way
    std::vector<AlertIssue> alerts;               // open, newest first
    std::vector<DashboardAction> actions;         // the ones the person may take

    // Something to look at now: a running deploy or runbook, a lock, a freeze, an alert.
    bool busy() const;
};

struct Dashboard {
    std::vector<ProjectBoard> projects;  // catalogue order
    TimePoint as_of;
};

// The slugs of the projects the actor holds any role on, in catalogue order.
std::vector<std::string> projects_with_role(const Catalogue& catalogue, const Actor& actor);

struct DashboardOptions {
    int alerts_per_project = 5;
};
Dashboard gather_dashboard(const Catalogue& catalogue, const Services& services, const Actor& actor,
                           TimePoint now, DashboardOptions options = {});

// A link to a conversation (channel, thread ts; thread may be empty), in
// mrkdwn: the Home tab links into Slack, the console names the channel.
using ThreadLink =
    std::function<std::string(const std::string& channel, const std::string& thread)>;

// The project's lines in mrkdwn, one fact each: its headline (what is live),
// then locks, freeze, what runs, alerts. The actions are left to the caller.
std::vector<std::string> describe_board(const ProjectBoard& board, TimePoint now,
                                        const ThreadLink& link);
// "deploy stage, release prod, purge" for people.
std::string describe_actions(const std::vector<DashboardAction>& actions);

}  // namespace opsbot
