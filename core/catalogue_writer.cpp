#include "core/catalogue_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "core/freeze_config.hpp"

namespace opsbot {

namespace {

void write_field(YAML::Emitter& out, const char* key, const std::string& value) {
    if (value.empty()) return;
    out << YAML::Key << key << YAML::Value << value;
}

void write_environment(YAML::Emitter& out, const Environment& e) {
    out << YAML::BeginMap;
    write_field(out, "jenkins_job", e.jenkins_job);
    if (!e.jenkins_params.empty()) {
        out << YAML::Key << "jenkins_params" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [name, value] : e.jenkins_params)
            out << YAML::Key << name << YAML::Value << value;
        out << YAML::EndMap;
    }
    if (e.ref_param_given) write_field(out, "ref_param", e.ref_param);
    write_field(out, "branch", e.branch);
    write_field(out, "domain", e.domain);
    write_field(out, "cloudflare_zone", e.cloudflare_zone);
    write_field(out, "sentry_project", e.sentry_project);
    write_field(out, "backup_prefix", e.backup_prefix);
    out << YAML::EndMap;
}

void write_freeze(YAML::Emitter& out, const std::vector<FreezeWindow>& windows) {
    if (windows.empty()) return;
    out << YAML::Key << "freeze" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : windows) {
        out << YAML::BeginMap;
        write_field(out, "name", w.name);
        for (const auto& [key, value] : freeze_window_keys(w))
            out << YAML::Key << key << YAML::Value << value;
        write_field(out, "time_zone", w.time_zone);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
}

void write_project(YAML::Emitter& out, const Project& p) {
    out << YAML::BeginMap;
    write_field(out, "slug", p.slug);
    write_field(out, "name", p.name);
    // Quoted: "#" starts a comment in YAML.
    out << YAML::Key << "channel" << YAML::Value << YAML::DoubleQuoted << p.channel;
    write_field(out, "repo", p.repo);
    write_field(out, "web_url", p.web_url);
    if (p.release != ReleaseMode::job) write_field(out, "release", to_string(p.release));
    if (p.prod_requires_second_person)
        out << YAML::Key << "prod_requires_second_person" << YAML::Value << true;
    out << YAML::Key << "environments" << YAML::Value << YAML::BeginMap;
    for (const auto& [env, e] : p.environments) {
        out << YAML::Key << to_string(env) << YAML::Value;
        write_environment(out, e);
    }
    out << YAML::EndMap;
    write_freeze(out, p.freeze);
    out << YAML::EndMap;
}

void write_strings(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    out << YAML::Key << key << YAML::Value << YAML::Flow << values;
}

void write_role(YAML::Emitter& out, const Role& r) {
    out << YAML::Key << r.name << YAML::Value << YAML::BeginMap;
    write_field(out, "description", r.description);
    write_strings(out, "permissions", r.permissions);
    std::vector<std::string> envs;
    for (Env env : r.environments) envs.emplace_back(to_string(env));
    write_strings(out, "environments", envs);
    out << YAML::EndMap;
}

void write_member(YAML::Emitter& out, const Member& m) {
    out << YAML::BeginMap;
    write_field(out, "user", m.user);
    write_field(out, "usergroup", m.usergroup);
    write_field(out, "name", m.name);
    write_strings(out, "roles", m.roles);
    write_strings(out, "projects", m.projects);
    out << YAML::EndMap;
}

}  // namespace

std::string project_yaml(const Project& project) {
    YAML::Emitter out;
    write_project(out, project);
    return std::string(out.c_str()) + "\n";
}

std::string catalogue_yaml(const Catalogue& catalogue, const std::string& output_folder) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "projects" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : catalogue.projects) write_project(out, p);
    out << YAML::EndSeq;
    out << YAML::Key << "roles" << YAML::Value << YAML::BeginMap;
    for (const auto& r : catalogue.roles) write_role(out, r);
    out << YAML::EndMap;
    out << YAML::Key << "members" << YAML::Value << YAML::BeginSeq;
    for (const auto& m : catalogue.members) write_member(out, m);
    out << YAML::EndSeq;
    write_freeze(out, catalogue.freeze);
    if (!catalogue.runbooks_dir.empty()) {
        namespace fs = std::filesystem;
        const auto dir = fs::absolute(catalogue.runbooks_dir).lexically_normal();
        const auto base =
            fs::absolute(output_folder.empty() ? "." : output_folder).lexically_normal();
        const auto relative = dir.lexically_relative(base);
        const auto runbooks = relative.empty() ? dir.string() : relative.string();
        out << YAML::Key << "runbooks" << YAML::Value << runbooks;
    }
    out << YAML::EndMap;
    return "# Written by opsbot export-catalogue: config/opsbot.yaml with the projects\n"
           "# added from chat (newproject). Check it with: opsbot check-config <file>\n" +
           std::string(out.c_str()) + "\n";
}

}  // namespace opsbot
