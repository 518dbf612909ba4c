#pragma once
// What an operator sees of the replicas, read from the lease table at the
// moment they look: the gauges of /metrics and the line of doctor and the
// start-up log.

#include <string>

namespace opsbot {

class LeaseKeeper;
class LeaseStore;
class Metrics;

// opsbot_replica_info{replica}, opsbot_lease_held{work} for each singleton
// work the keeper runs (none when keeper is null: the console holds no
// lease), and
// opsbot_replicas_alive, kept at its last value when the database does not
// answer (opsbot_store_up says so).
void report_replica_metrics(Metrics& metrics, const std::string& replica, const LeaseKeeper* keeper,
                            LeaseStore& store);

// "r1, r2; deploys: r1, alerts: r2". Throws db::DatabaseError.
std::string describe_replicas(LeaseStore& store);

}  // namespace opsbot
