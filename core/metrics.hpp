#pragma once
// Counters, gauges and histograms, rendered in Prometheus text format at
// GET /metrics. Thread-safe; cheap enough for the envelope path.

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace opsbot {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Declares a metric's help text and type; optional but gives # HELP/# TYPE.
    void describe_counter(std::string name, std::string help);
    void describe_gauge(std::string name, std::string help);
    // Buckets are upper bounds in the metric's unit (seconds for latencies).
    void describe_histogram(std::string name, std::string help, std::vector<double> buckets);

    void increment(std::string_view name, const MetricLabels& labels = {}, double by = 1.0);
    void set(std::string_view name, double value, const MetricLabels& labels = {});
    void observe(std::string_view name, double value, const MetricLabels& labels = {});
    // Several observations under one lock (a burst of acks).
    void observe(std::string_view name, std::span<const double> values,
                 const MetricLabels& labels = {});

    double value(std::string_view name, const MetricLabels& labels = {}) const;  // counter or gauge
    std::string render_prometheus() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The metric names opsbot uses, in one place.
namespace metric {
inline constexpr const char* kEnvelopesReceived = "opsbot_slack_envelopes_received_total";
inline constexpr const char* kEnvelopesAcked = "opsbot_slack_envelopes_acked_total";
inline constexpr const char* kAckLatency = "opsbot_slack_ack_latency_seconds";
inline constexpr const char* kReconnects = "opsbot_slack_reconnects_total";
inline constexpr const char* kSlackConnected = "opsbot_slack_connected";
inline constexpr const char* kWebApiCalls = "opsbot_slack_web_api_calls_total";
inline constexpr const char* kWebApiRateLimited = "opsbot_slack_rate_limited_total";
inline constexpr const char* kOutboundQueueDepth = "opsbot_slack_outbound_queue_depth";
inline constexpr const char* kWebhookRequests = "opsbot_webhook_requests_total";
inline constexpr const char* kAuditWrites = "opsbot_audit_writes_total";
inline constexpr const char* kStoreErrors = "opsbot_store_errors_total";
inline constexpr const char* kStoreUp = "opsbot_store_up";
inline constexpr const char* kStoreConnectFailures = "opsbot_store_connect_failures_total";
inline constexpr const char* kReplicaInfo = "opsbot_replica_info";
inline constexpr const char* kLeaseHeld = "opsbot_lease_held";
inline constexpr const char* kReplicasAlive = "opsbot_replicas_alive";
}  // namespace metric

// Declares every metric above with its help text and buckets.
void describe_standard_metrics(Metrics& metrics);

}  // namespace opsbot
