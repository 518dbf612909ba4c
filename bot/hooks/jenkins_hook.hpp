#pragma once
// POST /hooks/jenkins: the Jenkins Notification plugin's messages, checked
// against JENKINS_WEBHOOK_TOKEN (header or ?token=) and handed to the deploy
// service, which updates the deploy's thread or relays the build.

#include <string>

#include "bot/deploy/deploy_service.hpp"
#include "bot/net/http_server.hpp"
#include "core/audit.hpp"

namespace opsbot::hooks {

net::RequestHandler jenkins_hook(std::string token, JenkinsDeployService& deploys,
                                 AuditStore& audit);

}  // namespace opsbot::hooks
