#pragma once
// The real opsbot binary with the fake Slack and the fake Jenkins, for the
// deploy and release end-to-end tests: slash commands and button presses
// answered in order, the messages opsbot posted, the audit log read back.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "tests/fakes/fake_jenkins.hpp"
#include "tests/support/slack_bot.hpp"

namespace opsbot::test {

inline constexpr const char* kWebhookToken = "jenkins-hook-secret-0042";
inline constexpr const char* kStageJob = "clients/acme/deploy-stage";
inline constexpr const char* kProdJob = "clients/acme/deploy-prod";

// The test catalogue, plus Carol (a second prod deployer) and locks for deployers.
inline std::string catalogue_with_carol() {
    return test::catalogue_with_deployer_permissions("deploy, purge, lock") +
           "  - user: U03CAROL03\n    name: Carol\n    roles: [prod-deployer]\n";
}

struct DeployBot {
    FakeJenkins jenkins;  // first: it outlives the opsbot process
    test::SlackBot bot;

    explicit DeployBot(const std::string& catalogue = catalogue_with_carol(),
                       db::Backend backend = e2e_backend())
        : bot(catalogue, nullptr, backend) {
        for (const char* job :
             {kStageJob, kProdJob, "clients/globex/deploy-stage", "clients/globex/deploy-prod"})
            jenkins.add_job(job);
        jenkins.set_timing(std::chrono::milliseconds(100), std::chrono::milliseconds(300));
        bot.env["JENKINS_URL"] = jenkins.base_url();
        bot.env["JENKINS_USER"] = FakeJenkins::kUser;
        bot.env["JENKINS_API_TOKEN"] = FakeJenkins::kToken;
        bot.env["JENKINS_WEBHOOK_TOKEN"] = kWebhookToken;
        bot.env["OPSBOT_DEPLOY_POLL_INTERVAL"] = "1s";
    }

    // Slash commands are answered on their response_url, in order.
    nlohmann::json slash(const std::string& command, const std::string& text,
                         const std::string& user) {
        const auto before = bot.slack.responses().size();
        bot.slack.send_slash({.text = text, .command = command, .user = user});
        REQUIRE(bot.slack.wait_for_responses(before + 1));
        return bot.slack.responses().at(before);
    }

    nlohmann::json press(const std::string& user, const std::string& action,
                         const std::string& id) {
        const auto before = bot.slack.responses().size();
        bot.slack.send_block_action(user, action, id);
        REQUIRE(bot.slack.wait_for_responses(before + 1));
        return bot.slack.responses().at(before);
    }

    // Every chat.postMessage and chat.update text so far.
    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const auto* method : {"chat.postMessage", "chat.update"})
            for (const auto& body : bot.slack.api_calls(method))
                out.push_back(body.value("text", ""));
        return out;
    }

    bool wait_for_message(const std::string& part,
                          std::chrono::milliseconds timeout = std::chrono::seconds(15)) const {
        return FakeHttpServer::wait_until(
            [&] {
                for (const auto& text : messages())
                    if (text.find(part) != std::string::npos) return true;
                return false;
            },
            timeout);
    }

    // Oldest first.
    std::vector<AuditRecord> audit_rows() {
        auto rows = bot.audit_rows();
        std::reverse(rows.begin(), rows.end());
        return rows;
    }
};

inline std::string text_of(const nlohmann::json& response) {
    return response.value("text", "");
}

inline std::string confirmation_id(const std::string& text) {
    const std::string marker = "`confirm ";
    const auto at = text.find(marker);
    REQUIRE(at != std::string::npos);
    const auto start = at + marker.size();
    return text.substr(start, text.find('`', start) - start);
}

inline bool has_row(const std::vector<AuditRecord>& rows, Outcome outcome,
                    const std::string& ref_part) {
    for (const auto& row : rows)
        if (row.outcome == outcome && row.external_ref.find(ref_part) != std::string::npos)
            return true;
    return false;
}

}  // namespace opsbot::test
