#pragma once
// `opsbot export-catalogue [file] [--force]`: the YAML catalogue with the
// projects added from chat, as one YAML file (stdout without a file).

#include <iosfwd>
#include <string>
#include <vector>

#include "bot/settings.hpp"

namespace opsbot {

int export_catalogue(const Settings& settings, const std::vector<std::string>& args,
                     std::ostream& out, std::ostream& err);

}  // namespace opsbot
