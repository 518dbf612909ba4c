#pragma once
// Runbook runs in a thread: posts the header and each step, takes the
// on-call person's presses (Done, Skip, Run, Abort) through atomic changes in
// the store, runs the automated steps, keeps the downtime clock and writes an
// audit row for every step start, confirmation, skip, action result and
// abort. State lives in the store, so a restart loses nothing.

#include <functional>
#include <string>
#include <vector>

#include "bot/runbooks/runbook_actions.hpp"
#include "core/audit.hpp"
#include "core/locks.hpp"
#include "core/notifier.hpp"
#include "core/runbooks.hpp"

namespace opsbot::runbooks {

struct RunbookDeps {
    RunbookStore& store;
    AuditStore& audit;
    Notifier& notifier;
    const Clock& clock;
    LockStore* locks = nullptr;
    ActionTargets actions;
    std::string replica;  // this replica's id, recorded on the steps it runs
};

class ThreadRunbookService final : public RunbookService {
public:
    ThreadRunbookService(std::vector<Runbook> runbooks, RunbookDeps deps);

    const std::vector<Runbook>& runbooks() const override { return runbooks_; }
    const Runbook* find_runbook(const std::string& name) const override;
    Result<RunRecord> start(const RunbookStart& request) override;
    Result<std::string> press(const RunbookPress& press) override;
    Result<std::string> handover(std::int64_t run, const Actor& actor,
                                 const std::string& to_user) override;
    std::optional<RunRecord> find_run(std::int64_t id) const override;
    std::vector<RunRecord> active() const override;

    // This replica's steps that its restart interrupted become failed, to be
    // retried or skipped: never re-run on their own.
    void recover();
    // The "runbooks" singleton's pass: the running steps of replicas that
    // are not alive are run again here, once, with a note in the run's
    // thread; a step interrupted a second time becomes failed, for a person
    // to retry or skip.
    void take_over_steps(const std::function<bool(const std::string& replica)>& alive);

private:
    Result<RunbookValues> check_start(const Runbook& runbook, const RunbookStart& request) const;
    void begin(std::int64_t id, int step);
    Result<std::string> confirm(const RunRecord& run, int step, const RunbookPress& press);
    Result<std::string> skip(const RunRecord& run, int step, const RunbookPress& press);
    struct Decision {
        RunbookStepState to;
        const char* word;  // in the audit row
        const char* icon;
        const char* said;  // in the answer
    };
    Result<std::string> decide(const RunRecord& run, int step, const RunbookPress& press,
                               const Decision& decision, const std::vector<RunbookStepState>& from);
    Result<std::string> execute(const RunRecord& run, int step, const Actor& actor,
                                const std::string& correlation_id, bool claimed);
    Result<std::string> abort(const RunRecord& run, const RunbookPress& press);
    std::string advance(std::int64_t id, int step);
    Error refusal(const RunRecord& run, int step) const;
    void retry_step(const RunRecord& run, int step);
    void fail_interrupted(const RunRecord& run, int step, const std::string& why);
    void post_step(std::int64_t id, int step);
    void close_step(std::int64_t id, int step);
    void post(const RunRecord& run, const Reply& reply);
    void audit(const RunRecord& run, const Actor& actor, const std::string& correlation_id,
               const std::string& what, Outcome outcome, const std::string& detail = "");

    std::vector<Runbook> runbooks_;
    RunbookDeps deps_;
};

}  // namespace opsbot::runbooks
