#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/logging.hpp"
#include "core/redact.hpp"

using namespace opsbot;

namespace {

struct Captured {
    std::ostringstream out;
    std::shared_ptr<spdlog::logger> logger;

    explicit Captured(LogFormat format, std::string replica = "") {
        auto capture = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
        capture->set_pattern("%l %v");
        logger = std::make_shared<spdlog::logger>(
            "test", make_redacting_sink(capture, format, std::move(replica)));
        logger->set_level(spdlog::level::trace);
    }
};

}  // namespace

TEST_CASE("logging: no secret reaches the sink, the message does", "[logging]") {
    register_secret("jenkins-api-token-1234567");
    Captured log(LogFormat::text);
    log.logger->info("connecting with {} and {}", "xoxb-1234-5678-abcdefghij",
                     "xapp-1-A1-2-secret");
    log.logger->warn(
        "GET {} failed",
        "https://b.s3.amazonaws.com/k.tar.lrz?X-Amz-Signature=abc123&X-Amz-Expires=60");
    log.logger->error(
        "Authorization: Bearer cf-token-value-987 refused; jenkins-api-token-1234567 too");
    const std::string text = log.out.str();
    CHECK_THAT(text, !Catch::Contains("abcdefghij"));
    CHECK_THAT(text, !Catch::Contains("A1-2-secret"));
    CHECK_THAT(text, !Catch::Contains("abc123"));
    CHECK_THAT(text, !Catch::Contains("cf-token-value-987"));
    CHECK_THAT(text, !Catch::Contains("jenkins-api-token-1234567"));
    CHECK_THAT(text, Catch::Contains("info connecting with xoxb-[redacted] and xapp-[redacted]"));
    CHECK_THAT(text, Catch::Contains(
                         "warning GET https://b.s3.amazonaws.com/k.tar.lrz?[redacted] failed"));
    CHECK_THAT(text, Catch::Contains("Bearer [redacted] refused"));
    clear_registered_secrets();
}

TEST_CASE("logging: json lines carry time, level, logger and a redacted message", "[logging]") {
    Captured log(LogFormat::json);
    log.logger->warn("token \"xoxb-99-88-secretvalue\" seen");
    const auto line = log.out.str();
    REQUIRE(line.back() == '\n');
    const auto json = nlohmann::json::parse(line);
    CHECK(json["level"] == "warning");
    CHECK(json["logger"] == "test");
    CHECK(json["msg"] == "token \"xoxb-[redacted]\" seen");
    const std::string time = json["time"];
    CHECK(time.size() == 24);
    CHECK(time.back() == 'Z');
}

TEST_CASE("logging: every text line names the replica", "[logging]") {
    Captured log(LogFormat::text, "r2");
    log.logger->info("deploy {} started", "acme/prod");
    log.logger->warn("token xoxb-1234-5678-abcdefghij refused");
    CHECK(log.out.str() ==
          "info [replica r2] deploy acme/prod started\n"
          "warning [replica r2] token xoxb-[redacted] refused\n");
}

TEST_CASE("logging: json lines carry the replica", "[logging]") {
    Captured log(LogFormat::json, "opsbot-1.eu");
    log.logger->info("lease work:deploys gained");
    const auto json = nlohmann::json::parse(log.out.str());
    CHECK(json["replica"] == "opsbot-1.eu");
    CHECK(json["msg"] == "lease work:deploys gained");
}

TEST_CASE("logging: settings accept the documented values and reject others", "[logging]") {
    LogSettings settings;
    CHECK(parse_log_settings("debug", "json", settings).empty());
    CHECK(settings.level == "debug");
    CHECK(settings.format == LogFormat::json);
    CHECK(parse_log_settings("", "", settings).empty());
    CHECK(settings.level == "info");
    CHECK(settings.format == LogFormat::text);
    LogSettings kept;
    CHECK(parse_log_settings("verbose", "xml", kept) ==
          "unknown OPSBOT_LOG_LEVEL 'verbose' (use trace, debug, info, warn, error, critical or "
          "off); "
          "using info; unknown OPSBOT_LOG_FORMAT 'xml' (use text or json); using text");
    CHECK(kept.level == "info");
}
