// Creating jobs: POST <folder>/createItem?name=<leaf> with a config.xml, and
// checking whether a job exists, for idempotent project setup.

#include <string>
#include <vector>

#include "adapters/jenkins/jenkins_client.hpp"
#include "adapters/jenkins/jenkins_http.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::jenkins {
namespace {

constexpr std::string_view kAlreadyExists = "A job already exists with the name";

// "/clients/acme/deploy-prod/" → folder "clients/acme", leaf "deploy-prod".
struct JobName {
    std::string folder;
    std::string leaf;
};

JobName split_job(const std::string& job) {
    std::vector<std::string> parts;
    for (const auto& part : split(job, '/'))
        if (!trim(part).empty()) parts.push_back(trim(part));
    JobName name;
    if (parts.empty()) return name;
    name.leaf = parts.back();
    parts.pop_back();
    name.folder = join(parts, "/");
    return name;
}

// Jenkins says why in an X-Error header, and in the error page.
std::string refusal_of(const HttpResponse& response) {
    std::string why = trim(response.header("X-Error"));
    if (why.empty() && response.body.find(kAlreadyExists) != std::string::npos)
        why = std::string(kAlreadyExists);
    return shorten(why, 300);
}

}  // namespace

HttpRequest create_job_request(const JenkinsConfig& config, const std::string& job,
                               const std::string& config_xml) {
    const auto name = split_job(job);
    const std::string folder_url =
        name.folder.empty() ? detail::with_slash(config.base_url) : job_url(config, name.folder);
    auto request = detail::make_request(
        config, "POST", folder_url + "createItem?name=" + percent_encode(name.leaf));
    request.headers.emplace_back("Content-Type", "application/xml");
    request.body = config_xml;
    return request;
}

HttpRequest JenkinsClient::create_job_request(const std::string& job,
                                              const std::string& config_xml) const {
    return jenkins::create_job_request(config_, job, config_xml);
}

Status JenkinsClient::create_job(const std::string& job, const std::string& config_xml) {
    const auto name = split_job(job);
    if (name.leaf.empty())
        return Error{"jenkins_bad_job_name", "no Jenkins job name was given",
                     "give the job's full name, e.g. clients/acme/deploy-prod"};
    const auto request = create_job_request(job, config_xml);
    const auto response = post_with_crumb(request, job);
    if (!response.ok()) return response.error();
    const auto& answer = response.value();
    // Jenkins answers 200 (or a redirect to the new job when it is followed).
    if (answer.status == 200 || answer.status == 201 || answer.status == 302) return success();
    const std::string why = refusal_of(answer);
    if (answer.status == 400 && why.find(kAlreadyExists) != std::string::npos)
        return Error{"jenkins_job_exists", "Jenkins already has a job " + job,
                     "keep it, or delete it at " + job_url(job) + " and try again"};
    if (answer.status == 400)
        return Error{"jenkins_bad_config",
                     "Jenkins refused to create " + job + (why.empty() ? "" : ": " + why),
                     "check the job template's config.xml and the job name"};
    if (answer.status == 404)
        return Error{"jenkins_folder_missing",
                     "Jenkins has no folder " + (name.folder.empty() ? "/" : name.folder) +
                         " to create " + name.leaf + " in",
                     "create the folder first, or check the job name"};
    if (auto error = detail::common_error(answer, request, config_, "creating " + job))
        return *error;
    return detail::unexpected(answer, request);
}

Result<bool> JenkinsClient::job_exists(const std::string& job) {
    if (split_job(job).leaf.empty())
        return Error{"jenkins_bad_job_name", "no Jenkins job name was given",
                     "give the job's full name, e.g. clients/acme/deploy-prod"};
    const auto request = detail::make_request(config_, "GET", job_url(job) + "api/json?tree=name");
    const auto response = detail::send_with_retries(http_, config_, request);
    if (!response.ok()) return response.error();
    if (response.value().status == 404) return false;
    if (auto error = detail::common_error(response.value(), request, config_, job)) return *error;
    return true;
}

}  // namespace opsbot::jenkins
