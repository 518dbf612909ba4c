#pragma once
// Small named values opsbot keeps across restarts: a zone id found by
// domain, the day of a project's last restore drill, the day the backup
// check last ran. SQLite's `state` table behind it.

#include <optional>
#include <string>

namespace opsbot {

class StateStore {
public:
    virtual ~StateStore() = default;
    virtual std::optional<std::string> get(const std::string& key) = 0;
    virtual void set(const std::string& key, const std::string& value) = 0;
};

}  // namespace opsbot
