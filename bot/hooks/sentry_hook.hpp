#pragma once
// POST /hooks/sentry: Sentry's integration-platform webhooks, signed with the
// integration's client secret; POST /hooks/sentry-legacy?token=: the legacy
// per-project WebHooks plugin. Each accepted alert is in the inbox (SQLite)
// before Sentry gets its 2xx; the relay takes it from there. A body seen
// before (a retry, or a replay under a new Request-ID) is answered 200 and
// audited as a duplicate, not relayed again.

#include <chrono>
#include <functional>
#include <string>

#include "bot/net/http_server.hpp"
#include "core/alerts.hpp"
#include "core/audit.hpp"
#include "core/time.hpp"

namespace opsbot::hooks {

struct SentryHookOptions {
    std::string client_secret;           // SENTRY_CLIENT_SECRET
    std::string legacy_token;            // SENTRY_LEGACY_TOKEN
    std::chrono::seconds max_skew{300};  // OPSBOT_SENTRY_MAX_SKEW: older timestamps are replays
};

struct SentryHookTargets {
    AlertStore& inbox;
    AuditStore& audit;
    const Clock& clock;
    std::function<void()> accepted;  // wakes the relay
};

net::RequestHandler sentry_hook(const SentryHookOptions& options, SentryHookTargets targets);
net::RequestHandler sentry_legacy_hook(const SentryHookOptions& options, SentryHookTargets targets);

}  // namespace opsbot::hooks
