// Sentry's webhooks: the body through every integration-platform resource
// and through the legacy plugin's parser, and the signature check.

#include "adapters/sentry/sentry.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    const auto body = fuzz::as_text(data, size);
    for (const char* resource :
         {"issue", "event_alert", "metric_alert", "error", "installation", "comment", ""})
        static_cast<void>(sentry::parse_webhook(resource, body));
    static_cast<void>(sentry::parse_legacy_webhook(body));
    sentry::verify_signature("secret", body, body.substr(0, 64));
    return 0;
}
