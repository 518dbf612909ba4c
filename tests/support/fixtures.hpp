#pragma once
// A small catalogue shared by the unit tests, loaded through the real loader.

#include <stdexcept>
#include <string>

#include "core/config_loader.hpp"

namespace opsbot::test {

inline constexpr const char* kCatalogueYaml = R"(
projects:
  - slug: acme
    name: ACME Corporation
    channel: "#acme"
    prod_requires_second_person: true
    environments:
      stage:
        jenkins_job: clients/acme/deploy-stage
        domain: stage.acme.com
      prod:
        jenkins_job: clients/acme/deploy-prod
        domain: acme.com
        sentry_project: acme
  - slug: globex
    name: Globex Shop
    channel: "#globex"
    environments:
      stage:
        jenkins_job: clients/globex/deploy-stage
        domain: stage.globex.com
      prod:
        jenkins_job: clients/globex/deploy-prod
        domain: globex.com
roles:
  developer:
    description: Works on stage
    permissions: [deploy, purge, backup]
    environments: [stage]
  prod-deployer:
    description: Ships to production
    permissions: [deploy, purge]
    environments: [stage, prod]
  auditor:
    description: Reads the audit log
    permissions: [audit]
members:
  - user: U01ALICE01
    name: Alice
    roles: [developer, auditor]
  - user: U02BOB0002
    name: Bob
    roles: [prod-deployer]
    projects: [acme]
  - usergroup: S01OPS0001
    roles: [prod-deployer]
)";

// The test catalogue with the prod-deployer role granting these permissions.
inline std::string catalogue_with_deployer_permissions(const std::string& permissions) {
    std::string yaml = kCatalogueYaml;
    const std::string deployer = "permissions: [deploy, purge]\n    environments: [stage, prod]";
    yaml.replace(yaml.find(deployer), deployer.size(),
                 "permissions: [" + permissions + "]\n    environments: [stage, prod]");
    return yaml;
}

inline Catalogue test_catalogue() {
    auto loaded = parse_catalogue(kCatalogueYaml, "test.yaml");
    if (!loaded.ok()) throw std::runtime_error(format_problems(loaded.problems));
    return loaded.catalogue;
}

}  // namespace opsbot::test
