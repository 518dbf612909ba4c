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
    // Before the first begin(): the replica stamped on each intent.
    void set_replica(std::string replica) { replica_ = std::move(replica); }

    bool begin(const Intent& intent) override;
    void finish(const std::string& key, const std::string& outcome) override;
    std::optional<Intent> find(const std::string& key) const override;
    std::vector<Intent> unfinished() const override;
    std::vector<Intent> interrupt(const std::string& replica) override;

private:
    Connections& pool_;
    std::string replica_;
};

}  // namespace opsbot::db
