#pragma once
// The project catalogue and the roles, as plain structs. Loaded from YAML by
// config_loader; everything else reads these and never sees YAML.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opsbot {

class TimeZone;

enum class Env { stage, prod };

const char* to_string(Env env);
std::optional<Env> parse_env(const std::string& text);
inline constexpr Env kAllEnvs[] = {Env::stage, Env::prod};

struct SourceLocation {
    std::string file;
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
};

struct Environment {
    std::string jenkins_job;  // folders allowed: "clients/acme/deploy-prod"
    std::map<std::string, std::string> jenkins_params;
    // The job parameter that takes the branch, tag or commit to deploy.
    // BRANCH unless the catalogue names another; a promote project's prod
    // must name it, since rollback runs the job with an older commit.
    std::string ref_param;
    bool ref_param_given = false;
    std::string branch;           // develop for stage, master for prod
    std::string domain;           // acme.com
    std::string cloudflare_zone;  // zone id; empty: looked up by domain
    std::string sentry_project;   // only prod has one, by the agency's rule
    std::string backup_prefix;    // backups/acme/
    SourceLocation location;
};

// A moment of the week on the wall clock: "friday 15:00".
struct WeekTime {
    std::chrono::weekday day;
    std::chrono::minutes time{0};  // since midnight
};

// A time when prod releases are refused (core/freeze.hpp says which is in
// force). Weekly ("friday 15:00 to monday 08:00") or dated (a holiday), on
// the wall clock of a named time zone.
struct FreezeWindow {
    enum class Kind { weekly, dated };
    std::string name;
    Kind kind = Kind::weekly;
    WeekTime weekly_start, weekly_end;        // weekly
    std::chrono::local_seconds from{}, to{};  // dated: [from, to)
    std::string schedule;                     // as written, for people
    std::string time_zone;                    // IANA name: Europe/Berlin
    std::shared_ptr<const TimeZone> zone;     // loaded with the catalogue
    std::string project;                      // empty: everyone's
    SourceLocation location;
};

// How prod is released. job: deploy starts the prod Jenkins job on master.
// promote: the manual's release, develop merged into master and pushed; the
// Jenkins job that deploys every push to master does the rest.
enum class ReleaseMode { job, promote };
const char* to_string(ReleaseMode mode);

struct Project {
    std::string slug;  // [a-z0-9-], starts with a letter
    std::string name;
    std::string channel;  // "#acme" or a channel id
    std::string repo;     // the git remote: git@host:group/acme.git, ssh://…, https://…
    std::string web_url;  // the repo in a browser (https://git.example.com/group/acme), for links
    ReleaseMode release = ReleaseMode::job;
    // Prod deploys must be approved by someone other than the requester.
    bool prod_requires_second_person = false;
    std::map<Env, Environment> environments;
    std::vector<FreezeWindow> freeze;  // its own, besides everyone's
    SourceLocation location;

    const Environment* environment(Env env) const;
};

// A role says what may be done where; members say who holds which role.
struct Role {
    std::string name;
    std::string description;
    std::vector<std::string> permissions;  // "deploy", "purge", ... or "*"
    std::vector<Env> environments;         // prod only when listed
    SourceLocation location;

    bool allows(const std::string& permission) const;
    bool covers(Env env) const;
};

struct Member {
    std::string user;       // Slack user id (U…), or empty
    std::string usergroup;  // Slack user group id (S…), or empty
    std::string name;       // human-readable, for replies and the console
    std::vector<std::string> roles;
    std::vector<std::string> projects;  // empty: every project
    SourceLocation location;

    bool covers_project(const std::string& slug) const;
    bool covers_all_projects() const { return projects.empty(); }
};

struct Catalogue {
    std::string source_file;
    std::vector<Project> projects;
    std::vector<Role> roles;
    std::vector<Member> members;
    std::string runbooks_dir;          // relative to the catalogue file's folder
    std::vector<FreezeWindow> freeze;  // everyone's: every project's prod

    const Project* find_project(const std::string& slug) const;
    const Role* find_role(const std::string& name) const;
    std::vector<std::string> project_slugs() const;
    std::vector<std::string> role_names() const;
};

}  // namespace opsbot
