#include "bot/replicas/replica_report.hpp"

#include "bot/replicas/lease_keeper.hpp"
#include "core/leases.hpp"
#include "core/metrics.hpp"
#include "persistence/database.hpp"

namespace opsbot {

void report_replica_metrics(Metrics& metrics, const std::string& replica, const LeaseKeeper* keeper,
                            LeaseStore& store) {
    metrics.set(metric::kReplicaInfo, 1, {{"replica", replica}});
    if (keeper) {
        for (const auto& [work, held] : keeper->held_work())
            metrics.set(metric::kLeaseHeld, held ? 1 : 0, {{"work", work}});
    }
    try {
        const auto view = view_replicas(store.list("replica:"));
        metrics.set(metric::kReplicasAlive, static_cast<double>(view.alive.size()));
    } catch (const db::DatabaseError&) {
        // The last count stands; the store's own gauges say it is down.
    }
}

std::string describe_replicas(LeaseStore& store) {
    return describe(view_replicas(store.list("")));
}

}  // namespace opsbot
