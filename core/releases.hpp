#pragma once
// Releases by promotion, as the agency's manual does them: develop merged
// into master and pushed, after a second person has seen every commit that
// goes out. Commands plan and run them through a ReleaseService; the bot
// implements it with the git mirror and the deploy service.

#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/command.hpp"
#include "core/deploys.hpp"
#include "core/result.hpp"

namespace opsbot {

struct CommitSummary {
    std::string sha;  // full
    std::string author;
    std::string subject;
    bool merge = false;
};

struct CommitList {
    std::vector<CommitSummary> commits;  // newest first, at most the limit asked for
    int total = 0;
};

// What a release would push: the approval is bound to both SHAs, so a
// develop (or master) that moves voids it.
struct ReleasePlan {
    std::string project;
    std::string source_branch = "develop";
    std::string target_branch = "master";
    std::string source_sha;
    std::string target_sha;
    bool fast_forward = false;
    CommitList going_out;     // master..develop
    std::string compare_url;  // empty when the catalogue has no web_url
    std::string remote;       // as shown: no credentials

    std::string digest() const;
};

// How many commits the plan lists before "and N more".
inline constexpr int kPlanCommitLimit = 20;

// Who released, for the merge commit's message and the record.
struct ReleaseRequest {
    Actor requester;
    std::string approved_by;
    std::string approved_by_name;
    std::string channel;
    std::string thread;
    std::string correlation_id;
};

class ReleaseService {
public:
    virtual ~ReleaseService() = default;
    // Fetches the project's branches and lists master..develop. The error
    // nothing_to_release when master already has everything on develop.
    virtual Result<ReleasePlan> plan(const Project& project) = 0;
    // The git commands the release would run, one per line, for --dry-run.
    virtual std::vector<std::string> describe(const Project& project,
                                              const ReleasePlan& plan) const = 0;
    // Takes the lock, merges and pushes exactly the planned SHAs, then hands
    // the build Jenkins starts for the push to the deploy service.
    virtual Result<DeployRecord> release(const Project& project, const ReleasePlan& plan,
                                         const ReleaseRequest& request) = 0;
    // Commits in base..tip (what a rollback to base takes out).
    virtual Result<CommitList> commits_between(const Project& project, const std::string& base,
                                               const std::string& tip, int limit) = 0;
    // A full SHA from a full or abbreviated one, after a fetch.
    virtual Result<std::string> resolve(const Project& project, const std::string& sha) = 0;
    // Commits on develop not yet on master; fetch=false reads the mirror as
    // last fetched (no network), and answers an error when there is none.
    virtual Result<int> waiting(const Project& project, bool fetch) = 0;
};

// "https://git.example.com/acme/-/compare/master...develop"-style link, or
// empty: GitHub, GitLab, Gitea and Bitbucket all answer /compare/a...b.
std::string compare_url(const Project& project, const std::string& base, const std::string& tip);
std::string short_sha(const std::string& sha);

}  // namespace opsbot
