#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace opsbot::test {
namespace {

void set_nonblocking(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// What execve needs, built before fork(): the child of a multithreaded
// process may only make async-signal-safe calls until it execs, and an
// allocation there can wait forever on a lock another thread held at the
// fork (a child that never starts and prints nothing).
class ExecImage {
public:
    explicit ExecImage(const ProcessSpec& spec) : spec_(spec) {
        for (const auto& [key, value] : spec.env) env_strings_.push_back(key + "=" + value);
        argv_.push_back(const_cast<char*>(spec.program.c_str()));
        for (const auto& a : spec.args) argv_.push_back(const_cast<char*>(a.c_str()));
        argv_.push_back(nullptr);
        for (auto& e : env_strings_) envp_.push_back(e.data());
        envp_.push_back(nullptr);
    }
    ExecImage(const ExecImage&) = delete;  // argv_ and envp_ point into it
    ExecImage& operator=(const ExecImage&) = delete;

    // In the child: async-signal-safe calls only.
    [[noreturn]] void exec(int in_fd, int out_fd, int err_fd) const {
        dup2(in_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (!spec_.working_dir.empty() && chdir(spec_.working_dir.c_str()) != 0) _exit(126);
        execve(spec_.program.c_str(), argv_.data(), envp_.data());
        _exit(127);
    }

private:
    const ProcessSpec& spec_;
    std::vector<std::string> env_strings_;
    std::vector<char*> argv_, envp_;
};

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    // Close-on-exec: only the dup2 copies reach the program, so a daemon it
    // starts (pg_ctl's server) cannot hold the pipes open.
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
        pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    const ExecImage image(spec);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        image.exec(in_pipe[0], out_pipe[1], err_pipe[1]);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    signal(SIGPIPE, SIG_IGN);
    set_nonblocking(in_pipe[1]);
    set_nonblocking(out_pipe[0]);
    set_nonblocking(err_pipe[0]);

    ProcessResult result;
    std::size_t written = 0;
    int in_fd = in_pipe[1];
    if (spec.input.empty()) {
        close(in_fd);
        in_fd = -1;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(spec.timeout_seconds);
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            break;
        }
        pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        poll(fds, in_fd >= 0 ? 3 : 2, 100);
        char buffer[4096];
        for (int i = 0; i < 2; ++i) {
            bool& open = i == 0 ? out_open : err_open;
            if (!open || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0)
                (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
            else if (n == 0)
                open = false;
        }
        if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const ssize_t n =
                write(in_fd, spec.input.data() + written, spec.input.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            if (n < 0 || written == spec.input.size()) {
                close(in_fd);
                in_fd = -1;
            }
        }
    }
    if (in_fd >= 0) close(in_fd);
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

BackgroundProcess::BackgroundProcess(const ProcessSpec& spec) {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const ExecImage image(spec);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // Its own session, as under Docker: with the kernel's autogroups the
        // CPU is shared between sessions first, so opsbot's niced workers
        // compete with its own ack thread, not with every test ctest runs.
        setsid();
        const int null_fd = open("/dev/null", O_RDWR);
        close(err_pipe[0]);
        image.exec(null_fd, null_fd, err_pipe[1]);
    }
    close(err_pipe[1]);
    err_fd_ = err_pipe[0];
    set_nonblocking(err_fd_);
    // Without drain_log, standard error is read only while a test waits for a
    // line: in between,
    // a storm's debug lines must fit in the pipe, or opsbot blocks in its
    // logger. Linux's default 64 KiB held 300 envelopes' lines with a few
    // bytes to spare; 1 MiB (the unprivileged limit) holds thousands.
    fcntl(err_fd_, F_SETPIPE_SZ, 1 << 20);
    if (!spec.drain_log) return;
    draining_ = true;
    drain_ = std::thread([this] {
        while (draining_ && pump(50)) {
        }
        log_ended_ = true;
    });
}

BackgroundProcess::~BackgroundProcess() {
    if (!exited_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    draining_ = false;
    if (drain_.joinable()) drain_.join();
    if (err_fd_ >= 0) close(err_fd_);
}

bool BackgroundProcess::pump(int timeout_ms) {
    pollfd fd{err_fd_, POLLIN, 0};
    if (poll(&fd, 1, timeout_ms) <= 0) return true;
    char buffer[4096];
    ssize_t n;
    std::lock_guard lock(log_mutex_);
    while ((n = read(err_fd_, buffer, sizeof buffer)) > 0)
        log_.append(buffer, static_cast<std::size_t>(n));
    return n != 0;
}

void BackgroundProcess::read_more(int timeout_ms) {
    if (drain_.joinable())
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    else
        pump(timeout_ms);
}

std::string BackgroundProcess::wait_for_log(const std::string& text, int timeout_seconds,
                                            int occurrence) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    const auto nth = [&](const std::string& log) {
        auto found = log.find(text);
        for (int seen = 1; seen < occurrence && found != std::string::npos; ++seen)
            found = log.find(text, found + text.size());
        return found;
    };
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string so_far = log();
        if (const auto found = nth(so_far); found != std::string::npos) {
            const auto start = so_far.rfind('\n', found);
            const auto end = so_far.find('\n', found);
            return so_far.substr(start == std::string::npos ? 0 : start + 1,
                                 end == std::string::npos ? std::string::npos : end - start - 1);
        }
        if (!running()) break;
        read_more(50);
    }
    read_more(0);
    const std::string state =
        running() ? "still running" : "exited with " + std::to_string(exit_code_);
    throw std::runtime_error("no log line with '" + text + "' in time (" + state +
                             "); log so far:\n" + log());
}

std::string BackgroundProcess::log() const {
    std::lock_guard lock(log_mutex_);
    return log_;
}

bool BackgroundProcess::running() {
    if (exited_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return !exited_;
}

void BackgroundProcess::signal(int signal_number) {
    if (running()) kill(pid_, signal_number);
}

int BackgroundProcess::wait(int timeout_seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (running() && std::chrono::steady_clock::now() < deadline) read_more(20);
    if (running()) {
        kill(pid_, SIGKILL);
        while (running()) read_more(20);
    }
    read_more(0);
    // The last lines, unless a child of the program holds the pipe.
    for (int i = 0; i < 50 && drain_.joinable() && !log_ended_; ++i) read_more(20);
    return exit_code_;
}

}  // namespace opsbot::test
