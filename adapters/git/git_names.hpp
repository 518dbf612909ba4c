#pragma once
// What opsbot lets through to git's command line as a branch, a revision or
// a SHA: nothing that git could read as an option, and nothing odd.

#include <string_view>

namespace opsbot::git {

// A branch name as people write them: letters, digits, '.', '_', '/', '-';
// no leading '-' or '/', no "..", no "//", no trailing '/' or ".lock".
inline bool valid_branch(std::string_view name) {
    if (name.empty() || name.size() > 200 || name.front() == '-' || name.front() == '/' ||
        name.back() == '/' || name.back() == '.')
        return false;
    if (name.find("..") != name.npos || name.find("//") != name.npos) return false;
    if (name.size() >= 5 && name.substr(name.size() - 5) == ".lock") return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '/' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// A revision (SHA, ref, ref^…): not an option, no spaces or control characters.
inline bool valid_revision(std::string_view revision) {
    if (revision.empty() || revision.size() > 256 || revision.front() == '-') return false;
    for (const char c : revision)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

// 4 to 40 hex digits, as resolve_commit takes them.
inline bool hex_sha(std::string_view sha) {
    if (sha.size() < 4 || sha.size() > 40) return false;
    for (const char c : sha)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return true;
}

}  // namespace opsbot::git
