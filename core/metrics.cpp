#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace opsbot {
namespace {

enum class Kind { counter, gauge, histogram };

struct Family {
    Kind kind = Kind::counter;
    std::string help;
    std::vector<double> buckets;  // histograms only
};

struct Series {
    double value = 0;                   // counter or gauge
    std::vector<std::uint64_t> counts;  // histogram, per bucket (not cumulative)
    std::uint64_t count = 0;
    double sum = 0;
};

// Label values escape \\, " and line feed; HELP text only \\ and line feed.
std::string escape(const std::string& text, bool quote = true) {
    std::string out;
    for (char c : text) {
        if (c == '\\' || (quote && c == '"')) out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// {a="1",b="2"}, sorted by label name so equal label sets are one series.
std::string label_text(MetricLabels labels) {
    if (labels.empty()) return {};
    std::sort(labels.begin(), labels.end());
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i)
        out += (i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second) + "\"";
    return out + "}";
}

std::string number(double value) {
    if (std::isnan(value)) return "NaN";  // printf's "-nan" is not valid in the format
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    return std::string(buffer, end);
}

// Adds le="…" to a label set.
std::string with_le(const std::string& labels, const std::string& le) {
    const std::string pair = "le=\"" + le + "\"";
    if (labels.empty()) return "{" + pair + "}";
    return labels.substr(0, labels.size() - 1) + "," + pair + "}";
}

}  // namespace

struct Metrics::Impl {
    std::mutex mutex;
    std::map<std::string, Family, std::less<>> families;
    std::map<std::string, std::map<std::string, Series>, std::less<>> series;

    Family& family(std::string_view name, Kind kind) {
        auto it = families.find(name);
        if (it == families.end())
            it = families.emplace(std::string(name), Family{kind, "", {}}).first;
        return it->second;
    }

    Series& at(std::string_view name, const MetricLabels& labels) {
        auto it = series.find(name);
        if (it == series.end())
            it = series.emplace(std::string(name), std::map<std::string, Series>{}).first;
        return it->second[label_text(labels)];
    }

    void render_family(std::string& out, const std::string& name, const Family& f) const {
        if (!f.help.empty()) out += "# HELP " + name + " " + escape(f.help, false) + "\n";
        static const char* types[] = {"counter", "gauge", "histogram"};
        out += "# TYPE " + name + " " + types[static_cast<int>(f.kind)] + "\n";
        const auto found = series.find(name);
        if (found == series.end()) return;
        for (const auto& [labels, s] : found->second) {
            if (f.kind != Kind::histogram) {
                out += name + labels + " " + number(s.value) + "\n";
                continue;
            }
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b < f.buckets.size(); ++b) {
                cumulative += b < s.counts.size() ? s.counts[b] : 0;
                out += name + "_bucket" + with_le(labels, number(f.buckets[b])) + " " +
                       std::to_string(cumulative) + "\n";
            }
            out +=
                name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(s.count) + "\n";
            out += name + "_sum" + labels + " " + number(s.sum) + "\n";
            out += name + "_count" + labels + " " + std::to_string(s.count) + "\n";
        }
    }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::describe_counter(std::string name, std::string help) {
    std::lock_guard lock(impl_->mutex);
    impl_->family(name, Kind::counter) = Family{Kind::counter, std::move(help), {}};
}

void Metrics::describe_gauge(std::string name, std::string help) {
    std::lock_guard lock(impl_->mutex);
    impl_->family(name, Kind::gauge) = Family{Kind::gauge, std::move(help), {}};
}

void Metrics::describe_histogram(std::string name, std::string help, std::vector<double> buckets) {
    std::sort(buckets.begin(), buckets.end());
    std::lock_guard lock(impl_->mutex);
    impl_->family(name, Kind::histogram) =
        Family{Kind::histogram, std::move(help), std::move(buckets)};
}

void Metrics::increment(std::string_view name, const MetricLabels& labels, double by) {
    std::lock_guard lock(impl_->mutex);
    impl_->family(name, Kind::counter);
    impl_->at(name, labels).value += by;
}

void Metrics::set(std::string_view name, double value, const MetricLabels& labels) {
    std::lock_guard lock(impl_->mutex);
    impl_->family(name, Kind::gauge);
    impl_->at(name, labels).value = value;
}

void Metrics::observe(std::string_view name, double value, const MetricLabels& labels) {
    observe(name, std::span<const double>(&value, 1), labels);
}

void Metrics::observe(std::string_view name, std::span<const double> values,
                      const MetricLabels& labels) {
    std::lock_guard lock(impl_->mutex);
    const Family& f = impl_->family(name, Kind::histogram);
    Series& s = impl_->at(name, labels);
    if (s.counts.size() != f.buckets.size()) s.counts.resize(f.buckets.size());
    for (const double value : values) {
        const auto bucket = std::lower_bound(f.buckets.begin(), f.buckets.end(), value);
        if (bucket != f.buckets.end())
            ++s.counts[static_cast<std::size_t>(bucket - f.buckets.begin())];
        ++s.count;
        s.sum += value;
    }
}

double Metrics::value(std::string_view name, const MetricLabels& labels) const {
    std::lock_guard lock(impl_->mutex);
    const auto found = impl_->series.find(name);
    if (found == impl_->series.end()) return 0;
    const auto s = found->second.find(label_text(labels));
    return s == found->second.end() ? 0 : s->second.value;
}

std::string Metrics::render_prometheus() const {
    std::lock_guard lock(impl_->mutex);
    std::string out;
    for (const auto& [name, family] : impl_->families) impl_->render_family(out, name, family);
    return out;
}

void describe_standard_metrics(Metrics& metrics) {
    using namespace metric;
    metrics.describe_counter(kEnvelopesReceived, "Socket Mode messages received from Slack");
    metrics.describe_counter(kEnvelopesAcked, "Socket Mode envelopes acknowledged");
    metrics.describe_histogram(
        kAckLatency, "Seconds from reading an envelope to queueing its ack",
        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    metrics.describe_counter(kReconnects, "Socket Mode links lost and replaced");
    metrics.describe_gauge(kSlackConnected, "1 while a Socket Mode link is up");
    metrics.describe_counter(kWebApiCalls, "Slack Web API calls by method and HTTP status");
    metrics.describe_counter(kWebApiRateLimited, "Slack Web API answers of 429, by method");
    metrics.describe_gauge(kOutboundQueueDepth, "Replies waiting to be sent to Slack");
    metrics.describe_counter(kWebhookRequests, "HTTP intake requests by route and status");
    metrics.describe_counter(kAuditWrites, "Audit rows written, by outcome");
    metrics.describe_counter(kStoreErrors,
                             "Store operations that failed (database unreachable or refusing), "
                             "by where: webhook, envelope_journal, healthz");
    metrics.describe_gauge(kStoreUp, "1 while the store answered its last probe (/healthz)");
    metrics.describe_counter(kStoreConnectFailures,
                             "Failed attempts to connect to PostgreSQL since start");
    metrics.describe_gauge(kReplicaInfo, "Always 1; its replica label is this OPSBOT_REPLICA_ID");
    metrics.describe_gauge(kLeaseHeld,
                           "1 while this replica holds the lease of the singleton work named by "
                           "the work label (deploys, alerts, …), else 0");
    metrics.describe_gauge(kReplicasAlive,
                           "Replicas whose lease has not lapsed, as the database says at scrape");
}

}  // namespace opsbot
