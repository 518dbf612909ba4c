#pragma once
// The catalogue's `freeze:` lists, at the top (everyone's) and under a
// project (its own):
//
//   freeze:
//     - name: Weekend
//       every: friday 15:00 to monday 08:00
//       time_zone: Europe/Berlin
//     - name: Christmas
//       from: 2026-12-24            # a whole date starts at 00:00
//       to: 2027-01-02 08:00        # a whole date runs to the end of that day
//       time_zone: Europe/Berlin

#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/config_checker.hpp"

namespace opsbot {

// Reads the list at `freeze` (a missing key is an empty list); problems go to
// the checker with their line and a fix. project: empty for everyone's.
std::vector<FreezeWindow> read_freeze_windows(ConfigChecker& c, const YAML::Node& parent,
                                              const std::string& project, const std::string& where);

// The window's keys as the catalogue writer writes them back, in canonical
// form: {"every", "friday 15:00 to monday 08:00"}, or "from" and "to" (a
// whole date when the time is midnight, as the reader takes it).
std::vector<std::pair<std::string, std::string>> freeze_window_keys(const FreezeWindow& window);

}  // namespace opsbot
