#include "adapters/git/git_remote.hpp"

#include <algorithm>
#include <filesystem>

#include "adapters/git/git_process.hpp"
#include "core/encoding.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace opsbot::git {
namespace {

constexpr auto npos = std::string_view::npos;

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != npos;
}

// scheme://[userinfo@]host[:port]/path split at its userinfo; an empty
// scheme when the URL has none (a path, or ssh's user@host:path).
struct UrlParts {
    std::string_view scheme;    // "https"
    std::string_view userinfo;  // "user:password", may be empty
    std::string_view hostport;  // "host:8443"
    std::string_view rest;      // "/path", may be empty
};

UrlParts split_url(std::string_view url) {
    UrlParts parts;
    const auto colon = url.find("://");
    if (colon == npos) return parts;
    parts.scheme = url.substr(0, colon);
    const auto authority_start = colon + 3;
    const auto path_start = std::min(url.find('/', authority_start), url.size());
    auto authority = url.substr(authority_start, path_start - authority_start);
    if (const auto at = authority.rfind('@'); at != npos) {
        parts.userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
    }
    parts.hostport = authority;
    parts.rest = url.substr(path_start);
    return parts;
}

// Host and port of an ssh remote, for the ssh-keyscan hint.
std::pair<std::string, std::string> ssh_host_port(std::string_view url) {
    const auto parts = split_url(url);
    std::string_view hostport = parts.hostport;
    if (parts.scheme.empty()) {  // [user@]host:path
        hostport = url.substr(0, url.find(':'));
        if (const auto at = hostport.rfind('@'); at != npos) hostport.remove_prefix(at + 1);
        return {std::string(hostport), "22"};
    }
    const auto bracket = hostport.rfind(']');
    const auto colon = hostport.rfind(':');
    if (colon != npos && (bracket == npos || colon > bracket))
        return {std::string(hostport.substr(0, colon)), std::string(hostport.substr(colon + 1))};
    return {std::string(hostport), "22"};
}

std::string keyscan_hint(std::string_view url) {
    const auto [host, port] = ssh_host_port(url);
    return "Add the host's key to the file OPSBOT_GIT_KNOWN_HOSTS names: `ssh-keyscan -p " + port +
           " " + host +
           " >> known_hosts`, then check its fingerprint (`ssh-keygen -lf known_hosts`) against "
           "the one your git host publishes before trusting it.";
}

// ssh reads -o values as its config lines: a path in double quotes keeps its
// spaces, and '%' would start one of its tokens.
Result<std::string> ssh_option(std::string_view name, const std::string& path) {
    if (path.find_first_of("\"\n\r") != std::string::npos)
        return Error{"git_failed", "the path '" + path + "' cannot be given to ssh",
                     "Use a path without quotes or line breaks."};
    std::string escaped;
    for (const char c : std::filesystem::absolute(path).string())
        escaped += c == '%' ? std::string("%%") : std::string(1, c);
    return "-o " + shell_quote(std::string(name) + "=\"" + escaped + "\"");
}

