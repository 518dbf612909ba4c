#include "bot/hooks/jenkins_hook.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot::hooks {
namespace {

net::OutgoingResponse json_answer(int status, const std::string& key, const std::string& text) {
    return {status, nlohmann::json{{key, text}}.dump(), "application/json", {}};
}

std::string token_of(const net::IncomingRequest& request) {
    if (auto header = request.header("X-Jenkins-Token"); !header.empty()) return header;
    if (auto bearer = request.header("Authorization"); starts_with(bearer, "Bearer "))
        return bearer.substr(7);
    const auto query = request.query.find("token");
    return query == request.query.end() ? "" : query->second;
}

void audit_rejection(AuditStore& audit, const net::IncomingRequest& request,
                     const std::string& why) {
    AuditEntry entry;
    entry.source = Source::webhook;
    entry.actor_id = request.remote_address;
    entry.actor_name = "jenkins webhook";
    entry.command = "POST " + request.path;
    entry.outcome = Outcome::rejected;
    entry.error = why;
    audit.append(std::move(entry));
    spdlog::warn("jenkins: rejected a notification from {}: {}", request.remote_address, why);
}

}  // namespace

net::RequestHandler jenkins_hook(std::string token, JenkinsDeployService& deploys,
                                 AuditStore& audit) {
    return [token = std::move(token), &deploys, &audit](const net::IncomingRequest& request) {
        if (token.empty()) {
            audit_rejection(audit, request, "JENKINS_WEBHOOK_TOKEN is not set");
            return json_answer(401, "error",
                               "JENKINS_WEBHOOK_TOKEN is not set on opsbot; set it and send it "
                               "as ?token= or the X-Jenkins-Token header");
        }
        if (!constant_time_equals(token, token_of(request))) {
            audit_rejection(audit, request, "wrong or missing token");
            return json_answer(401, "error", "wrong or missing token");
        }
        const auto notification = jenkins::parse_notification(request.body);
        if (!notification) {
            audit_rejection(audit, request, "unreadable body: " + notification.error().message);
            return json_answer(400, "error", notification.error().message);
        }
        const auto& n = notification.value();
        spdlog::info("jenkins: {} #{} {} {}", n.job, n.number, n.phase, n.status);
        deploys.on_notification(n);
        return json_answer(200, "ok", "accepted");
    };
}

}  // namespace opsbot::hooks
