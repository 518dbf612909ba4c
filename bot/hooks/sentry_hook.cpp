#include "bot/hooks/sentry_hook.hpp"

#include <charconv>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "adapters/sentry/sentry.hpp"
#include "core/digest.hpp"

namespace opsbot::hooks {
namespace {

net::OutgoingResponse answer(int status, const std::string& key, const std::string& text) {
    return {status, nlohmann::json{{key, text}}.dump(), "application/json", {}};
}

AuditEntry hook_entry(const net::IncomingRequest& request, Outcome outcome) {
    AuditEntry entry;
    entry.source = Source::webhook;
    entry.actor_id = request.remote_address;
    entry.actor_name = "sentry webhook";
    entry.command = "POST " + request.path;
    entry.outcome = outcome;
    return entry;
}

net::OutgoingResponse reject(AuditStore& audit, const net::IncomingRequest& request, int status,
                             const std::string& why) {
    AuditEntry entry = hook_entry(request, Outcome::rejected);
    entry.error = why;
    entry.external_ref = request.header("Request-ID");
    audit.append(std::move(entry));
    spdlog::warn("sentry: rejected a webhook from {}: {}", request.remote_address, why);
    return answer(status, "error", why);
}

std::optional<long long> parse_seconds(const std::string& text) {
    long long seconds = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, seconds);
    // Sentry sends whole seconds; a fraction after them is tolerated.
    if (ec != std::errc{} || (stop != end && *stop != '.')) return std::nullopt;
    return seconds;
}

// Records the alert; a key seen before is answered 2xx so Sentry stops
// retrying, and audited as a duplicate. A failed write throws
// db::DatabaseError, which the intake answers 503 (hooks::store_guarded).
net::OutgoingResponse accept(const SentryHookTargets& targets, const net::IncomingRequest& request,
                             const std::string& key, const Alert& alert) {
    if (!alert.relayable()) {
        AuditEntry entry = hook_entry(request, Outcome::accepted);
        entry.command = "sentry " + alert.resource + " " + alert.action;
        entry.external_ref = key;
        targets.audit.append(std::move(entry));
        spdlog::info("sentry: {} {} noted", alert.resource, alert.action);
        return answer(200, "ok", "noted");
    }
    if (!targets.inbox.record(key, targets.clock.now(), alert)) {
        AuditEntry entry = hook_entry(request, Outcome::duplicate);
        const auto request_id = request.header("Request-ID");
        entry.external_ref = request_id.empty() ? key : "Request-ID " + request_id;
        entry.error = "already received; not relayed again";
        targets.audit.append(std::move(entry));
        spdlog::info("sentry: duplicate delivery {} ignored", key);
        return answer(200, "ok", "duplicate");
    }
    if (targets.accepted) targets.accepted();
    return answer(202, "ok", "accepted");
}

}  // namespace

net::RequestHandler sentry_hook(const SentryHookOptions& options, SentryHookTargets targets) {
    return [options, targets](const net::IncomingRequest& request) {
        if (options.client_secret.empty())
            return reject(targets.audit, request, 401,
                          "SENTRY_CLIENT_SECRET is not set on opsbot; set it to the "
                          "integration's client secret");
        const std::string signature = request.header("Sentry-Hook-Signature");
        if (signature.empty())
            return reject(targets.audit, request, 401, "missing Sentry-Hook-Signature header");
        if (!sentry::verify_signature(options.client_secret, request.body, signature))
            return reject(targets.audit, request, 401,
                          "Sentry-Hook-Signature does not match the body (wrong "
                          "SENTRY_CLIENT_SECRET, or the body was altered)");
        const auto timestamp = parse_seconds(request.header("Sentry-Hook-Timestamp"));
        if (!timestamp)
            return reject(targets.audit, request, 400,
                          "missing or unreadable Sentry-Hook-Timestamp header");
        const auto sent = TimePoint(std::chrono::seconds(*timestamp));
        const auto skew = targets.clock.now() - sent;
        if (skew > options.max_skew || -skew > options.max_skew)
            return reject(targets.audit, request, 401,
                          "Sentry-Hook-Timestamp " + std::to_string(*timestamp) +
                              " is outside the accepted window of " +
                              std::to_string(options.max_skew.count()) +
                              " s (a replay, or a clock that is off)");
        const std::string resource = request.header("Sentry-Hook-Resource");
        const auto alert = sentry::parse_webhook(resource, request.body);
        if (!alert) {
            if (alert.error().code == "unsupported_resource") {
                spdlog::debug("sentry: ignored a '{}' webhook", resource);
                return answer(200, "ok", "ignored: " + alert.error().message);
            }
            return reject(targets.audit, request, 400, alert.error().message);
        }
        // Sentry signs the body only: a captured delivery replayed with a
        // fresh Request-ID and timestamp still has the same body, and a
        // retry of the same Request-ID too.
        const std::string key = "body:" + sha256_hex(request.body);
        return accept(targets, request, key, alert.value());
    };
}

net::RequestHandler sentry_legacy_hook(const SentryHookOptions& options,
                                       SentryHookTargets targets) {
    return [options, targets](const net::IncomingRequest& request) {
        if (options.legacy_token.empty())
            return reject(targets.audit, request, 401,
                          "SENTRY_LEGACY_TOKEN is not set on opsbot; set it and add it to the "
                          "WebHooks plugin URL as ?token=");
        const auto query = request.query.find("token");
        const std::string token = query == request.query.end() ? "" : query->second;
        if (!constant_time_equals(options.legacy_token, token))
            return reject(targets.audit, request, 401, "wrong or missing ?token=");
        const auto alert = sentry::parse_legacy_webhook(request.body);
        if (!alert) return reject(targets.audit, request, 400, alert.error().message);
        const auto& a = alert.value();
        const std::string key =
            "legacy:" + (a.event_id.empty() ? sha256_hex(request.body) : a.event_id);
        return accept(targets, request, key, a);
    };
}

}  // namespace opsbot::hooks
