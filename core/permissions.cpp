#include "core/permissions.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace opsbot {
namespace {

bool role_grants(const Role& role, const AccessRequest& request) {
    if (!role.allows(request.permission)) return false;
    return !request.env || role.covers(*request.env);
}

// A member entry grants for a request about no single project only when it
// covers every project: "audit" across all projects needs a global role.
bool member_covers(const Member& member, const AccessRequest& request) {
    return request.project.empty() ? member.covers_all_projects()
                                   : member.covers_project(request.project);
}

std::string holder_label(const Member& member) {
    if (!member.usergroup.empty()) return "<!subteam^" + member.usergroup + ">";
    std::string label = "<@" + member.user + ">";
    if (!member.name.empty()) label += " (" + member.name + ")";
    return label;
}

}  // namespace

bool Permissions::member_matches(const Member& member, const Actor& actor) const {
    if (!member.user.empty()) return member.user == actor.user_id;
    return std::find(actor.usergroups.begin(), actor.usergroups.end(), member.usergroup) !=
           actor.usergroups.end();
}

AccessDecision Permissions::check(const Actor& actor, const AccessRequest& request) const {
    AccessDecision decision;
    if (request.permission.empty()) {
        decision.allowed = true;
        return decision;
    }
    if (actor.all_roles) {
        decision.allowed = true;
        decision.granted_by = "every role (local console user)";
        return decision;
    }
    for (const auto& member : catalogue_.members) {
        if (!member_matches(member, actor) || !member_covers(member, request)) continue;
        for (const auto& role_name : member.roles) {
            const Role* role = catalogue_.find_role(role_name);
            if (role && role_grants(*role, request)) {
                decision.allowed = true;
                decision.granted_by = role->name;
                return decision;
            }
        }
    }
    decision.would_allow = holders_for(request);
    return decision;
}

std::vector<RoleHolder> Permissions::holders_for(const AccessRequest& request) const {
    std::vector<RoleHolder> out;
    for (const auto& role : catalogue_.roles) {
        if (!role_grants(role, request)) continue;
        RoleHolder entry{role.name, {}};
        for (const auto& member : catalogue_.members) {
            const bool holds = std::find(member.roles.begin(), member.roles.end(), role.name) !=
                               member.roles.end();
            if (holds && member_covers(member, request))
                entry.holders.push_back(holder_label(member));
        }
        out.push_back(std::move(entry));
    }
    return out;
}

std::vector<HeldRole> Permissions::roles_of(const Actor& actor) const {
    std::vector<HeldRole> out;
    if (actor.all_roles) {
        for (const auto& role : catalogue_.roles) out.push_back(HeldRole{&role, {}});
        return out;
    }
    for (const auto& member : catalogue_.members) {
        if (!member_matches(member, actor)) continue;
        for (const auto& role_name : member.roles)
            if (const Role* role = catalogue_.find_role(role_name))
                out.push_back(HeldRole{role, member.projects});
    }
    return out;
}

std::string Permissions::describe(const AccessRequest& request) {
    std::string scope;
    if (!request.project.empty()) scope = request.project;
    if (request.env) scope += (scope.empty() ? "" : "/") + std::string(to_string(*request.env));
    return "'" + request.permission + "'" + (scope.empty() ? " on every project" : " on " + scope);
}

std::string Permissions::explain_denial(const AccessRequest& request,
                                        const AccessDecision& decision) {
    std::string text = "Denied: this needs permission " + describe(request) + ".";
    if (decision.would_allow.empty()) {
        text += " No role in the catalogue grants it; an admin can add one in config/opsbot.yaml.";
        return text;
    }
    text += " Roles that grant it:";
    for (const auto& entry : decision.would_allow) {
        text += "\n• " + entry.role + ": ";
        text += entry.holders.empty() ? "nobody holds it yet" : join(entry.holders, ", ");
    }
    text += "\nAsk one of them to run it, or an admin to give you the role in config/opsbot.yaml.";
    return text;
}

}  // namespace opsbot