Result<RemoteAccess> ssh_access(const GitCredentials& credentials, std::string_view url,
                                std::chrono::seconds timeout) {
    const std::string shown = without_credentials(url);
    const auto& known_hosts = credentials.known_hosts_path;
    if (known_hosts.empty())
        return Error{"git_unknown_host",
                     "refusing the ssh remote " + shown +
                         ": no known_hosts file to check its host key (OPSBOT_GIT_KNOWN_HOSTS)",
                     keyscan_hint(url)};
    if (!std::filesystem::is_regular_file(known_hosts))
        return Error{"git_unknown_host",
                     "refusing the ssh remote " + shown + ": the known_hosts file " + known_hosts +
                         " (OPSBOT_GIT_KNOWN_HOSTS) does not exist",
                     keyscan_hint(url)};
    const auto& key = credentials.ssh_key_path;
    const std::string key_hint =
        "Make a deploy key (`ssh-keygen -t ed25519 -N '' -f deploy_key`), add deploy_key.pub to "
        "the repository with write access, and set OPSBOT_GIT_SSH_KEY to deploy_key's path.";
    if (key.empty())
        return Error{"git_auth",
                     "no deploy key for the ssh remote " + shown + " (OPSBOT_GIT_SSH_KEY)",
                     key_hint};
    if (!std::filesystem::is_regular_file(key))
        return Error{"git_auth", "the deploy key " + key + " (OPSBOT_GIT_SSH_KEY) does not exist",
                     key_hint};
    const auto identity = ssh_option("IdentityFile", key);
    if (!identity) return identity.error();
    const auto hosts = ssh_option("UserKnownHostsFile", known_hosts);
    if (!hosts) return hosts.error();
    const auto connect_timeout = std::clamp<long long>(timeout.count(), 1, 30);
    // -F /dev/null: no ssh_config of the host changes these rules.
    const std::string command = "ssh -F /dev/null " + identity.value() + " -o IdentitiesOnly=yes " +
                                hosts.value() +
                                " -o GlobalKnownHostsFile=/dev/null"
                                " -o StrictHostKeyChecking=yes -o UpdateHostKeys=no"
                                " -o BatchMode=yes -o ConnectTimeout=" +
                                std::to_string(connect_timeout);
    RemoteAccess access;
    access.url = std::string(url);
    access.environment = {"GIT_SSH_COMMAND=" + command, "GIT_SSH_VARIANT=ssh"};
    return access;
}

// The token, else the URL's own user:password, as a Basic Authorization
// header for this scheme://host:port only, so that no redirect elsewhere
// carries it.
RemoteAccess http_access(const GitCredentials& credentials, std::string_view url) {
    const auto parts = split_url(url);
    RemoteAccess access;
    access.url = without_credentials(url);
    std::string user_password;
    if (!credentials.https_token.empty()) {
        const auto& token = credentials.https_token;
        // GitHub's form; "user:token" picks another user name (GitLab: oauth2).
        user_password = contains(token, ":") ? token : "x-access-token:" + token;
        access.secrets.push_back(token);
    } else if (!parts.userinfo.empty()) {
        user_password = percent_decode(parts.userinfo, false);
        if (!contains(user_password, ":")) user_password += ":";
        access.secrets.push_back(std::string(parts.userinfo));
        access.secrets.push_back(user_password.substr(user_password.find(':') + 1));
    }
    if (user_password.empty()) return access;
    const std::string encoded = base64_encode(user_password);
    access.secrets.push_back(user_password);
    access.secrets.push_back(encoded);
    const std::string origin =
        std::string(parts.scheme) + "://" + std::string(parts.hostport) + "/";
    access.config.emplace_back("http." + origin + ".extraHeader",
                               "Authorization: Basic " + encoded);
    return access;
}

std::string auth_hint(std::string_view url) {
    if (transport_of(url) == Transport::ssh)
        return "Check that the deploy key (OPSBOT_GIT_SSH_KEY) is added to the repository, with "
               "write access to release.";
    return "Check OPSBOT_GIT_TOKEN: valid, not expired, and allowed to read the repository (and "
           "to push, to release).";
}

// "refs/heads/develop" from "fatal: couldn't find remote ref refs/heads/develop".
std::string missing_branch(std::string_view words) {
    constexpr std::string_view marker = "couldn't find remote ref ";
    auto ref = words.substr(words.find(marker) + marker.size());
    ref = ref.substr(0, std::min(ref.find_first_of(" ;\n"), ref.size()));
    if (starts_with(ref, "refs/heads/")) ref.remove_prefix(11);
    return std::string(ref);
}

// git's closing words after any failure to talk to a remote: they add
// nothing to the line before them.
bool boilerplate(std::string_view line) {
    return line == "fatal: Could not read from remote repository." ||
           line == "Please make sure you have the correct access rights" ||
           line == "and the repository exists.";
}

}  // namespace

Transport transport_of(std::string_view url) {
    const auto parts = split_url(url);
    if (parts.scheme == "ssh" || parts.scheme == "git+ssh" || parts.scheme == "ssh+git")
        return Transport::ssh;
    if (parts.scheme == "http" || parts.scheme == "https") return Transport::http;
    if (!parts.scheme.empty()) return Transport::plain;
    // git's rule: a colon before any slash is ssh's host:path.
    const auto colon = url.find(':');
    return colon != npos && colon < url.find('/') ? Transport::ssh : Transport::plain;
}

