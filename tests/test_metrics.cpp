// Metrics and their Prometheus text rendering, checked against the text
// exposition format (prometheus.io/docs/instrumenting/exposition_formats):
// label values escape \ " and line feed; HELP escapes \ and line feed only;
// histogram buckets are cumulative, in increasing order, end with le="+Inf"
// equal to _count; HELP and TYPE come before a family's samples.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"

using opsbot::MetricLabels;
using opsbot::Metrics;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The lines of one family (name, name_bucket, name_sum, name_count and its
// HELP/TYPE lines), in the order they were rendered.
std::vector<std::string> family_lines(const std::string& text, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(text)) {
        const bool sample =
            line.rfind(name, 0) == 0 && (line.size() == name.size() || line[name.size()] == ' ' ||
                                         line[name.size()] == '{' || line[name.size()] == '_');
        const bool meta = line.rfind("# HELP " + name + " ", 0) == 0 ||
                          line.rfind("# TYPE " + name + " ", 0) == 0;
        if (sample || meta) out.push_back(line);
    }
    return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++count;
    return count;
}

}  // namespace

TEST_CASE("metrics: counters with and without labels", "[metrics]") {
    Metrics metrics;
    metrics.increment("jobs_total");
    metrics.increment("jobs_total", {}, 2.5);
    metrics.increment("jobs_total", {{"result", "ok"}, {"env", "prod"}});
    // The same label set in another order is the same series.
    metrics.increment("jobs_total", {{"env", "prod"}, {"result", "ok"}}, 4);
    metrics.increment("jobs_total", {{"env", "stage"}, {"result", "ok"}});

    CHECK(metrics.value("jobs_total") == 3.5);
    CHECK(metrics.value("jobs_total", {{"env", "prod"}, {"result", "ok"}}) == 5);
    CHECK(metrics.value("jobs_total", {{"result", "ok"}, {"env", "prod"}}) == 5);
    CHECK(metrics.value("jobs_total", {{"env", "stage"}, {"result", "ok"}}) == 1);
    CHECK(metrics.value("jobs_total", {{"env", "dev"}, {"result", "ok"}}) == 0);
    CHECK(metrics.value("never_touched_total") == 0);

    const auto text = metrics.render_prometheus();
    // Without describe_counter there is no HELP, but still a TYPE before the samples.
    CHECK(family_lines(text, "jobs_total") ==
          std::vector<std::string>{"# TYPE jobs_total counter", "jobs_total 3.5",
                                   R"(jobs_total{env="prod",result="ok"} 5)",
                                   R"(jobs_total{env="stage",result="ok"} 1)"});
    CHECK(count_of(text, "# HELP") == 0);
}

TEST_CASE("metrics: the whole exposition of a small registry, byte for byte", "[metrics]") {
    Metrics metrics;
    metrics.describe_gauge("b_level", "Current level");
    metrics.describe_counter("a_done_total", "Things done");
    metrics.increment("a_done_total", {{"kind", "x"}}, 2);
    metrics.set("b_level", 7);
    metrics.set("c_untouched_by_describe", 0.5);

    // Families sorted by name, HELP then TYPE then samples, and the last line
    // ends with a line feed.
    CHECK(metrics.render_prometheus() ==
          "# HELP a_done_total Things done\n"
          "# TYPE a_done_total counter\n"
          "a_done_total{kind=\"x\"} 2\n"
          "# HELP b_level Current level\n"
          "# TYPE b_level gauge\n"
          "b_level 7\n"
          "# TYPE c_untouched_by_describe gauge\n"
          "c_untouched_by_describe 0.5\n");
}

TEST_CASE("metrics: label values escape backslash, double quote and line feed", "[metrics]") {
    Metrics metrics;
    const std::string path = "C:\\DIR\\FILE.TXT";
    const std::string error = "Cannot find file:\n\"FILE.TXT\"";
    metrics.increment("file_errors_total", {{"path", path}, {"error", error}});
    metrics.set("plain_gauge", 1, {{"text", "tab\tand ünïcode stay as they are"}});

    const auto text = metrics.render_prometheus();
    // The example from the Prometheus documentation, escaped the same way.
    CHECK_THAT(text, Catch::Contains(R"(file_errors_total{error="Cannot find file:\n\"FILE.TXT\"",)"
                                     R"(path="C:\\DIR\\FILE.TXT"} 1)"
                                     "\n"));
    CHECK_THAT(text,
               Catch::Contains("plain_gauge{text=\"tab\tand ünïcode stay as they are\"} 1\n"));
    // The raw line feed never reaches the output: every line is HELP, TYPE or a sample.
    for (const auto& line : lines_of(text)) {
        INFO(line);
        CHECK((line.rfind("# TYPE ", 0) == 0 || line.rfind("file_errors_total{", 0) == 0 ||
               line.rfind("plain_gauge{", 0) == 0));
    }
    // value() takes the label values unescaped.
    CHECK(metrics.value("file_errors_total", {{"path", path}, {"error", error}}) == 1);
}

