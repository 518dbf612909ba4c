#pragma once
// Releases by promotion over the git mirror: plans from a fresh fetch, and
// releases under the deploy lock (merge, push, then the deploy service
// follows the build Jenkins starts for the pushed commit).

#include <map>
#include <memory>
#include <mutex>

#include "adapters/git/git_mirror.hpp"
#include "core/deploys.hpp"
#include "core/releases.hpp"

namespace opsbot {

class GitReleaseService final : public ReleaseService {
public:
    GitReleaseService(git::GitConfig config, DeployService& deploys, const DeployStore& records);

    Result<ReleasePlan> plan(const Project& project) override;
    std::vector<std::string> describe(const Project& project,
                                      const ReleasePlan& plan) const override;
    Result<DeployRecord> release(const Project& project, const ReleasePlan& plan,
                                 const ReleaseRequest& request) override;
    Result<CommitList> commits_between(const Project& project, const std::string& base,
                                       const std::string& tip, int limit) override;
    Result<std::string> resolve(const Project& project, const std::string& sha) override;
    Result<int> waiting(const Project& project, bool fetch) override;

private:
    // One mirror per project; its mutex keeps two git commands from racing
    // on the same bare repository.
    struct Mirror {
        std::mutex mutex;
        std::string remote;
        std::unique_ptr<git::GitMirror> git;
    };
    Mirror& mirror(const Project& project);
    Result<ReleasePlan> plan_locked(Mirror& m, const Project& project, bool fetch);
    // Merges and pushes under the mirror's lock; the SHA master has now.
    Result<std::string> push(const Project& project, const ReleasePlan& plan,
                             const ReleaseRequest& request, const DeployRecord& record);
    std::string merge_message(const Project& project, const ReleasePlan& plan,
                              const ReleaseRequest& request, std::int64_t release_id) const;

    git::GitConfig config_;
    DeployService& deploys_;
    const DeployStore& records_;
    std::mutex mirrors_mutex_;
    std::map<std::string, std::unique_ptr<Mirror>> mirrors_;
};

}  // namespace opsbot