std::string without_credentials(std::string_view url) {
    const auto parts = split_url(url);
    if (parts.userinfo.empty()) return std::string(url);
    std::string kept;
    if (transport_of(url) == Transport::ssh)  // the user stays, a password goes
        kept = std::string(parts.userinfo.substr(0, parts.userinfo.find(':'))) + "@";
    return std::string(parts.scheme) + "://" + kept + std::string(parts.hostport) +
           std::string(parts.rest);
}

Result<RemoteAccess> remote_access(const GitCredentials& credentials, std::string_view url,
                                   std::chrono::seconds timeout) {
    switch (transport_of(url)) {
        case Transport::ssh:
            return ssh_access(credentials, url, timeout);
        case Transport::http:
            return http_access(credentials, url);
        case Transport::plain:
            break;
    }
    RemoteAccess access;
    access.url = std::string(url);
    return access;
}

std::string git_words(std::string_view err, const std::vector<std::string>& secrets) {
    std::string text(err);
    std::vector<std::string> longest_first = secrets;
    std::sort(longest_first.begin(), longest_first.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& secret : longest_first) {
        // As register_secret: shorter values would mask ordinary words.
        if (secret.size() < 6) continue;
        constexpr std::string_view mask = "[redacted]";
        for (auto at = text.find(secret); at != std::string::npos;
             at = text.find(secret, at + mask.size()))
            text.replace(at, secret.size(), mask);
    }
    std::vector<std::string> lines;
    for (auto line : split(redact(text), '\n')) {
        line = trim(line);
        if (line.empty() || starts_with(line, "hint:") || boilerplate(line)) continue;
        lines.push_back(line);
    }
    return shorten(join(lines, " / "), 600);
}

Error remote_failure(std::string_view action, std::string_view url, std::string_view words) {
    const std::string shown = without_credentials(url);
    const std::string said = std::string(words);
    if (contains(words, "IDENTIFICATION HAS CHANGED"))
        return Error{"git_unknown_host",
                     "the host key of " + shown +
                         " is not the one in the known_hosts file: it changed, refused",
                     "If the git host really changed its key, check the new fingerprint against "
                     "the one it publishes and replace its line in OPSBOT_GIT_KNOWN_HOSTS; if not, "
                     "someone may be intercepting the connection."};
    if (contains_any(words, {"Host key verification failed", "host key is known for"}))
        return Error{"git_unknown_host",
                     "the host of " + shown + " is not in the known_hosts file: refused",
                     keyscan_hint(url)};
    if (contains_any(words, {"Permission denied", "Authentication failed", "returned error: 401",
                             "returned error: 403", "could not read Username",
                             "could not read Password", "Access denied", "bad permissions"}))
        return Error{"git_auth", shown + " refused opsbot's credentials: " + said, auth_hint(url)};
    if (contains_any(words, {"Could not resolve host", "Connection refused", "Connection timed out",
                             "Failed to connect", "Couldn't connect", "Network is unreachable",
                             "No route to host", "Connection closed by", "Connection reset",
                             "kex_exchange_identification", "Operation timed out"}))
        return Error{"git_unreachable", "cannot reach " + shown + ": " + said,
                     "Check the repo URL in the catalogue, and that opsbot's host can reach it."};
    if (contains(words, "couldn't find remote ref"))
        return Error{"git_no_branch", "no branch '" + missing_branch(words) + "' on " + shown,
                     "Check the branch names, or create the branch on the remote."};
    if (contains_any(words,
                     {"not found", "does not appear to be a git repository", "does not exist"}))
        return Error{"git_no_repo", "there is no repository at " + shown + ": " + said,
                     "Check the project's repo in the catalogue, and that the deploy key (or "
                     "token) has access to it: hosts answer \"not found\" to a key they do not "
                     "let in."};
    return Error{"git_failed", "git could not " + std::string(action) + " " + shown + ": " + said,
                 ""};
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> parts) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](auto part) { return text.find(part) != std::string_view::npos; });
}

}  // namespace opsbot::git
