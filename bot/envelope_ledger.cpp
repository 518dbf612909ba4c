#include "bot/envelope_ledger.hpp"

#include <spdlog/spdlog.h>

#include "bot/store_health.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot {
EnvelopeLedger::EnvelopeLedger(std::unique_ptr<db::EnvelopeJournal> journal, StoreHealth& health)
    : journal_(std::move(journal)), health_(health) {}

EnvelopeLedger::~EnvelopeLedger() = default;

bool EnvelopeLedger::before_ack(const std::vector<slack::ReceivedEnvelope>& envelopes) {
    if (!journal_) return true;
    std::vector<db::EnvelopeJournal::Arrival> arrivals;
    for (const auto& [head, text] : envelopes)
        if (slack::carries_request(head.type) && !head.envelope_id.empty())
            arrivals.push_back({head.envelope_id, text});
    if (arrivals.empty()) return true;
    try {
        journal_->record(arrivals);
        return true;
    } catch (const std::exception& e) {
        spdlog::error(
            "slack: cannot journal {} envelope(s) from {}: {}; not acknowledging them: Slack "
            "delivers events again, and slash commands are answered that nothing was done",
            envelopes.size(), arrivals.front().envelope_id, e.what());
        health_.failed("envelope_journal", e);
        return false;
    }
}

slack::EnvelopeDone EnvelopeLedger::done_for(const slack::Envelope& envelope) {
    // By id alone: an envelope journaled as a command may come back as
    // `other` when the full parse refused it, and must still be closed.
    if (!journal_ || envelope.envelope_id.empty()) return {};
    return [journal = journal_.get(), id = envelope.envelope_id] {
        try {
            journal->handled(id);
        } catch (const std::exception& e) {
            spdlog::error("slack: cannot mark envelope {} handled: {}", id, e.what());
        }
    };
}

std::size_t EnvelopeLedger::replay(slack::SlackRouter& router) {
    if (!journal_) return 0;
    const auto& pending = journal_->left_over();
    if (!pending.empty())
        spdlog::warn(
            "slack: {} envelope(s) were acknowledged before the last stop but not handled; "
            "replaying them (actions that had started are not run again)",
            pending.size());
    for (const auto& entry : pending) {
        auto parsed = slack::parse_envelope(entry.body);
        if (!parsed) {
            spdlog::error("slack: journaled envelope {} no longer parses; dropped",
                          entry.envelope_id);
            journal_->handled(entry.envelope_id);
            continue;
        }
        auto envelope = std::move(parsed).value();
        spdlog::info("slack: replaying envelope {} ({}) received {}", entry.envelope_id,
                     envelope.type_name, format_iso8601(entry.received));
        auto done = done_for(envelope);
        router.on_envelope(std::move(envelope), std::move(done));
    }
    return pending.size();
}

}  // namespace opsbot
