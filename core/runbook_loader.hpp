#pragma once
// Reads the runbook files (config/runbooks/*.yaml) into Runbooks and reports
// every problem with file, line and a fix, like the catalogue's loader.

#include <string>
#include <string_view>
#include <vector>

#include "core/config_loader.hpp"
#include "core/runbooks.hpp"

namespace opsbot {

struct LoadedRunbooks {
    std::vector<Runbook> runbooks;  // sorted by name
    std::vector<ConfigProblem> problems;
    bool ok() const { return problems.empty(); }
};

// Every *.yaml and *.yml file of the folder; a missing folder has no runbooks.
LoadedRunbooks load_runbooks_dir(const std::string& folder);
LoadedRunbooks parse_runbook(std::string_view yaml_text, const std::string& file_name);

}  // namespace opsbot
