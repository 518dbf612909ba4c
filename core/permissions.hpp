#pragma once
// Who may do what, from the catalogue's roles and members. Default deny:
// nothing touches prod unless a role lists prod explicitly.

#include <optional>
#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/command.hpp"

namespace opsbot {

struct AccessRequest {
    std::string permission;  // "deploy"
    std::string project;     // empty: not about one project
    std::optional<Env> env;  // empty: not about one environment
};

struct RoleHolder {
    std::string role;
    std::vector<std::string> holders;  // "<@U01ALICE01> (Alice)", "<!subteam^S01OPS>"
};

struct AccessDecision {
    bool allowed = false;
    std::string granted_by;  // the role that allowed it
    // When denied: the roles that would allow it and who holds them.
    std::vector<RoleHolder> would_allow;
};

// What a held role means for one actor: the role and the projects it covers.
struct HeldRole {
    const Role* role = nullptr;
    std::vector<std::string> projects;  // empty: every project
};

class Permissions {
public:
    explicit Permissions(const Catalogue& catalogue) : catalogue_(catalogue) {}

    AccessDecision check(const Actor& actor, const AccessRequest& request) const;
    std::vector<HeldRole> roles_of(const Actor& actor) const;
    // "deploy on acme/prod"
    static std::string describe(const AccessRequest& request);
    // The denial text: what is needed and who holds it.
    static std::string explain_denial(const AccessRequest& request, const AccessDecision& decision);

private:
    bool member_matches(const Member& member, const Actor& actor) const;
    std::vector<RoleHolder> holders_for(const AccessRequest& request) const;

    const Catalogue& catalogue_;
};

}  // namespace opsbot
