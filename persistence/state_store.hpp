#pragma once
// StateStore on the `state` table (migration 003), its own connection.

#include <mutex>

#include "core/state.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqliteStateStore final : public StateStore {
public:
    SqliteStateStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
    std::optional<std::string> get(const std::string& key) override;
    void set(const std::string& key, const std::string& value) override;

private:
    Database& db_;
    const Clock& clock_;
    std::mutex mutex_;
};

}  // namespace opsbot::db