TEST_CASE("metrics: HELP text escapes backslash and line feed, not quotes", "[metrics]") {
    Metrics metrics;
    metrics.describe_counter("odd_help_total", "first line\nsecond \"quoted\" C:\\temp");
    metrics.increment("odd_help_total");

    CHECK(family_lines(metrics.render_prometheus(), "odd_help_total") ==
          std::vector<std::string>{R"(# HELP odd_help_total first line\nsecond "quoted" C:\\temp)",
                                   "# TYPE odd_help_total counter", "odd_help_total 1"});
}

TEST_CASE("metrics: gauges are set, not added, and render special values", "[metrics]") {
    Metrics metrics;
    metrics.describe_gauge("queue_depth", "Items waiting");
    metrics.set("queue_depth", 12);
    metrics.set("queue_depth", 3);
    metrics.set("queue_depth", -1.5, {{"queue", "slack"}});
    metrics.set("positive_inf", std::numeric_limits<double>::infinity());
    metrics.set("negative_inf", -std::numeric_limits<double>::infinity());
    metrics.set("not_a_number", std::numeric_limits<double>::quiet_NaN());
    // 0/0 on x86 is a NaN with the sign bit set, which printf writes "-nan".
    metrics.set("negative_nan", std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0));

    CHECK(metrics.value("queue_depth") == 3);
    CHECK(metrics.value("queue_depth", {{"queue", "slack"}}) == -1.5);

    const auto text = metrics.render_prometheus();
    CHECK(family_lines(text, "queue_depth") ==
          std::vector<std::string>{"# HELP queue_depth Items waiting", "# TYPE queue_depth gauge",
                                   "queue_depth 3", R"(queue_depth{queue="slack"} -1.5)"});
    // Values are Go ParseFloat syntax: +Inf, -Inf and NaN (an unsigned NaN only).
    CHECK_THAT(text, Catch::Contains("\npositive_inf +Inf\n"));
    CHECK_THAT(text, Catch::Contains("\nnegative_inf -Inf\n"));
    CHECK_THAT(text, Catch::Contains("\nnot_a_number NaN\n"));
    CHECK_THAT(text, Catch::Contains("\nnegative_nan NaN\n"));
}

TEST_CASE("metrics: histogram buckets are cumulative, sorted, with +Inf, _sum and _count",
          "[metrics]") {
    Metrics metrics;
    // Bounds given out of order; observations exactly representable so the sum is exact.
    metrics.describe_histogram("latency_seconds", "Time taken", {1, 0.25, 0.5});
    for (double v : {0.125, 0.25, 0.375, 0.75, 4.0}) metrics.observe("latency_seconds", v);
    metrics.observe("latency_seconds", 0.5, {{"route", "/hooks/x"}});

    CHECK(family_lines(metrics.render_prometheus(), "latency_seconds") ==
          std::vector<std::string>{
              "# HELP latency_seconds Time taken",
              "# TYPE latency_seconds histogram",
              // An observation equal to a bound counts in that bucket (le = less or equal).
              R"(latency_seconds_bucket{le="0.25"} 2)",
              R"(latency_seconds_bucket{le="0.5"} 3)",
              R"(latency_seconds_bucket{le="1"} 4)",
              R"(latency_seconds_bucket{le="+Inf"} 5)",
              "latency_seconds_sum 5.5",
              "latency_seconds_count 5",
              R"(latency_seconds_bucket{route="/hooks/x",le="0.25"} 0)",
              R"(latency_seconds_bucket{route="/hooks/x",le="0.5"} 1)",
              R"(latency_seconds_bucket{route="/hooks/x",le="1"} 1)",
              R"(latency_seconds_bucket{route="/hooks/x",le="+Inf"} 1)",
              R"(latency_seconds_sum{route="/hooks/x"} 0.5)",
              R"(latency_seconds_count{route="/hooks/x"} 1)",
          });
    // value() is for counters and gauges.
    CHECK(metrics.value("latency_seconds") == 0);
}

TEST_CASE("metrics: a histogram never described still has +Inf, _sum and _count", "[metrics]") {
    Metrics metrics;
    metrics.observe("adhoc_seconds", 3);
    metrics.observe("adhoc_seconds", 1.5);
    CHECK(family_lines(metrics.render_prometheus(), "adhoc_seconds") ==
          std::vector<std::string>{"# TYPE adhoc_seconds histogram",
                                   R"(adhoc_seconds_bucket{le="+Inf"} 2)", "adhoc_seconds_sum 4.5",
                                   "adhoc_seconds_count 2"});
}

TEST_CASE("metrics: described metrics without samples still get # HELP and # TYPE", "[metrics]") {
    Metrics metrics;
    metrics.describe_counter("idle_total", "Never incremented");
    metrics.describe_gauge("idle_gauge", "Never set");
    metrics.describe_histogram("idle_seconds", "Never observed", {0.5, 1});
    CHECK(metrics.render_prometheus() ==
          "# HELP idle_gauge Never set\n"
          "# TYPE idle_gauge gauge\n"
          "# HELP idle_seconds Never observed\n"
          "# TYPE idle_seconds histogram\n"
          "# HELP idle_total Never incremented\n"
          "# TYPE idle_total counter\n");
}

