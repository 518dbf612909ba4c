#include "core/logging.hpp"

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/redact.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace opsbot {
namespace {

// Sits in front of the real sink: whatever a log call formats, secrets are
// masked before any byte reaches a file, a terminal or a collector.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner, LogFormat format, std::string replica)
        : inner_(std::move(inner)),
          format_(format),
          replica_(std::move(replica)),
          text_prefix_(replica_.empty() ? "" : "[replica " + replica_ + "] ") {
        if (format_ == LogFormat::json) inner_->set_pattern("%v");
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const std::string text = redact(std::string_view(msg.payload.data(), msg.payload.size()));
        spdlog::details::log_msg copy(msg);
        std::string line;
        if (format_ == LogFormat::json) {
            const auto level = spdlog::level::to_string_view(msg.level);
            line = nlohmann::json{
                {"time", format_iso8601(msg.time)},
                {"level", std::string(level.data(), level.size())},
                {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                {"replica", replica_},
                {"msg",
                 text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            copy.payload = line;
        } else {
            line = text_prefix_ + text;
            copy.payload = line;
        }
        inner_->log(copy);
    }

    void flush_() override { inner_->flush(); }

private:
    std::shared_ptr<spdlog::sinks::sink> inner_;
    LogFormat format_;
    const std::string replica_;
    const std::string text_prefix_;
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner,
                                                         LogFormat format, std::string replica) {
    return std::make_shared<RedactingSink>(std::move(inner), format, std::move(replica));
}

std::string parse_log_settings(std::string_view level, std::string_view format,
                               LogSettings& settings) {
    std::string problems;
    const std::string wanted_level = to_lower(trim(level));
    static const std::vector<std::string> levels{"trace",   "debug", "info",     "warn",
                                                 "warning", "error", "critical", "off"};
    if (wanted_level.empty()) {
        settings.level = "info";
    } else if (std::find(levels.begin(), levels.end(), wanted_level) != levels.end()) {
        settings.level = wanted_level == "warning" ? "warn" : wanted_level;
    } else {
        problems = "unknown OPSBOT_LOG_LEVEL '" + std::string(level) +
                   "' (use trace, debug, info, warn, error, critical or off); using info";
    }
    const std::string wanted_format = to_lower(trim(format));
    if (wanted_format.empty() || wanted_format == "text") {
        settings.format = LogFormat::text;
    } else if (wanted_format == "json") {
        settings.format = LogFormat::json;
    } else {
        if (!problems.empty()) problems += "; ";
        problems += "unknown OPSBOT_LOG_FORMAT '" + std::string(format) +
                    "' (use text or json); using text";
    }
    return problems;
}

void setup_logging(const LogSettings& settings) {
    auto sink = make_redacting_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>(),
                                    settings.format, settings.replica);
    auto logger = std::make_shared<spdlog::logger>("opsbot", std::move(sink));
    logger->set_level(spdlog::level::from_str(settings.level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace opsbot
