#pragma once
// A project's repository as opsbot sees it: a bare mirror under the data
// folder, fetched before every plan, in which develop is merged into master
// without a work tree, then pushed. Runs the `git` program (OpenSSH for ssh
// remotes). Knows nothing of Slack, Jenkins or opsbot's commands.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace opsbot::git {

struct RemoteAccess;  // adapters/git/git_remote.hpp

struct GitCredentials {
    std::string ssh_key_path;      // OPSBOT_GIT_SSH_KEY: a deploy key (file path)
    std::string known_hosts_path;  // OPSBOT_GIT_KNOWN_HOSTS: the only host keys trusted
    std::string https_token;       // OPSBOT_GIT_TOKEN: for https:// remotes
};

struct GitConfig {
    std::string mirrors_dir;  // OPSBOT_GIT_DIR: one bare repo per project below it
    GitCredentials credentials;
    std::string author_name = "opsbot";  // of merge commits
    std::string author_email = "opsbot@localhost";
    std::chrono::seconds timeout{120};  // per git command
};

struct Commit {
    std::string sha;  // full
    std::string author;
    std::string author_email;
    std::string subject;
    bool merge = false;  // more than one parent
};

// What a promotion would do, fixed when it was planned.
struct PromotionPlan {
    std::string source_branch = "develop";
    std::string target_branch = "master";
    std::string source_sha;  // develop as fetched for the plan
    std::string target_sha;  // master as fetched for the plan
    std::string message;     // of the merge commit, when one is needed
};

struct Promotion {
    std::string pushed_sha;  // master on origin now
    bool fast_forward = false;
};

// Error codes: git_missing (no git program), git_auth (the remote refused
// the key or token), git_unknown_host (the host key is not in the
// known_hosts file), git_unreachable, git_no_repo (no repository at that
// URL, or the key may not see it), git_no_branch (a branch is not on the
// remote), git_no_commit (a SHA the mirror does not have), git_conflict
// (names the files), git_push_rejected (master moved on the remote, or a hook
// refused; says which), git_up_to_date (promote: the target already has the
// source), git_timeout, git_failed (anything else, with git's words).
// Messages never carry the key, the token or a URL with credentials.
class GitMirror {
public:
    GitMirror(GitConfig config, std::string project, std::string remote_url);

    // Creates the bare mirror on first use, then fetches the branches into
    // refs/remotes/origin/*.
    Status fetch(const std::vector<std::string>& branches);
    // The full SHA of a fetched branch (refs/remotes/origin/<branch>).
    Result<std::string> branch_sha(const std::string& branch) const;
    // A full SHA from a full or abbreviated one (at least 4 hex digits).
    Result<std::string> resolve_commit(const std::string& sha) const;
    // Commits in base..tip, newest first (git log order); at most limit, and
    // the total count beside them.
    struct Range {
        std::vector<Commit> commits;
        int total = 0;
    };
    Result<Range> range(const std::string& base, const std::string& tip, int limit) const;
    Result<bool> is_ancestor(const std::string& ancestor, const std::string& descendant) const;

    // Merges plan.source_sha into plan.target_sha (a fast-forward when
    // possible, else a merge commit with plan.message) and pushes the result
    // to the target branch, never forced. The mirror is left as it was,
    // whatever happens.
    Result<Promotion> promote(const PromotionPlan& plan);
    // The git commands promote would run, for --dry-run: one per line.
    std::vector<std::string> describe_promotion(const PromotionPlan& plan) const;

    // The remote, credentials removed: for replies and logs.
    std::string shown_remote() const;
    std::string path() const;  // of the bare mirror

private:
    struct Output {
        int exit_code = 0;
        std::string out;
        std::string err;
    };
    // Runs git on the mirror with a clean environment (plus `environment`
    // and `config`, passed as GIT_CONFIG_* variables); an Error only when git
    // is missing or runs out of time.
    Result<Output> run(const std::vector<std::string>& args,
                       const std::vector<std::string>& environment = {},
                       const std::vector<std::pair<std::string, std::string>>& config = {}) const;
    // A local command's standard output; a failure carries git's words.
    Result<std::string> local(const std::vector<std::string>& args) const;
    Status ensure_mirror() const;
    Result<std::string> merge_commit(const PromotionPlan& plan) const;
    Status push(const RemoteAccess& access, const std::string& sha,
                const std::string& target_branch) const;

    GitConfig config_;
    std::string project_;
    std::string remote_url_;
};

}  // namespace opsbot::git
