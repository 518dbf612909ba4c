#pragma once
// The catalogue as YAML that config_loader reads back: the project registry's
// rows and `opsbot export-catalogue`.

#include <string>

#include "core/catalogue.hpp"

namespace opsbot {

// One project, as a mapping.
std::string project_yaml(const Project& project);
// The whole catalogue; runbooks_dir is written relative to output_folder.
std::string catalogue_yaml(const Catalogue& catalogue, const std::string& output_folder);

}  // namespace opsbot