TEST_CASE("metrics: increments from several threads add up exactly", "[metrics]") {
    Metrics metrics;
    metrics.describe_histogram("work_seconds", "Work", {0.5});
    constexpr int kThreads = 8;
    constexpr int kPerThread = 20'000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&metrics, t] {
            const MetricLabels mine{{"thread", std::to_string(t)}};
            for (int i = 0; i < kPerThread; ++i) {
                metrics.increment("shared_total");
                metrics.increment("shared_total", {{"kind", "labelled"}}, 2);
                metrics.increment("per_thread_total", mine);
                metrics.observe("work_seconds", (i % 2) ? 0.25 : 1.0);
                if (i % 1000 == 0) (void)metrics.render_prometheus();  // readers race too
            }
        });
    }
    for (auto& thread : threads) thread.join();

    CHECK(metrics.value("shared_total") == kThreads * kPerThread);
    CHECK(metrics.value("shared_total", {{"kind", "labelled"}}) == 2.0 * kThreads * kPerThread);
    for (int t = 0; t < kThreads; ++t)
        CHECK(metrics.value("per_thread_total", {{"thread", std::to_string(t)}}) == kPerThread);
    const auto text = metrics.render_prometheus();
    CHECK_THAT(text, Catch::Contains("work_seconds_bucket{le=\"0.5\"} " +
                                     std::to_string(kThreads * kPerThread / 2) + "\n"));
    CHECK_THAT(text, Catch::Contains("work_seconds_count " + std::to_string(kThreads * kPerThread) +
                                     "\n"));
}

TEST_CASE("metrics: describe_standard_metrics declares every name in opsbot::metric", "[metrics]") {
    using namespace opsbot::metric;
    struct Expected {
        std::string name;
        std::string type;
    };
    const std::vector<Expected> expected{
        {kEnvelopesReceived, "counter"},
        {kEnvelopesAcked, "counter"},
        {kAckLatency, "histogram"},
        {kReconnects, "counter"},
        {kSlackConnected, "gauge"},
        {kWebApiCalls, "counter"},
        {kWebApiRateLimited, "counter"},
        {kOutboundQueueDepth, "gauge"},
        {kWebhookRequests, "counter"},
        {kAuditWrites, "counter"},
        {kStoreErrors, "counter"},
        {kStoreUp, "gauge"},
        {kStoreConnectFailures, "counter"},
        {kReplicaInfo, "gauge"},
        {kLeaseHeld, "gauge"},
        {kReplicasAlive, "gauge"},
    };

    // The list above is every constant in the header: a new one must be added
    // here and to describe_standard_metrics.
    std::ifstream header(std::string(OPSBOT_SOURCE_DIR) + "/core/metrics.hpp");
    REQUIRE(header);
    const std::string source((std::istreambuf_iterator<char>(header)),
                             std::istreambuf_iterator<char>());
    const std::regex constant(R"re(inline constexpr const char\* k\w+ = "([^"]+)")re");
    std::set<std::string> declared;
    for (auto it = std::sregex_iterator(source.begin(), source.end(), constant);
         it != std::sregex_iterator(); ++it)
        declared.insert((*it)[1]);
    std::set<std::string> listed;
    for (const auto& e : expected) listed.insert(e.name);
    CHECK(declared == listed);

    Metrics metrics;
    opsbot::describe_standard_metrics(metrics);
    metrics.observe(kAckLatency, 0.003);
    const auto text = metrics.render_prometheus();
    for (const auto& e : expected) {
        INFO(e.name);
        const auto lines = family_lines(text, e.name);
        REQUIRE(lines.size() >= 2);
        CHECK(lines[0].rfind("# HELP " + e.name + " ", 0) == 0);
        CHECK(lines[0].size() > ("# HELP " + e.name + " ").size());
        CHECK(lines[1] == "# TYPE " + e.name + " " + e.type);
        // Naming convention: counters, and only counters, end in _total.
        const bool total = e.name.size() > 6 && e.name.substr(e.name.size() - 6) == "_total";
        CHECK(total == (e.type == "counter"));
    }
    CHECK(count_of(text, "# TYPE ") == expected.size());
    CHECK(count_of(text, "# HELP ") == expected.size());

    // The ack latency buckets are in increasing order and cumulative.
    std::vector<double> bounds;
    std::vector<long> counts;
    const std::regex bucket(std::string(kAckLatency) + R"re(_bucket\{le="([^"]+)"\} (\d+))re");
    for (const auto& line : lines_of(text)) {
        std::smatch m;
        if (!std::regex_match(line, m, bucket)) continue;
        bounds.push_back(m[1] == "+Inf" ? std::numeric_limits<double>::infinity()
                                        : std::stod(m[1]));
        counts.push_back(std::stol(m[2]));
    }
    REQUIRE(bounds.size() >= 2);
    CHECK(std::is_sorted(bounds.begin(), bounds.end()));
    CHECK(std::isinf(bounds.back()));
    CHECK(std::is_sorted(counts.begin(), counts.end()));
    CHECK(counts.back() == 1);
    CHECK(counts.front() == 0);  // 0.0001 < 0.003
}
