#include "bot/envelope_ledger.hpp"

#include <spdlog/spdlog.h>

#include "bot/store_health.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot {
namespace {

// Slack retries an event for a few minutes, and a response_url answers for
// 30: an hour is well past the last delivery that could still be answered.
constexpr auto kKeepHandled = std::chrono::hours(1);

}  // namespace

EnvelopeLedger::EnvelopeLedger(std::unique_ptr<db::EnvelopeJournal> journal, StoreHealth& health)
    : journal_(std::move(journal)), health_(health) {}

EnvelopeLedger::~EnvelopeLedger() = default;

bool EnvelopeLedger::before_ack(std::vector<slack::ReceivedEnvelope>& envelopes) {
    if (!journal_) return true;
    std::vector<db::EnvelopeJournal::Arrival> arrivals;
    std::vector<std::size_t> journaled;  // the envelope of each arrival
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        const auto& head = envelopes[i].head;
        if (!slack::carries_request(head.type) || head.envelope_id.empty()) continue;
        const bool event = head.type == slack::EnvelopeType::events_api;
        arrivals.push_back(
            {head.envelope_id, envelopes[i].text, event ? head.event_id : std::string_view{}});
        journaled.push_back(i);
    }
    if (arrivals.empty()) return true;
    std::vector<bool> duplicates;
    try {
        journal_->record(arrivals, &duplicates);
    } catch (const std::exception& e) {
        spdlog::error(
            "slack: cannot journal {} envelope(s) from {}: {}; not acknowledging them: Slack "
            "delivers events again, and slash commands are answered that nothing was done",
            envelopes.size(), arrivals.front().envelope_id, e.what());
        health_.failed("envelope_journal", e);
        return false;
    }
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
        if (!duplicates[i]) continue;
        auto& envelope = envelopes[journaled[i]];
        envelope.duplicate = true;
        spdlog::debug("slack: envelope {} (event {}) was claimed by another delivery; acknowledged",
                      envelope.head.envelope_id, envelope.head.event_id);
    }
    return true;
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
    replay(pending, router);
    return pending.size();
}

std::size_t EnvelopeLedger::take_over(const std::string& replica, slack::SlackRouter& router) {
    if (!journal_) return 0;
    const auto taken = journal_->take_over(replica);
    spdlog::warn(
        "slack: took over {} envelope(s) replica {} acknowledged but did not handle; replaying "
        "them (actions that had started are not run again)",
        taken.size(), replica);
    replay(taken, router);
    return taken.size();
}

void EnvelopeLedger::replay(const std::vector<db::JournaledEnvelope>& envelopes,
                            slack::SlackRouter& router) {
    for (const auto& entry : envelopes) {
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
}

std::size_t EnvelopeLedger::prune() {
    if (!journal_) return 0;
    return journal_->prune(std::chrono::system_clock::now() - kKeepHandled);
}

}  // namespace opsbot
