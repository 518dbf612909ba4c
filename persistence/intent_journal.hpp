#pragma once
// The intent journal in SQLite (table intents, migration 004).

#include <mutex>

#include "core/intents.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlIntentJournal final : public IntentJournal {
public:
    // Give it a connection of its own: SQLite transactions belong to a
    // connection, so stores must not share one across threads.
    explicit SqlIntentJournal(Connections& pool) : pool_(pool) {}

    bool begin(const Intent& intent) override;
    void finish(const std::string& key, const std::string& outcome) override;
    std::optional<Intent> find(const std::string& key) const override;
    std::vector<Intent> unfinished() const override;

private:
    Connections& pool_;
};

}  // namespace opsbot::db
