// Socket Mode envelopes as they come off the WebSocket: read by the quick head
// reader and parsed whole (the two must agree), then routed
// by the real SlackRouter into the real dispatcher and commands, with Slack's
// Web API answered by a stub HTTP client and the audit log kept in memory.

#include <mutex>

#include "bot/dispatcher.hpp"
#include "bot/slack/envelope.hpp"
#include "bot/slack/slack_router.hpp"
#include "bot/slack/web_api.hpp"
#include "commands/builtin_commands.hpp"
#include "core/keyed_executor.hpp"
#include "fuzz/fuzz_input.hpp"
#include "tests/support/fixtures.hpp"

namespace {

using namespace opsbot;

// Every Web API call and response_url post succeeds.
class OkHttp final : public HttpClient {
public:
    Result<HttpResponse> send(const HttpRequest&) override {
        return HttpResponse{200,
                            {{"Content-Type", "application/json"}},
                            R"({"ok":true,"ts":"1700000000.000100","user":{"name":"x"}})"};
    }
};

class MemoryAudit final : public AuditStore {
public:
    AuditRecord append(AuditEntry entry) override {
        std::lock_guard lock(mutex_);
        AuditRecord record;
        static_cast<AuditEntry&>(record) = std::move(entry);
        record.id = ++rows_;
        return record;
    }
    std::vector<AuditRecord> query(const AuditQuery&) const override { return {}; }
    AuditVerification verify() const override { return {}; }

private:
    std::mutex mutex_;
    std::int64_t rows_ = 0;
};

struct Bot {
    Catalogue catalogue = test::test_catalogue();
    CatalogueSource source{catalogue};
    CommandRegistry registry;
    MemoryAudit audit;
    SystemClock clock;
    Metrics metrics;
    OkHttp http;
    slack::WebApi api{http, {"http://127.0.0.1:1/api/", "xoxb-fuzz", "xapp-fuzz"}, metrics};
    std::unique_ptr<Dispatcher> dispatcher;
    KeyedExecutor handlers{{.name = "handlers", .workers = 1, .capacity = 1'000}};
    KeyedExecutor outbound{{.name = "outbound",
                            .workers = 1,
                            .capacity = 1'000,
                            .paced_per_second = 1e9,
                            .paced_burst = 1'000'000}};
    std::unique_ptr<slack::SlackRouter> router;

    Bot() {
        commands::register_builtin_commands(registry);
        dispatcher = std::make_unique<Dispatcher>(registry, source, audit, clock);
        router = std::make_unique<slack::SlackRouter>(*dispatcher, api, catalogue, audit, handlers,
                                                      outbound, "U0OPSBOT01");
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Bot* bot = new Bot();  // never destroyed: its workers outlive the last input
    const auto text = fuzz::as_text(data, size);
    auto parsed = slack::parse_envelope(text);
    // The socket thread acks on the quick reader's answer: it must never
    // disagree with the full parse.
    const auto head = slack::scan_envelope_head(text);
    if (head && parsed &&
        (head->envelope_id != parsed.value().envelope_id ||
         head->type_name != parsed.value().type_name))
        __builtin_trap();
    if (!parsed) return 0;
    slack::ack_for(parsed.value().envelope_id);
    bot->router->on_envelope(std::move(parsed).value(), [] {});
    bot->handlers.drain(std::chrono::seconds(5));
    bot->outbound.drain(std::chrono::seconds(5));
    return 0;
}
