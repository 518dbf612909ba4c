#pragma once
// Runs a real program with given arguments, environment and standard input,
// and collects what it printed and how it exited.

#include <map>
#include <string>
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
};

ProcessResult run_process(const ProcessSpec& spec);

// A program left running while the test talks to it; its standard error is
// collected as it comes, so a test can wait for a log line.
class BackgroundProcess {
public:
    explicit BackgroundProcess(const ProcessSpec& spec);
    ~BackgroundProcess();  // SIGKILL if still running
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    // Waits for a line of standard error containing text (its nth
    // occurrence); returns the line.
    std::string wait_for_log(const std::string& text, int timeout_seconds = 10, int occurrence = 1);
    // What was read of standard error so far: only the waits above read more.
    std::string log() const;
    bool running();
    int pid() const { return pid_; }
    void signal(int signal_number);
    // Waits for the exit and returns its code (128 + signal when killed).
    int wait(int timeout_seconds = 20);

private:
    void pump(int timeout_ms);

    int pid_ = -1;
    int err_fd_ = -1;
    int exit_code_ = -1;
    bool exited_ = false;
    std::string log_;
};

}  // namespace opsbot::test
