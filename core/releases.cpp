#include "core/releases.hpp"

#include "core/digest.hpp"

namespace opsbot {

std::string ReleasePlan::digest() const {
    // Length-prefixed, so that no two different plans serialise alike.
    std::string canonical;
    for (const std::string* field :
         {&project, &source_branch, &target_branch, &source_sha, &target_sha})
        canonical += std::to_string(field->size()) + ":" + *field + ";";
    return sha256_hex(canonical);
}

std::string compare_url(const Project& project, const std::string& base, const std::string& tip) {
    if (project.web_url.empty()) return "";
    std::string url = project.web_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url + "/compare/" + base + "..." + tip;
}

std::string short_sha(const std::string& sha) {
    return sha.substr(0, 7);
}

}  // namespace opsbot
