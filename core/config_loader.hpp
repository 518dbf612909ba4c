#pragma once
// Reads config/opsbot.yaml into a Catalogue and reports every problem with
// file, line and a fix. Invalid config refuses to start with the same report.

#include <string>
#include <string_view>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"

namespace opsbot {

struct ConfigProblem {
    SourceLocation where;
    std::string message;  // "unknown role 'deployr'"
    std::string fix;      // "use one of: developer, prod-deployer, admin"
};

struct LoadedConfig {
    Catalogue catalogue;
    std::vector<ConfigProblem> problems;
    bool ok() const { return problems.empty(); }
};

// A project slug: lowercase letters, digits and dashes, starting with a letter.
bool valid_slug(const std::string& slug);
// What to write instead of a bad slug.
std::string slug_fix(const std::string& slug);

// The permissions a role may grant ("*" for all).
const std::vector<std::string>& known_permissions();

LoadedConfig load_catalogue_file(const std::string& path);
LoadedConfig parse_catalogue(std::string_view yaml_text, const std::string& file_name);

// One project mapping, checked like an entry of the catalogue's projects:
// the rows of the project registry.
Result<Project> parse_project(std::string_view yaml_text, const std::string& origin);

// "config/opsbot.yaml:12:7: unknown role 'deployr'\n    fix: use one of: ..."
std::string format_problems(const std::vector<ConfigProblem>& problems);

}  // namespace opsbot
