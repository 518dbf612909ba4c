#include "core/config_loader.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/config_checker.hpp"
#include "core/freeze_config.hpp"
#include "core/text.hpp"

namespace opsbot {

const std::vector<std::string>& known_permissions() {
    static const std::vector<std::string> names{
        "deploy", "rollback",   "purge",  "backup",          "lock", "runbook", "audit",
        "alerts", "newproject", "triage", "freeze-override", "*"};
    return names;
}

bool valid_slug(const std::string& slug) {
    static const std::regex pattern("^[a-z][a-z0-9-]{1,30}$");
    return std::regex_match(slug, pattern);
}

std::string slug_fix(const std::string& slug) {
    std::string fixed;
    for (char c : to_lower(slug))
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') fixed += c;
    return "use lowercase letters, digits and dashes, starting with a letter" +
           (fixed.empty() || fixed == slug ? std::string{} : " (e.g. '" + fixed + "')");
}

namespace {

const std::vector<std::string> kTopKeys{"projects", "roles", "members", "runbooks", "freeze"};
const std::vector<std::string> kProjectKeys{
    "slug",         "name",  "channel", "repo", "web_url", "release", "prod_requires_second_person",
    "environments", "freeze"};
const std::vector<std::string> kEnvironmentKeys{
    "jenkins_job",     "jenkins_params", "branch",        "domain",
    "cloudflare_zone", "sentry_project", "backup_prefix", "ref_param"};
const std::vector<std::string> kRoleKeys{"description", "permissions", "environments"};
const std::vector<std::string> kMemberKeys{"user", "usergroup", "name", "roles", "projects"};

using Checker = ConfigChecker;

Environment read_environment(Checker& c, const YAML::Node& node, Env env,
                             const std::string& where) {
    Environment e;
    e.location = c.at(node);
    if (!c.expect(node, YAML::NodeType::Map, where)) return e;
    c.known_keys(node, kEnvironmentKeys, where);
    e.jenkins_job = c.text(node, "jenkins_job", where, false);
    if (e.jenkins_job.empty())
        c.problem(node, where + " has no jenkins_job",
                  "add 'jenkins_job: clients/<slug>/deploy-" + std::string(to_string(env)) + "'");
    e.branch = c.text(node, "branch", where, false);
    if (e.branch.empty()) e.branch = env == Env::prod ? "master" : "develop";
    e.ref_param = c.text(node, "ref_param", where, false);
    e.ref_param_given = !e.ref_param.empty();
    if (!e.ref_param_given) e.ref_param = "BRANCH";
    e.domain = c.text(node, "domain", where, false);
    e.cloudflare_zone = c.text(node, "cloudflare_zone", where, false);
    static const std::regex zone_id("^[0-9a-f]{32}$");
    if (!e.cloudflare_zone.empty() && !std::regex_match(e.cloudflare_zone, zone_id))
        c.problem(node["cloudflare_zone"],
                  "cloudflare_zone '" + e.cloudflare_zone + "' is not a zone id",
                  "use the 32-character hex zone id from the Cloudflare dashboard, or leave it out "
                  "to look the zone up by domain");
    e.sentry_project = c.text(node, "sentry_project", where, false);
    e.backup_prefix = c.text(node, "backup_prefix", where, false);
    if (const auto params = node["jenkins_params"]) {
        if (c.expect(params, YAML::NodeType::Map, "jenkins_params in " + where))
            for (const auto& p : params)
                if (c.expect(p.second, YAML::NodeType::Scalar,
                             "jenkins_params." + p.first.Scalar()))
                    e.jenkins_params[p.first.Scalar()] = p.second.Scalar();
    }
    return e;
}

void read_environments(Checker& c, const YAML::Node& node, Project& p, const std::string& where) {
    const auto envs = node["environments"];
    if (!envs) {
        c.problem(node, where + " has no environments", "add 'environments:' with stage and prod");
        return;
    }
    if (!c.expect(envs, YAML::NodeType::Map, "environments of " + where)) return;
    for (const auto& entry : envs) {
        const auto name = entry.first.Scalar();
        const auto env = name == "stage"  ? std::optional<Env>(Env::stage)
                         : name == "prod" ? std::optional<Env>(Env::prod)
                                          : std::nullopt;
        if (!env) {
            c.problem(entry.first, "unknown environment '" + name + "' in " + where,
                      "use stage or prod");
            continue;
        }
        p.environments[*env] = read_environment(c, entry.second, *env, name + " of " + where);
    }
    for (Env env : kAllEnvs)
        if (!p.environment(env))
            c.problem(Checker::key_of(node, "environments"),
                      where + " has no " + std::string(to_string(env)) + " environment",
                      "add '" + std::string(to_string(env)) + ":' with its jenkins_job");
}

// release: job (the default) or promote, and what promote needs.
void read_release_mode(Checker& c, const YAML::Node& node, Project& p, const std::string& where) {
    const auto mode = c.text(node, "release", where, false);
    if (mode.empty() || mode == "job") return;
    if (mode != "promote") {
        c.problem(
            node["release"], "release '" + mode + "' in " + where + " is neither job nor promote",
            "release: job starts the prod Jenkins job on master (the default); release: promote "
            "merges develop into master and pushes it, and Jenkins deploys the push");
        return;
    }
    p.release = ReleaseMode::promote;
    if (p.repo.empty())
        c.problem(node["release"], where + " releases by promotion but has no repo",
                  "add 'repo: git@…' (the remote opsbot merges develop into master in)");
}

// A promote project's prod must name the job's ref parameter: rollback runs
// the job with the commit to put back.
void check_rollback_target(Checker& c, const YAML::Node& node, const Project& p,
                           const std::string& where) {
    const Environment* prod = p.environment(Env::prod);
    if (p.release != ReleaseMode::promote || !prod || prod->ref_param_given) return;
    c.problem(Checker::key_of(node["environments"], "prod"),
              "prod of " + where + " names no ref_param, so it cannot be rolled back",
              "add 'ref_param: <the prod job's parameter that takes a branch or commit>' (e.g. "
              "ref_param: BRANCH); rollback starts the job with the older commit in it");
}

Project read_project(Checker& c, const YAML::Node& node) {
    Project p;
    p.location = c.at(node);
    if (!c.expect(node, YAML::NodeType::Map, "a project")) return p;
    p.slug = c.text(node, "slug", "a project", true);
    const std::string where = p.slug.empty() ? "a project" : "project '" + p.slug + "'";
    c.known_keys(node, kProjectKeys, where);
    if (!p.slug.empty() && !valid_slug(p.slug))
        c.problem(node["slug"], "bad slug '" + p.slug + "'", slug_fix(p.slug));
    p.name = c.text(node, "name", where, true);
    p.channel = c.text(node, "channel", where, true);
    static const std::regex channel("^(#[a-z0-9][a-z0-9._-]*|[CG][A-Z0-9]{6,})$");
    if (!p.channel.empty() && !std::regex_match(p.channel, channel))
        c.problem(node["channel"], "channel '" + p.channel + "' is neither #name nor a channel id",
                  "use \"#" + p.slug + "\" (quoted: # starts a comment in YAML) or the C… id");
    p.repo = c.text(node, "repo", where, false);
    static const std::regex secret_in_url("^[a-z+]+://[^/@]*:[^/@]*@.*");
    if (std::regex_match(p.repo, secret_in_url))
        c.problem(node["repo"], "the repo URL of " + where + " carries a password or token",
                  "secrets never go in the catalogue: drop 'user:password@' from the URL and set "
                  "OPSBOT_GIT_TOKEN (https) or OPSBOT_GIT_SSH_KEY (ssh)");
    p.web_url = c.text(node, "web_url", where, false);
    if (!p.web_url.empty() && !starts_with(p.web_url, "https://") &&
        !starts_with(p.web_url, "http://"))
        c.problem(
            node["web_url"], "web_url '" + p.web_url + "' is not a web address",
            "give the repo's page in a browser, e.g. https://git.example.com/clients/" + p.slug);
    read_release_mode(c, node, p, where);
    const auto second = c.text(node, "prod_requires_second_person", where, false);
    if (!second.empty() && second != "true" && second != "false")
        c.problem(node["prod_requires_second_person"],
                  "prod_requires_second_person must be true or false", "");
    p.prod_requires_second_person = second == "true";
    read_environments(c, node, p, where);
    check_rollback_target(c, node, p, where);
    p.freeze = read_freeze_windows(c, node, p.slug, where);
    for (auto& [env, e] : p.environments)
        if (e.backup_prefix.empty()) e.backup_prefix = "backups/" + p.slug + "/";
    return p;
}

Role read_role(Checker& c, const YAML::Node& key, const YAML::Node& node) {
    Role r;
    r.name = key.Scalar();
    r.location = c.at(key);
    const std::string where = "role '" + r.name + "'";
    if (!c.expect(node, YAML::NodeType::Map, where)) return r;
    c.known_keys(node, kRoleKeys, where);
    r.description = c.text(node, "description", where, false);
    r.permissions = c.list(node, "permissions", where);
    if (r.permissions.empty())
        c.problem(key, where + " grants no permissions",
                  "add 'permissions: [...]' from: " + join(known_permissions(), ", "));
    for (const auto& permission : r.permissions) {
        if (std::find(known_permissions().begin(), known_permissions().end(), permission) !=
            known_permissions().end())
            continue;
        const auto hint = did_you_mean(permission, known_permissions());
        c.problem(node["permissions"], "unknown permission '" + permission + "' in " + where,
                  hint.empty() ? "use one of: " + join(known_permissions(), ", ") : hint);
    }
    const auto envs = c.list(node, "environments", where);
    for (const auto& name : envs) {
        if (name == "stage")
            r.environments.push_back(Env::stage);
        else if (name == "prod")
            r.environments.push_back(Env::prod);
        else
            c.problem(node["environments"], "unknown environment '" + name + "' in " + where,
                      "use stage or prod");
    }
    if (envs.empty()) r.environments = {Env::stage};  // prod only when listed
    return r;
}

Member read_member(Checker& c, const YAML::Node& node) {
    Member m;
    m.location = c.at(node);
    if (!c.expect(node, YAML::NodeType::Map, "a member")) return m;
    m.user = c.text(node, "user", "a member", false);
    m.usergroup = c.text(node, "usergroup", "a member", false);
    const std::string who = !m.user.empty()       ? m.user
                            : m.usergroup.empty() ? "a member"
                                                  : m.usergroup;
    const std::string where = "member " + who;
    c.known_keys(node, kMemberKeys, where);
    if (m.user.empty() == m.usergroup.empty())
        c.problem(node, where + " must have exactly one of user or usergroup",
                  "give a Slack user id (user: U…) or a user group id (usergroup: S…)");
    static const std::regex user_id("^[UW][A-Z0-9]{2,}$");
    static const std::regex group_id("^S[A-Z0-9]{2,}$");
    if (!m.user.empty() && !std::regex_match(m.user, user_id))
        c.problem(node["user"], "'" + m.user + "' is not a Slack user id",
                  "user ids look like U01ABCDEF (profile → ⋮ → Copy member ID)");
    if (!m.usergroup.empty() && !std::regex_match(m.usergroup, group_id))
        c.problem(node["usergroup"], "'" + m.usergroup + "' is not a Slack user group id",
                  "user group ids look like S01ABCDEF");
    m.name = c.text(node, "name", where, false);
    m.roles = c.list(node, "roles", where);
    if (m.roles.empty()) c.problem(node, where + " has no roles", "add 'roles: [...]'");
    m.projects = c.list(node, "projects", where);
    return m;
}

// Checks that need the whole catalogue: references and duplicates.
void cross_check(Checker& c, const YAML::Node& root, const Catalogue& catalogue) {
    std::map<std::string, const Project*> seen;
    for (const auto& p : catalogue.projects) {
        if (p.slug.empty()) continue;
        const auto [it, inserted] = seen.emplace(p.slug, &p);
        if (!inserted)
            c.problem(root["projects"][static_cast<std::size_t>(&p - catalogue.projects.data())],
                      "duplicate slug '" + p.slug + "' (first at line " +
                          std::to_string(it->second->location.line) + ")",
                      "give each project its own slug");
    }
    const auto members = root["members"];
    for (std::size_t i = 0; i < catalogue.members.size(); ++i) {
        const auto& m = catalogue.members[i];
        const auto node = members[i];
        for (const auto& role : m.roles) {
            if (catalogue.find_role(role)) continue;
            const auto names = catalogue.role_names();
            const auto hint = did_you_mean(role, names);
            c.problem(node["roles"], "unknown role '" + role + "'",
                      names.empty() ? "no roles are defined yet: add '" + role + "' under roles:"
                                    : (hint.empty() ? std::string{} : hint + " ") +
                                          "roles: " + join(names, ", "));
        }
        for (const auto& project : m.projects) {
            if (catalogue.find_project(project)) continue;
            const auto hint = did_you_mean(project, catalogue.project_slugs());
            c.problem(node["projects"],
                      "unknown project '" + project + "' for member " +
                          (m.user.empty() ? m.usergroup : m.user),
                      hint.empty() ? "projects: " + join(catalogue.project_slugs(), ", ") : hint);
        }
    }
}

void read_catalogue(Checker& c, const YAML::Node& root, Catalogue& catalogue) {
    if (!root || root.IsNull()) return;
    if (!c.expect(root, YAML::NodeType::Map, "the catalogue")) return;
    c.known_keys(root, kTopKeys, "the catalogue");
    if (const auto projects = root["projects"];
        projects && c.expect(projects, YAML::NodeType::Sequence, "projects"))
        for (const auto& node : projects) catalogue.projects.push_back(read_project(c, node));
    if (const auto roles = root["roles"]; roles && c.expect(roles, YAML::NodeType::Map, "roles"))
        for (const auto& entry : roles)
            catalogue.roles.push_back(read_role(c, entry.first, entry.second));
    if (const auto members = root["members"];
        members && c.expect(members, YAML::NodeType::Sequence, "members"))
        for (const auto& node : members) catalogue.members.push_back(read_member(c, node));
    catalogue.freeze = read_freeze_windows(c, root, "", "the catalogue");
    const auto runbooks = c.text(root, "runbooks", "the catalogue", false);
    const auto folder = std::filesystem::path(c.file()).parent_path();
    catalogue.runbooks_dir = (folder / (runbooks.empty() ? "runbooks" : runbooks)).string();
    cross_check(c, root, catalogue);
}

}  // namespace

LoadedConfig parse_catalogue(std::string_view yaml_text, const std::string& file_name) {
    LoadedConfig loaded;
    loaded.catalogue.source_file = file_name;
    Checker checker(file_name);
    try {
        const YAML::Node root = YAML::Load(std::string(yaml_text));
        read_catalogue(checker, root, loaded.catalogue);
    } catch (const YAML::Exception& e) {
        const auto mark = e.mark;
        loaded.problems.push_back({{file_name, mark.line >= 0 ? mark.line + 1 : 0,
                                    mark.column >= 0 ? mark.column + 1 : 0},
                                   "YAML syntax error: " + e.msg,
                                   "check the indentation and quoting on this line"});
    }
    auto found = checker.take();
    loaded.problems.insert(loaded.problems.end(), found.begin(), found.end());
    std::stable_sort(
        loaded.problems.begin(), loaded.problems.end(),
        [](const ConfigProblem& a, const ConfigProblem& b) { return a.where.line < b.where.line; });
    return loaded;
}

Result<Project> parse_project(std::string_view yaml_text, const std::string& origin) {
    Checker checker(origin);
    Project project;
    try {
        project = read_project(checker, YAML::Load(std::string(yaml_text)));
    } catch (const YAML::Exception& e) {
        return Error{"bad_project", origin + ": YAML syntax error: " + e.msg, ""};
    }
    const auto problems = checker.take();
    if (!problems.empty())
        return Error{"bad_project", format_problems(problems), "fix or remove the entry"};
    return project;
}

LoadedConfig load_catalogue_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        LoadedConfig loaded;
        loaded.problems.push_back(
            {{path, 0, 0},
             "cannot read the catalogue " + path,
             "set OPSBOT_CONFIG to the catalogue path or copy config/opsbot.yaml"});
        return loaded;
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse_catalogue(text.str(), path);
}

std::string format_problems(const std::vector<ConfigProblem>& problems) {
    std::string out;
    for (const auto& p : problems) {
        out += p.where.file;
        if (p.where.line > 0)
            out += ":" + std::to_string(p.where.line) + ":" + std::to_string(p.where.column);
        out += ": error: " + p.message + "\n";
        if (!p.fix.empty()) out += "    fix: " + p.fix + "\n";
    }
    if (!problems.empty())
        out += std::to_string(problems.size()) + " problem(s) in " + problems.front().where.file +
               "\n";
    return out;
}

}  // namespace opsbot
