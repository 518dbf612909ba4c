#pragma once
// How git reaches a project's remote: the URL it is given, the credentials
// passed beside it (never on its command line), and git's failures turned
// into errors fit for a reply (no key, token or URL credentials in them).

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/git/git_mirror.hpp"
#include "core/result.hpp"

namespace opsbot::git {

enum class Transport { plain, ssh, http };

// ssh://…, user@host:path (scp-like), http(s)://…; plain: a path, file://,
// git://, which carry no credentials.
Transport transport_of(std::string_view url);

// The remote as people see it: an http(s) URL without its user part (which
// may be a token), an ssh URL without a password.
std::string without_credentials(std::string_view url);

// Whether git's words contain any of the parts.
bool contains_any(std::string_view text, std::initializer_list<std::string_view> parts);

struct RemoteAccess {
    std::string url;                       // what git is given: credentials taken out
    std::vector<std::string> environment;  // "NAME=value"
    std::vector<std::pair<std::string, std::string>> config;  // git -c, passed by environment
    std::vector<std::string> secrets;  // exact values to mask in git's output
};

// Refuses before anything runs what could not be done safely: an ssh remote
// without a known_hosts file (git_unknown_host) or a deploy key (git_auth).
// ssh gets only the deploy key and the known_hosts file; an https remote gets
// the token (or the URL's own user:password) as a Basic Authorization header
// scoped to that host.
Result<RemoteAccess> remote_access(const GitCredentials& credentials, std::string_view url,
                                   std::chrono::seconds timeout);

// git's standard error fit for a message: `secrets` (those of 6 characters
// or more) and anything secret-looking masked, hints and git's boilerplate
// left out, on one line of at most 600 bytes.
std::string git_words(std::string_view err, const std::vector<std::string>& secrets);

// A failed fetch or push (`action`: "fetch from", "push to") as an Error with
// a code from git's words: git_unknown_host, git_auth, git_unreachable,
// git_no_branch, else git_failed.
Error remote_failure(std::string_view action, std::string_view url, std::string_view words);

}  // namespace opsbot::git
