#pragma once
// spdlog set-up: level and format from the environment, and a redacting sink
// in front of every real sink so that no secret reaches a log.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/sinks/sink.h>

namespace opsbot {

enum class LogFormat { text, json };

// Wraps inner: every message is redacted before inner sees it. In json mode
// the sink writes one JSON object per line (time, level, logger, replica,
// msg) and sets inner's pattern to "%v"; in text mode a non-empty replica
// leads each message as "[replica r1] ", so that lines gathered from several
// replicas tell who wrote them.
std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner,
                                                         LogFormat format,
                                                         std::string replica = "");

struct LogSettings {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    LogFormat format = LogFormat::text;
    std::string replica;  // OPSBOT_REPLICA_ID: named on every line
};

// Problems ("unknown OPSBOT_LOG_LEVEL 'verbose'") are returned as text so the
// caller can report them; the default is used in their place.
std::string parse_log_settings(std::string_view level, std::string_view format,
                               LogSettings& settings);

// Installs the default logger: stderr, redacted, at the given level.
void setup_logging(const LogSettings& settings);

}  // namespace opsbot
