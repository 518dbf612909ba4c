#pragma once
// Runbook runs and their steps in SQLite (migration 008). Presses change a
// step only from the state they saw, so a double press is refused by SQL.

#include <mutex>

#include "core/runbooks.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlRunbookStore final : public RunbookStore {
public:
    explicit SqlRunbookStore(Connections& pool) : pool_(pool) {}
    std::int64_t create(const RunRecord& run) override;
    std::optional<RunRecord> find(std::int64_t id) const override;
    std::vector<RunRecord> active() const override;
    bool change_step(std::int64_t run, int step, const std::vector<RunbookStepState>& from,
                     const StepChange& change) override;
    bool take_step(std::int64_t run, int step, const std::string& from_replica,
                   const std::string& to_replica) override;
    void begin_step(std::int64_t run, int step, TimePoint when) override;
    void set_step_message(std::int64_t run, int step, const std::string& ts) override;
    void set_thread(std::int64_t run, const std::string& channel,
                    const std::string& thread) override;
    void set_oncall(std::int64_t run, const std::string& id, const std::string& name) override;
    void set_downtime(std::int64_t run, std::optional<TimePoint> started,
                      std::optional<TimePoint> ended) override;
    bool finish(std::int64_t run, RunState state, TimePoint when) override;

private:
    Connections& pool_;
};

// The runbook as JSON, kept with each run.
std::string runbook_to_json(const Runbook& runbook);
Runbook runbook_from_json(const std::string& text);

}  // namespace opsbot::db
