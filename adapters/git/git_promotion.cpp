// Promotion without a work tree: merge-tree computes the merged tree,
// commit-tree makes the merge commit, push sends it, never forced. None of
// these touches a ref of the mirror: only a pushed promotion moves the
// mirror's copy of the target branch, to what the remote now has.

#include "adapters/git/git_mirror.hpp"
#include "adapters/git/git_names.hpp"
#include "adapters/git/git_process.hpp"
#include "adapters/git/git_remote.hpp"
#include "core/text.hpp"

namespace opsbot::git {
namespace {

std::string merge_message(const PromotionPlan& plan) {
    if (!plan.message.empty()) return plan.message;
    return "Merge branch '" + plan.source_branch + "' into " + plan.target_branch;
}

// One line of `git push --porcelain`: "<flag>\t<from>:<to>\t<summary>".
struct PushedRef {
    char flag = 0;  // ' ' fast-forward, '*' new, '=' up to date, '!' rejected
    std::string summary;
};

std::optional<PushedRef> pushed_ref(const std::string& out, const std::string& ref) {
    for (const auto& line : split(out, '\n')) {
        const auto tab = line.find('\t');
        const auto second_tab = line.find('\t', tab + 1);
        if (tab != 1 || second_tab == std::string::npos) continue;
        const std::string spec = line.substr(2, second_tab - 2);
        if (spec.size() < ref.size() + 1 || spec.substr(spec.size() - ref.size() - 1) != ":" + ref)
            continue;
        return PushedRef{line[0], line.substr(second_tab + 1)};
    }
    return std::nullopt;
}

// What the remote said: its "remote: " lines.
std::string remote_said(const std::string& err) {
    std::string said;
    for (const auto& line : split(err, '\n'))
        if (starts_with(line, "remote: ")) said += line.substr(8) + "\n";
    return said;
}

std::string first_line(const std::string& text) {
    return trim(text.substr(0, text.find('\n')));
}

}  // namespace

Result<Promotion> GitMirror::promote(const PromotionPlan& plan) {
    for (const auto* branch : {&plan.source_branch, &plan.target_branch})
        if (!valid_branch(*branch))
            return Error{"git_no_branch", "'" + *branch + "' is not a branch name", ""};
    const auto access = remote_access(config_.credentials, remote_url_, config_.timeout);
    if (!access) return access.error();
    PromotionPlan resolved = plan;
    for (auto* sha : {&resolved.source_sha, &resolved.target_sha}) {
        auto full = resolve_commit(*sha);
        if (!full) return full.error();
        *sha = std::move(full.value());
    }
    const auto nothing_new = is_ancestor(resolved.source_sha, resolved.target_sha);
    if (!nothing_new) return nothing_new.error();
    if (nothing_new.value())
        return Error{"git_up_to_date",
                     plan.target_branch + " already has everything on " + plan.source_branch,
                     "Nothing to release."};
    const auto fast_forward = is_ancestor(resolved.target_sha, resolved.source_sha);
    if (!fast_forward) return fast_forward.error();
    auto sha =
        fast_forward.value() ? Result<std::string>(resolved.source_sha) : merge_commit(resolved);
    if (!sha) return sha.error();
    if (auto pushed = push(access.value(), sha.value(), plan.target_branch); !pushed)
        return pushed.error();
    // The mirror's copy of the target follows what the remote now has. A
    // failure here changes nothing that matters: the next fetch sets it.
    (void)run({"update-ref", "refs/remotes/origin/" + plan.target_branch, sha.value()});
    return Promotion{.pushed_sha = sha.value(), .fast_forward = fast_forward.value()};
}

Result<std::string> GitMirror::merge_commit(const PromotionPlan& plan) const {
    // Exit 1 is a conflict: the tree's line, then the conflicting files.
    const auto merged = run({"merge-tree", "--write-tree", "--name-only", "--no-messages",
                             plan.target_sha, plan.source_sha});
    if (!merged) return merged.error();
    const auto& output = merged.value();
    if (output.exit_code == 1) {
        auto files = split(output.out, '\n');
        if (!files.empty()) files.erase(files.begin());
        return Error{"git_conflict",
                     plan.source_branch + " does not merge cleanly into " + plan.target_branch +
                         ": conflicts in " + join(files, ", "),
                     "Nothing was pushed. Merge " + plan.target_branch + " into " +
                         plan.source_branch + " by hand, resolve the conflicts, push " +
                         plan.source_branch + ", then release again."};
    }
    if (output.exit_code != 0)
        return Error{"git_failed",
                     "git merge-tree failed in " + path() + ": " + git_words(output.err, {}), ""};
    const auto commit = local({"commit-tree", first_line(output.out), "-p", plan.target_sha, "-p",
                               plan.source_sha, "-m", merge_message(plan)});
    if (!commit) return commit.error();
    return trim(commit.value());
}

Status GitMirror::push(const RemoteAccess& access, const std::string& sha,
                       const std::string& target_branch) const {
    const std::string ref = "refs/heads/" + target_branch;
    // No "+" and no --force: the remote refuses anything but a fast-forward.
    const auto ran = run({"push", "--porcelain", access.url, sha + ":" + ref}, access.environment,
                         access.config);
    if (!ran) return ran.error();
    const auto& output = ran.value();
    const auto pushed = pushed_ref(output.out, ref);
    if (!pushed)
        return output.exit_code == 0
                   ? success()
                   : remote_failure("push to", remote_url_, git_words(output.err, access.secrets));
    if (pushed->flag != '!') return success();
    if (pushed->summary.find("[remote rejected]") != std::string::npos) {
        std::string said = git_words(remote_said(output.err), access.secrets);
        if (said.empty()) said = pushed->summary;
        return Error{"git_push_rejected",
                     shown_remote() + " refused the push to " + target_branch + ": " + said,
                     "Nothing was pushed. The repository's hooks or branch protection refused it; "
                     "ask whoever manages them."};
    }
    return Error{
        "git_push_rejected",
        target_branch + " moved on the remote since the plan: the push was refused (" +
            trim(pushed->summary) + ") and nothing was pushed",
        "Plan the release again: the new plan includes what was added to " + target_branch + "."};
}

std::vector<std::string> GitMirror::describe_promotion(const PromotionPlan& plan) const {
    const std::string git = "git " + shell_quote("--git-dir=" + path());
    const std::string remote = shell_quote(shown_remote());
    const std::string target = shell_quote(plan.target_sha);
    const std::string source = shell_quote(plan.source_sha);
    const std::string ref = shell_quote("refs/heads/" + plan.target_branch);
    const std::string tracking = shell_quote("refs/remotes/origin/" + plan.target_branch);
    const auto fast_forward = is_ancestor(plan.target_sha, plan.source_sha);
    if (fast_forward && fast_forward.value())
        return {git + " push --porcelain " + remote + " " + source + ":" + ref,
                git + " update-ref " + tracking + " " + source};
    return {
        "tree=$(" + git + " merge-tree --write-tree --name-only --no-messages " + target + " " +
            source + ")",
        "commit=$(" + git + " commit-tree \"$tree\" -p " + target + " -p " + source + " -m " +
            shell_quote(merge_message(plan)) + ")",
        git + " push --porcelain " + remote + " \"$commit\":" + ref,
        git + " update-ref " + tracking + " \"$commit\"",
    };
}

}  // namespace opsbot::git
