#include "core/deploys.hpp"

#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot {
namespace {

constexpr const char* kStateNames[] = {"queued",  "started",   "succeeded", "failed",
                                       "aborted", "cancelled", "lost"};

constexpr const char* kKindNames[] = {"job", "release", "rollback"};

}  // namespace

const char* to_string(DeployKind kind) {
    return kKindNames[static_cast<int>(kind)];
}

std::optional<DeployKind> parse_deploy_kind(std::string_view text) {
    for (int i = 0; i < 3; ++i)
        if (text == kKindNames[i]) return static_cast<DeployKind>(i);
    return std::nullopt;
}

const char* noun(DeployKind kind) {
    return kind == DeployKind::job ? "deploy" : to_string(kind);
}

std::string label(const DeployRecord& record) {
    return std::string(noun(record.kind)) + " #" + std::to_string(record.id);
}

const char* to_string(DeployState state) {
    return kStateNames[static_cast<int>(state)];
}

std::optional<DeployState> parse_deploy_state(std::string_view text) {
    for (int i = 0; i < 7; ++i)
        if (text == kStateNames[i]) return static_cast<DeployState>(i);
    return std::nullopt;
}

bool is_finished(DeployState state) {
    return state != DeployState::queued && state != DeployState::started;
}

std::string DeployPlan::digest() const {
    // Length-prefixed, so that no two different plans serialise alike.
    std::string canonical;
    const auto add = [&canonical](const std::string& field) {
        canonical += std::to_string(field.size()) + ":" + field + ";";
    };
    add(project);
    add(to_string(env));
    add(job);
    add(ref);
    for (const auto& [name, value] : params) {
        add(name);
        add(value);
    }
    return sha256_hex(canonical);
}

Result<DeployPlan> make_deploy_plan(const Catalogue& catalogue, const std::string& project, Env env,
                                    const std::string& ref) {
    const Project* p = catalogue.find_project(project);
    if (!p) return Error{"unknown_project", "unknown project '" + project + "'", ""};
    const Environment* e = p->environment(env);
    if (!e || e->jenkins_job.empty())
        return Error{"no_job", p->slug + " has no Jenkins job for " + to_string(env),
                     "add `jenkins_job` under " + std::string(to_string(env)) + " for " + p->slug +
                         " in " + catalogue.source_file};
    DeployPlan plan{p->slug, env, e->jenkins_job, ref.empty() ? e->branch : ref, e->jenkins_params};
    if (plan.ref.empty()) plan.ref = env == Env::prod ? "master" : "develop";
    plan.params[e->ref_param.empty() ? "BRANCH" : e->ref_param] = plan.ref;
    return plan;
}

}  // namespace opsbot
