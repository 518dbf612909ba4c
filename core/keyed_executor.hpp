#pragma once
// Runs jobs on a few worker threads so that jobs with the same key (a Slack
// conversation, a channel) run one at a time and in order, while different
// keys run concurrently: one slow conversation never holds up the others.
// Optionally paces each key (a token bucket), which is how chat.postMessage
// stays near one message per second per channel. Bounded: post() refuses
// when full instead of blocking the caller.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace opsbot {

struct KeyedExecutorOptions {
    std::string name = "executor";  // for logs and thread names
    int workers = 4;
    std::size_t capacity = 10'000;  // queued jobs, all keys together
    double paced_per_second = 1.0;  // sustained rate for paced jobs, per key
    int paced_burst = 3;            // paced jobs a key may send at once
    // Niceness of the workers (Linux, per thread): above 0 lets a more urgent
    // thread, the one that acknowledges Slack envelopes, win the CPU.
    int nice = 0;
};

class KeyedExecutor {
public:
    explicit KeyedExecutor(KeyedExecutorOptions options);
    ~KeyedExecutor();  // stop()
    KeyedExecutor(const KeyedExecutor&) = delete;
    KeyedExecutor& operator=(const KeyedExecutor&) = delete;

    // False when the queue is full (the job is not taken). Exceptions thrown
    // by a job are logged and end that job only.
    bool post(const std::string& key, std::function<void()> job, bool paced = false);

    std::size_t depth() const;  // queued and running jobs
    // Waits until every job taken so far has run, or the timeout passes.
    bool drain(std::chrono::milliseconds timeout);
    // Stops taking jobs; runs nothing more; joins the workers.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace opsbot
