#pragma once
// StateStore on the `state` table (migration 003), its own connection.

#include <mutex>

#include "core/state.hpp"
#include "core/time.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlStateStore final : public StateStore {
public:
    SqlStateStore(Connections& pool, const Clock& clock) : pool_(pool), clock_(clock) {}
    std::optional<std::string> get(const std::string& key) override;
    void set(const std::string& key, const std::string& value) override;

private:
    Connections& pool_;
    const Clock& clock_;
};

}  // namespace opsbot::db
