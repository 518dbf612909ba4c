#pragma once
// The real opsbot binary in Slack mode with a fake Cloudflare (acme.com's
// zone) and a fake S3 that checks SigV4, for the /purge and /backup
// end-to-end tests, typed or from a form.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "tests/fakes/fake_cloudflare.hpp"
#include "tests/fakes/fake_s3.hpp"
#include "tests/support/slack_bot.hpp"

namespace opsbot::test {

inline constexpr const char* kAcmeZone = "023e105f4ecef8ad9ca31a8372d0c353";

struct SiteBot {
    FakeCloudflare cloudflare;  // first: they outlive the opsbot process
    FakeS3 s3;
    SlackBot bot{catalogue_with_deployer_permissions("deploy, purge, backup")};

    SiteBot() {
        cloudflare.add_zone(kAcmeZone, "acme.com");
        bot.env["CLOUDFLARE_API_URL"] = cloudflare.api_url();
        bot.env["CLOUDFLARE_API_TOKEN"] = FakeCloudflare::kToken;
        bot.env["BACKUP_BUCKET"] = FakeS3::kBucket;
        bot.env["AWS_ACCESS_KEY_ID"] = FakeS3::kAccessKey;
        bot.env["AWS_SECRET_ACCESS_KEY"] = FakeS3::kSecret;
        bot.env["AWS_REGION"] = FakeS3::kRegion;
        bot.env["S3_ENDPOINT"] = s3.base_url();
        bot.env["OPSBOT_ALERT_CHANNEL"] = "#ops-alerts";
    }

    nlohmann::json slash(const std::string& command, const std::string& text,
                         const std::string& user) {
        const auto before = bot.slack.responses().size();
        bot.slack.send_slash({.text = text, .command = command, .user = user});
        REQUIRE(bot.slack.wait_for_responses(before + 1, std::chrono::seconds(20)));
        return bot.slack.responses().at(before);
    }

    std::vector<AuditRecord> audit_rows() const { return bot.audit_rows(); }
};

// The presigned URL in a backup answer's "<url|download …>" link.
inline std::string backup_link(const std::string& text) {
    const auto start = text.find("<http");
    REQUIRE(start != std::string::npos);
    return text.substr(start + 1, text.find('|', start) - start - 1);
}

// The link's X-Amz-Signature (64 hex digits).
inline std::string signature_of(const std::string& url) {
    const std::string key = "X-Amz-Signature=";
    const auto at = url.find(key);
    REQUIRE(at != std::string::npos);
    return url.substr(at + key.size(), 64);
}

}  // namespace opsbot::test
