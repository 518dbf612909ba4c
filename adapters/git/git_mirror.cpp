#include "adapters/git/git_mirror.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "adapters/git/git_names.hpp"
#include "adapters/git/git_process.hpp"
#include "adapters/git/git_remote.hpp"
#include "core/text.hpp"

namespace opsbot::git {
namespace {

// opsbot's own PATH, so that git finds ssh where the host has it.
std::string inherited_path() {
    const char* path = std::getenv("PATH");
    return path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
}

Error not_a_commit(std::string_view what) {
    return Error{"git_no_commit",
                 "'" + std::string(what) + "' is not a commit: give a SHA (4 to 40 hex digits)",
                 ""};
}

}  // namespace

GitMirror::GitMirror(GitConfig config, std::string project, std::string remote_url)
    : config_(std::move(config)),
      project_(std::move(project)),
      remote_url_(std::move(remote_url)) {}

std::string GitMirror::path() const {
    return (std::filesystem::path(config_.mirrors_dir) / (project_ + ".git")).string();
}

std::string GitMirror::shown_remote() const {
    return without_credentials(remote_url_);
}

Result<GitMirror::Output> GitMirror::run(
    const std::vector<std::string>& args, const std::vector<std::string>& environment,
    const std::vector<std::pair<std::string, std::string>>& config) const {
    ProcessRequest request{.program = "git", .timeout = config_.timeout};
    request.args = {"--git-dir=" + path()};
    request.args.insert(request.args.end(), args.begin(), args.end());
    // Nothing of opsbot's environment or of the host's git and ssh settings:
    // what runs is what these lines say.
    request.environment = {
        "PATH=" + inherited_path(),
        "HOME=" + config_.mirrors_dir,
        "LC_ALL=C",
        "GIT_TERMINAL_PROMPT=0",
        "GIT_CONFIG_NOSYSTEM=1",
        "GIT_CONFIG_GLOBAL=/dev/null",
        "GIT_AUTHOR_NAME=" + config_.author_name,
        "GIT_AUTHOR_EMAIL=" + config_.author_email,
        "GIT_COMMITTER_NAME=" + config_.author_name,
        "GIT_COMMITTER_EMAIL=" + config_.author_email,
    };
    request.environment.insert(request.environment.end(), environment.begin(), environment.end());
    // Automatic gc in the foreground, within the timeout, never left running
    // detached; file names in git's output as they are.
    std::vector<std::pair<std::string, std::string>> settings = {{"gc.autoDetach", "false"},
                                                                 {"core.quotePath", "false"}};
    settings.insert(settings.end(), config.begin(), config.end());
    request.environment.push_back("GIT_CONFIG_COUNT=" + std::to_string(settings.size()));
    for (std::size_t i = 0; i < settings.size(); ++i) {
        request.environment.push_back("GIT_CONFIG_KEY_" + std::to_string(i) + "=" +
                                      settings[i].first);
        request.environment.push_back("GIT_CONFIG_VALUE_" + std::to_string(i) + "=" +
                                      settings[i].second);
    }
    auto outcome = run_process(request);
    if (outcome.end == ProcessOutcome::End::not_found)
        return Error{"git_missing", "the git program is not installed (no git in PATH)",
                     "Install it: apt-get install git openssh-client"};
    if (outcome.end == ProcessOutcome::End::timed_out)
        return Error{"git_timeout",
                     "git " + args.front() + " for " + project_ + " took longer than " +
                         std::to_string(config_.timeout.count()) + " s and was stopped",
                     "Check that " + shown_remote() + " answers from opsbot's host."};
    return Output{outcome.exit_code, std::move(outcome.out), std::move(outcome.err)};
}

Result<std::string> GitMirror::local(const std::vector<std::string>& args) const {
    auto ran = run(args);
    if (!ran) return ran.error();
    if (ran.value().exit_code == 0) return std::move(ran.value().out);
    const std::string words = git_words(ran.value().err, {});
    if (contains_any(words, {"unknown revision", "bad revision", "Not a valid", "bad object",
                             "ambiguous", "not a valid"}))
        return Error{"git_no_commit", words, ""};
    return Error{"git_failed", "git " + args.front() + " failed in " + path() + ": " + words, ""};
}

Status GitMirror::ensure_mirror() const {
    if (config_.mirrors_dir.empty())
        return Error{"git_failed", "no folder for the git mirrors",
                     "Set OPSBOT_GIT_DIR (for instance /data/git)."};
    if (project_.empty() || project_.front() == '.' || project_.front() == '-' ||
        project_.find('/') != std::string::npos)
        return Error{"git_failed", "'" + project_ + "' cannot name a mirror folder", ""};
    if (std::filesystem::exists(std::filesystem::path(path()) / "HEAD")) return success();
    std::error_code error;
    std::filesystem::create_directories(config_.mirrors_dir, error);
    if (error)
        return Error{
            "git_failed",
            "cannot create " + config_.mirrors_dir + " for the git mirrors: " + error.message(),
            ""};
    const auto made = local({"init", "--bare", "--quiet"});
    if (!made) return made.error();
    return success();
}

Status GitMirror::fetch(const std::vector<std::string>& branches) {
    for (const auto& branch : branches)
        if (!valid_branch(branch))
            return Error{"git_no_branch", "'" + branch + "' is not a branch name", ""};
    const auto access = remote_access(config_.credentials, remote_url_, config_.timeout);
    if (!access) return access.error();
    if (auto made = ensure_mirror(); !made) return made;
    if (branches.empty()) return success();
    // The remote is named on every fetch, so the mirror follows the catalogue;
    // "+" forces only the mirror's own copies of the remote's branches.
    std::vector<std::string> args = {"fetch", "--no-tags", "--no-write-fetch-head", "--quiet",
                                     access.value().url};
    for (const auto& branch : branches)
        args.push_back("+refs/heads/" + branch + ":refs/remotes/origin/" + branch);
    const auto ran = run(args, access.value().environment, access.value().config);
    if (!ran) return ran.error();
    if (ran.value().exit_code != 0)
        return remote_failure("fetch from", remote_url_,
                              git_words(ran.value().err, access.value().secrets));
    return success();
}

Result<std::string> GitMirror::branch_sha(const std::string& branch) const {
    if (!valid_branch(branch))
        return Error{"git_no_branch", "'" + branch + "' is not a branch name", ""};
    const Error not_fetched{"git_no_branch",
                            "no branch '" + branch + "' fetched from " + shown_remote(),
                            "It is not on the remote, or it was not fetched yet."};
    if (!std::filesystem::exists(std::filesystem::path(path()) / "HEAD")) return not_fetched;
    const auto sha =
        local({"rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + branch + "^{commit}"});
    if (!sha) return not_fetched;
    return trim(sha.value());
}

Result<std::string> GitMirror::resolve_commit(const std::string& sha) const {
    if (!hex_sha(sha)) return not_a_commit(sha);
    const auto full = local({"rev-parse", "--verify", sha + "^{commit}"});
    if (full) return trim(full.value());
    if (full.error().message.find("ambiguous") != std::string::npos)
        return Error{
            "git_no_commit",
            "'" + sha + "' is the start of more than one SHA in " + project_ + "'s repository",
            "Give more digits."};
    return Error{"git_no_commit", "no commit " + sha + " in " + project_ + "'s repository",
                 "Check the SHA: a commit pushed to " + shown_remote() +
                     " since the last fetch is known after the next one."};
}

Result<GitMirror::Range> GitMirror::range(const std::string& base, const std::string& tip,
                                          int limit) const {
    if (!valid_revision(base)) return not_a_commit(base);
    if (!valid_revision(tip)) return not_a_commit(tip);
    const std::string revisions = base + ".." + tip;
    // One commit a line, its fields split by the unit separator (0x1f), which
    // no name or subject holds; %P lists the parents.
    const auto log = local({"log", "--format=%H%x1f%an%x1f%ae%x1f%P%x1f%s",
                            "--max-count=" + std::to_string(std::max(limit, 0)), revisions});
    if (!log) return log.error();
    const auto count = local({"rev-list", "--count", revisions});
    if (!count) return count.error();
    Range range;
    range.total = std::atoi(trim(count.value()).c_str());
    for (const auto& line : split(log.value(), '\n')) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t at; (at = line.find('\x1f', start)) != std::string::npos; start = at + 1)
            fields.push_back(line.substr(start, at - start));
        fields.push_back(line.substr(start));
        if (fields.size() != 5) continue;
        range.commits.push_back(Commit{.sha = fields[0],
                                       .author = fields[1],
                                       .author_email = fields[2],
                                       .subject = fields[4],
                                       .merge = fields[3].find(' ') != std::string::npos});
    }
    return range;
}

Result<bool> GitMirror::is_ancestor(const std::string& ancestor,
                                    const std::string& descendant) const {
    if (!valid_revision(ancestor)) return not_a_commit(ancestor);
    if (!valid_revision(descendant)) return not_a_commit(descendant);
    const auto ran = run({"merge-base", "--is-ancestor", ancestor, descendant});
    if (!ran) return ran.error();
    if (ran.value().exit_code == 0) return true;
    if (ran.value().exit_code == 1) return false;
    return Error{"git_no_commit", git_words(ran.value().err, {}), ""};
}

}  // namespace opsbot::git
