#include "core/dashboard.hpp"

#include <algorithm>
#include <set>

#include "core/text.hpp"

namespace opsbot {
namespace {

constexpr Env kProdFirst[] = {Env::prod, Env::stage};

std::optional<DeployRecord> live_deploy(const DeployStore& store, const std::string& project,
                                        Env env) {
    const auto history = store.live_history(project, env, 1);
    if (history.empty()) return std::nullopt;
    return history.front();
}

std::optional<DeployRecord> running_deploy(const DeployStore& store, const std::string& project,
                                           Env env) {
    for (const auto& d : store.recent(project, 10))
        if (d.plan.env == env && !d.finished) return d;
    return std::nullopt;
}

bool allowed_on_any(const Permissions& permissions, const Actor& actor,
                    const std::string& permission, const Project& project) {
    for (Env env : kAllEnvs)
        if (project.environment(env) &&
            permissions.check(actor, {permission, project.slug, env}).allowed)
            return true;
    return false;
}

bool allowed(const Permissions& permissions, const Actor& actor, const Services& services,
             const Project& project, DashboardAction action) {
    switch (action) {
        case DashboardAction::deploy_stage:
        case DashboardAction::release_prod: {
            const Env env = *action_env(action);
            return project.environment(env) &&
                   permissions.check(actor, {"deploy", project.slug, env}).allowed;
        }
        case DashboardAction::purge:
            return allowed_on_any(permissions, actor, "purge", project);
        case DashboardAction::backup:
            return allowed_on_any(permissions, actor, "backup", project);
        case DashboardAction::runbook:
            return services.runbooks && !services.runbooks->runbooks().empty() &&
                   allowed_on_any(permissions, actor, "runbook", project);
    }
    return false;
}

ProjectBoard gather_board(const Catalogue& catalogue, const Services& services,
                          const Permissions& permissions, const Actor& actor,
                          const Project& project, TimePoint now, const DashboardOptions& options,
                          const std::vector<RunRecord>& runs) {
    ProjectBoard board{.project = project};
    for (Env env : kProdFirst)
        if (project.environment(env))
            board.environments.push_back(environment_status(services, project.slug, env, now));
    board.freeze = freeze_in_force(catalogue, project.slug, now);
    if (const auto next = upcoming_freezes(catalogue, project.slug, now); !next.empty())
        board.next_freeze = next.front();
    for (const auto& run : runs)
        if (run.project == project.slug) board.runbooks.push_back(run);
    if (services.alerts)
        board.alerts = services.alerts->open_alerts(project.slug, options.alerts_per_project);
    for (DashboardAction action : kDashboardActions)
        if (allowed(permissions, actor, services, project, action)) board.actions.push_back(action);
    return board;
}

std::string in(TimePoint then, TimePoint now) {
    return format_span(std::chrono::duration_cast<std::chrono::seconds>(then - now));
}

std::string live_text(const EnvironmentStatus& status, TimePoint now) {
    std::string text = std::string(to_string(status.env)) + " ";
    if (!status.live) return text + "–";
    const TimePoint since = status.live->finished.value_or(status.live->created);
    return text + commit_text(*status.live) + " (" + format_elapsed(since, now) + " ago, " +
           escape_mrkdwn(deployer_name(*status.live)) + ")";
}

std::string headline(const ProjectBoard& board, TimePoint now) {
    std::string line = "*" + board.project.slug + "*";
    for (const auto& status : board.environments) line += " · " + live_text(status, now);
    return line;
}

std::string thread_of(const ThreadLink& link, const std::string& channel,
                      const std::string& thread) {
    if (channel.empty()) return "";
    return " — " + link(channel, thread);
}

void add_state_lines(const ProjectBoard& board, TimePoint now, const ThreadLink& link,
                     std::vector<std::string>& lines) {
    for (const auto& status : board.environments) {
        const std::string env = to_string(status.env);
        if (status.lock)
            lines.push_back("🔒 " + env + ": " + escape_mrkdwn(describe_lock(*status.lock, now)));
        if (const auto& d = status.running)
            lines.push_back("⏳ " + label(*d) + " of " + env + " by " +
                            escape_mrkdwn(deployer_name(*d)) + " is " + to_string(d->state) +
                            thread_of(link, d->channel, d->thread));
    }
    if (board.freeze)
        lines.push_back("❄️ prod: " + escape_mrkdwn(describe_freeze(*board.freeze, now)));
    else if (board.next_freeze)
        lines.push_back("🗓️ next freeze: '" + escape_mrkdwn(board.next_freeze->window.name) +
                        "' in " + in(board.next_freeze->starts, now));
}

void add_work_lines(const ProjectBoard& board, const ThreadLink& link,
                    std::vector<std::string>& lines) {
    for (const auto& run : board.runbooks)
        lines.push_back("📋 runbook " + escape_mrkdwn(run.runbook.name) + " (run " +
                        std::to_string(run.id) + ", step " + std::to_string(run.current_step + 1) +
                        "/" + std::to_string(run.runbook.steps.size()) + ", on call " +
                        escape_mrkdwn(run.oncall_name.empty() ? run.oncall_id : run.oncall_name) +
                        ")" + thread_of(link, run.channel, run.thread));
    for (const auto& alert : board.alerts) {
        const std::string id =
            alert.latest.short_id.empty() ? alert.issue_id : alert.latest.short_id;
        std::string line =
            "🚨 " + escape_mrkdwn(id) + ": " + escape_mrkdwn(shorten(alert.latest.title, 120)) +
            " (" + std::to_string(alert.events) + (alert.events == 1 ? " event" : " events") + ")";
        if (!alert.latest.link.empty()) line = line + " <" + alert.latest.link + "|open>";
        lines.push_back(line);
    }
}

}  // namespace

EnvironmentStatus environment_status(const Services& services, const std::string& project, Env env,
                                     TimePoint now) {
    EnvironmentStatus status{.env = env};
    if (services.deploy_records) {
        status.live = live_deploy(*services.deploy_records, project, env);
        status.running = running_deploy(*services.deploy_records, project, env);
    }
    if (services.locks) status.lock = services.locks->find(project, env, now);
    return status;
}

std::string deployer_name(const DeployRecord& deploy) {
    return deploy.requested_by_name.empty() ? deploy.requested_by : deploy.requested_by_name;
}

std::string commit_text(const DeployRecord& deploy) {
    return deploy.commit.empty() ? "an unrecorded commit" : "`" + short_sha(deploy.commit) + "`";
}

const char* to_string(DashboardAction action) {
    switch (action) {
        case DashboardAction::deploy_stage:
            return "deploy_stage";
        case DashboardAction::release_prod:
            return "release_prod";
        case DashboardAction::purge:
            return "purge";
        case DashboardAction::backup:
            return "backup";
        case DashboardAction::runbook:
            return "runbook";
    }
    return "?";
}

const char* label(DashboardAction action) {
    switch (action) {
        case DashboardAction::deploy_stage:
            return "Deploy stage";
        case DashboardAction::release_prod:
            return "Release prod";
        case DashboardAction::purge:
            return "Purge";
        case DashboardAction::backup:
            return "Backup link";
        case DashboardAction::runbook:
            return "Start runbook";
    }
    return "?";
}

std::string form_command(DashboardAction action, const Project& project) {
    switch (action) {
        case DashboardAction::deploy_stage:
            return "deploy";
        case DashboardAction::release_prod:
            return project.release == ReleaseMode::promote ? "release" : "deploy";
        case DashboardAction::purge:
            return "purge";
        case DashboardAction::backup:
            return "backup";
        case DashboardAction::runbook:
            return "runbook start";
    }
    return "";
}

std::optional<Env> action_env(DashboardAction action) {
    if (action == DashboardAction::deploy_stage) return Env::stage;
    if (action == DashboardAction::release_prod) return Env::prod;
    return std::nullopt;
}

std::optional<DashboardAction> parse_dashboard_action(std::string_view id) {
    for (DashboardAction action : kDashboardActions)
        if (id == to_string(action)) return action;
    return std::nullopt;
}

bool ProjectBoard::busy() const {
    const bool env_busy = std::any_of(environments.begin(), environments.end(),
                                      [](const auto& e) { return e.running || e.lock; });
    return env_busy || freeze || !runbooks.empty() || !alerts.empty();
}

std::vector<std::string> projects_with_role(const Catalogue& catalogue, const Actor& actor) {
    std::set<std::string> covered;
    bool every = false;
    for (const auto& held : Permissions(catalogue).roles_of(actor)) {
        every |= held.projects.empty();
        covered.insert(held.projects.begin(), held.projects.end());
    }
    std::vector<std::string> slugs;
    for (const auto& project : catalogue.projects)
        if (every || covered.count(project.slug)) slugs.push_back(project.slug);
    return slugs;
}

Dashboard gather_dashboard(const Catalogue& catalogue, const Services& services, const Actor& actor,
                           TimePoint now, DashboardOptions options) {
    Dashboard dashboard{.projects = {}, .as_of = now};
    const Permissions permissions(catalogue);
    const auto runs = services.runbooks ? services.runbooks->active() : std::vector<RunRecord>{};
    for (const auto& slug : projects_with_role(catalogue, actor))
        dashboard.projects.push_back(gather_board(catalogue, services, permissions, actor,
                                                  *catalogue.find_project(slug), now, options,
                                                  runs));
    return dashboard;
}

std::vector<std::string> describe_board(const ProjectBoard& board, TimePoint now,
                                        const ThreadLink& link) {
    std::vector<std::string> lines{headline(board, now)};
    add_state_lines(board, now, link, lines);
    add_work_lines(board, link, lines);
    return lines;
}

std::string describe_actions(const std::vector<DashboardAction>& actions) {
    std::vector<std::string> names;
    for (DashboardAction action : actions) names.push_back(to_lower(label(action)));
    return join(names, ", ");
}

}  // namespace opsbot
