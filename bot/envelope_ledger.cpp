#include "bot/envelope_ledger.hpp"

#include <spdlog/spdlog.h>

#include "persistence/database.hpp"
#include "persistence/envelope_journal.hpp"

namespace opsbot {
namespace {

// Handled envelopes are kept a day, for a look after an incident.
constexpr auto kKeepHandled = std::chrono::hours(24);

bool journaled(const slack::Envelope& envelope) {
    switch (envelope.type) {
        case slack::EnvelopeType::slash_commands:
        case slack::EnvelopeType::events_api:
        case slack::EnvelopeType::interactive:
            return !envelope.envelope_id.empty();
        default:
            return false;
    }
}

}  // namespace

EnvelopeLedger::EnvelopeLedger(const std::string& database_path, const Clock& clock)
    : clock_(clock),
      database_(std::make_unique<db::Database>(database_path)),
      journal_(std::make_unique<db::SqliteEnvelopeJournal>(*database_, clock)) {}

EnvelopeLedger::~EnvelopeLedger() = default;

void EnvelopeLedger::before_ack(const slack::Envelope& envelope, const std::string& text) {
    if (!journaled(envelope)) return;
    try {
        journal_->record(envelope.envelope_id, text);
    } catch (const std::exception& e) {
        spdlog::error("slack: cannot journal envelope {} before its ack: {}", envelope.envelope_id,
                      e.what());
    }
}

slack::EnvelopeDone EnvelopeLedger::done_for(const slack::Envelope& envelope) {
    if (!journaled(envelope)) return {};
    return [journal = journal_.get(), id = envelope.envelope_id] {
        try {
            journal->handled(id);
        } catch (const std::exception& e) {
            spdlog::error("slack: cannot mark envelope {} handled: {}", id, e.what());
        }
    };
}

std::size_t EnvelopeLedger::replay(slack::SlackRouter& router) {
    journal_->prune(clock_.now() - kKeepHandled);
    const auto pending = journal_->pending();
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
