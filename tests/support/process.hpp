#pragma once
// Runs a real program with given arguments, environment and standard input,
// and collects what it printed and how it exited.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace opsbot::test {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by one
    std::string out;
    std::string err;
};

struct ProcessSpec {
    std::string program;
    std::vector<std::string> args;
    // Replaces the environment entirely, so tests never inherit real tokens.
    std::map<std::string, std::string> env;
    std::string input;
    std::string working_dir;
    int timeout_seconds = 60;
    // BackgroundProcess: read standard error as it comes, on a thread of its
    // own, so that a chatty program never blocks on a full pipe while the
    // test is busy elsewhere.
    bool drain_log = false;
};

ProcessResult run_process(const ProcessSpec& spec);

// A program left running while the test talks to it; its standard error is
// collected as it comes, so a test can wait for a log line. Its log may be
// read from any thread; the rest belongs to one.
class BackgroundProcess {
public:
    explicit BackgroundProcess(const ProcessSpec& spec);
    ~BackgroundProcess();  // SIGKILL if still running
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    // Waits for a line of standard error containing text (its nth
    // occurrence); returns the line.
    std::string wait_for_log(const std::string& text, int timeout_seconds = 10, int occurrence = 1);
    // What was read of standard error so far: only the waits above read
    // more, or the drain thread (ProcessSpec::drain_log).
    std::string log() const;
    bool running();
    int pid() const { return pid_; }
    void signal(int signal_number);
    // Waits for the exit and returns its code (128 + signal when killed).
    int wait(int timeout_seconds = 20);

private:
    // Reads what standard error has; false at its end.
    bool pump(int timeout_ms);
    void read_more(int timeout_ms);  // pump, or wait for the drain thread

    int pid_ = -1;
    int err_fd_ = -1;
    int exit_code_ = -1;
    bool exited_ = false;
    mutable std::mutex log_mutex_;  // log_ and reads of err_fd_
    std::string log_;
    std::atomic<bool> draining_{false};
    std::atomic<bool> log_ended_{false};
    std::thread drain_;
};

}  // namespace opsbot::test
