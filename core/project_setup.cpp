#include "core/project_setup.hpp"

#include <regex>

#include "core/config_loader.hpp"
#include "core/digest.hpp"

namespace opsbot {

namespace {

constexpr const char* kStepNames[] = {"slack", "sentry", "jenkins", "cloudflare", "catalogue"};
constexpr const char* kStepTitles[] = {"Slack channel", "Sentry project", "Jenkins jobs",
                                       "Cloudflare DNS", "opsbot catalogue"};
constexpr const char* kStateNames[] = {"create", "exists", "skip", "done", "failed"};
constexpr const char* kSetupStateNames[] = {"running", "failed", "done"};

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const char* const (&names)[N], std::string_view text) {
    for (std::size_t i = 0; i < N; ++i)
        if (text == names[i]) return static_cast<Enum>(i);
    return std::nullopt;
}

bool valid_domain(const std::string& domain) {
    static const std::regex pattern("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$");
    return std::regex_match(domain, pattern);
}

bool valid_ipv4(const std::string& ip) {
    static const std::regex pattern(
        "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
        "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$");
    return std::regex_match(ip, pattern);
}

}  // namespace

const char* to_string(SetupStep step) {
    return kStepNames[static_cast<int>(step)];
}
const char* title_of(SetupStep step) {
    return kStepTitles[static_cast<int>(step)];
}
std::optional<SetupStep> parse_setup_step(std::string_view text) {
    return parse_name<SetupStep>(kStepNames, text);
}
const char* to_string(StepState state) {
    return kStateNames[static_cast<int>(state)];
}
std::optional<StepState> parse_step_state(std::string_view text) {
    return parse_name<StepState>(kStateNames, text);
}
const char* to_string(SetupState state) {
    return kSetupStateNames[static_cast<int>(state)];
}
std::optional<SetupState> parse_setup_state(std::string_view text) {
    return parse_name<SetupState>(kSetupStateNames, text);
}

bool NewProjectRequest::same_target(const NewProjectRequest& other) const {
    return slug == other.slug && domain == other.domain && server_ip == other.server_ip &&
           server_host == other.server_host && name == other.name && repo == other.repo;
}

std::string NewProjectRequest::digest() const {
    std::string canonical;
    for (const auto* field : {&slug, &domain, &server_ip, &server_host, &name, &repo})
        canonical += std::to_string(field->size()) + ":" + *field + ";";
    return sha256_hex(canonical);
}

Status validate(const NewProjectRequest& request) {
    if (!valid_slug(request.slug))
        return Error{"bad_slug", "'" + request.slug + "' cannot be a project slug",
                     slug_fix(request.slug)};
    if (!valid_domain(request.domain))
        return Error{"bad_domain", "'" + request.domain + "' is not a domain name",
                     "give the production domain in lowercase, e.g. example.com"};
    if (!valid_ipv4(request.server_ip))
        return Error{"bad_ip", "'" + request.server_ip + "' is not an IPv4 address",
                     "give the server's public address, e.g. 203.0.113.10"};
    if (!request.server_host.empty() && !valid_domain(request.server_host))
        return Error{"bad_host", "'" + request.server_host + "' is not a host name",
                     "give the server's own DNS name, e.g. web7.example.net"};
    return success();
}

Project project_from_setup(const NewProjectRequest& request, const SetupFacts& facts) {
    const auto fact = [&facts](const std::string& key) {
        const auto it = facts.find(key);
        return it == facts.end() ? std::string{} : it->second;
    };
    Project p;
    p.slug = request.slug;
    p.name = request.name.empty() ? request.slug : request.name;
    p.channel = fact("channel_id").empty() ? "#" + request.slug : fact("channel_id");
    p.repo = request.repo;
    for (Env env : kAllEnvs) {
        Environment e;
        e.jenkins_job = fact(std::string("job.") + to_string(env));
        e.branch = env == Env::prod ? "master" : "develop";
        e.backup_prefix = "backups/" + request.slug + (env == Env::prod ? "/" : "-stage/");
        if (env == Env::prod) {
            e.domain = request.domain;
            e.cloudflare_zone = fact("zone_id");
            e.sentry_project = fact("sentry_project");
        }
        p.environments[env] = e;
    }
    return p;
}

std::string describe_step(const StepReport& report) {
    static const char* const marks[] = {"➕ create", "✔️ exists", "⏭️ skip", "✅ done",
                                        "❌ failed"};
    std::string line = std::string(marks[static_cast<int>(report.state)]) + " — *" +
                       title_of(report.step) + "*: " + report.summary;
    if (!report.link.empty()) line += " (<" + report.link + "|open>)";
    if (!report.error.empty()) line += "\n    " + report.error;
    return line;
}

}  // namespace opsbot
