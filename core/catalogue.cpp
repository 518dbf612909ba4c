#include "core/catalogue.hpp"

#include <algorithm>

namespace opsbot {

const char* to_string(Env env) {
    return env == Env::prod ? "prod" : "stage";
}

std::optional<Env> parse_env(const std::string& text) {
    if (text == "stage" || text == "staging") return Env::stage;
    if (text == "prod" || text == "production") return Env::prod;
    return std::nullopt;
}

const char* to_string(ReleaseMode mode) {
    return mode == ReleaseMode::promote ? "promote" : "job";
}

const Environment* Project::environment(Env env) const {
    auto it = environments.find(env);
    return it == environments.end() ? nullptr : &it->second;
}

bool Role::allows(const std::string& permission) const {
    return std::any_of(permissions.begin(), permissions.end(),
                       [&](const std::string& p) { return p == "*" || p == permission; });
}

bool Role::covers(Env env) const {
    return std::find(environments.begin(), environments.end(), env) != environments.end();
}

bool Member::covers_project(const std::string& slug) const {
    return projects.empty() || std::find(projects.begin(), projects.end(), slug) != projects.end();
}

const Project* Catalogue::find_project(const std::string& slug) const {
    auto it = std::find_if(projects.begin(), projects.end(),
                           [&](const Project& p) { return p.slug == slug; });
    return it == projects.end() ? nullptr : &*it;
}

const Role* Catalogue::find_role(const std::string& name) const {
    auto it =
        std::find_if(roles.begin(), roles.end(), [&](const Role& r) { return r.name == name; });
    return it == roles.end() ? nullptr : &*it;
}

std::vector<std::string> Catalogue::project_slugs() const {
    std::vector<std::string> out;
    for (const auto& p : projects) out.push_back(p.slug);
    return out;
}

std::vector<std::string> Catalogue::role_names() const {
    std::vector<std::string> out;
    for (const auto& r : roles) out.push_back(r.name);
    return out;
}

}  // namespace opsbot
