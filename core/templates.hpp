#pragma once
// Text templates with {{NAME}} placeholders: the Jenkins job templates of
// newproject.

#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace opsbot {

// &, <, >, " and ' as XML entities.
std::string xml_escape(std::string_view text);

// Replaces every {{NAME}} with escape(values[NAME]). A placeholder with no
// value is an error naming it, so that a template never ships half-filled.
Result<std::string> fill_template(std::string_view text,
                                  const std::map<std::string, std::string>& values,
                                  std::string (*escape)(std::string_view) = nullptr);

}  // namespace opsbot
