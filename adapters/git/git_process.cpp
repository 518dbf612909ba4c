#include "adapters/git/git_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

namespace opsbot::git {
namespace {

constexpr std::size_t kMaxErrBytes = 256 * 1024;  // git's stderr is words, not data

[[noreturn]] void throw_errno(int error, const char* what) {
    throw std::system_error(error, std::generic_category(), what);
}

// The program's full path from the PATH of the environment it will get (not
// opsbot's own), so that what runs is what that environment names.
std::optional<std::string> find_program(const ProcessRequest& request) {
    if (request.program.find('/') != std::string::npos) return request.program;
    std::string path = "/usr/bin:/bin";
    for (const auto& entry : request.environment)
        if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + request.program;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() {
        int fds[2];
        // Close-on-exec, so that no other child started meanwhile keeps an end open.
        if (pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read() {
        if (read >= 0) ::close(read);
        read = -1;
    }
    void close_write() {
        if (write >= 0) ::close(write);
        write = -1;
    }
};

// posix_spawn's attributes and file actions, released however we leave.
class SpawnSetup {
public:
    SpawnSetup(const Pipe& out, const Pipe& err) {
        posix_spawnattr_init(&attributes_);
        posix_spawn_file_actions_init(&actions_);
        // Its own process group, so that a timeout kills ssh along with git;
        // default SIGPIPE and an empty mask whatever opsbot set for itself.
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setflags(
            &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attributes_, 0);
        posix_spawnattr_setsigmask(&attributes_, &none);
        posix_spawnattr_setsigdefault(&attributes_, &defaults);
        posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions_, out.write, 1);
        posix_spawn_file_actions_adddup2(&actions_, err.write, 2);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attributes_);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    pid_t spawn(const std::string& path, const ProcessRequest& request) const {
        std::vector<char*> argv{const_cast<char*>(request.program.c_str())};
        for (const auto& arg : request.args) argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (const auto& entry : request.environment)
            envp.push_back(const_cast<char*>(entry.c_str()));
        envp.push_back(nullptr);
        pid_t pid = -1;
        const int error =
            posix_spawn(&pid, path.c_str(), &actions_, &attributes_, argv.data(), envp.data());
        if (error != 0) throw_errno(error, "posix_spawn");
        return pid;
    }

private:
    posix_spawnattr_t attributes_;
    posix_spawn_file_actions_t actions_;
};

// Reads both pipes until they close or the deadline passes; false on timeout.
bool collect(Pipe& out, Pipe& err, ProcessOutcome& outcome,
             std::chrono::steady_clock::time_point deadline) {
    while (out.read >= 0 || err.read >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
        if (poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000))) < 0 &&
            errno != EINTR)
            throw_errno(errno, "poll");
        char buffer[8192];
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                (i == 0 ? out : err).close_read();
                continue;
            }
            std::string& sink = i == 0 ? outcome.out : outcome.err;
            if (i == 0 || sink.size() < kMaxErrBytes)
                sink.append(buffer, static_cast<std::size_t>(n));
        }
    }
    return true;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno(errno, "waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

ProcessOutcome run_process(const ProcessRequest& request) {
    ProcessOutcome outcome;
    const auto path = find_program(request);
    if (!path) {
        outcome.end = ProcessOutcome::End::not_found;
        return outcome;
    }
    Pipe out, err;
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    const pid_t pid = SpawnSetup(out, err).spawn(*path, request);
    out.close_write();
    err.close_write();
    if (!collect(out, err, outcome, deadline)) {
        // Before the wait: the group's id is the program's pid, which is not
        // reused until the program is reaped.
        kill(-pid, SIGKILL);
        outcome.end = ProcessOutcome::End::timed_out;
    }
    outcome.exit_code = wait_for(pid);
    return outcome;
}

std::string shell_quote(std::string_view word) {
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789@%+=:,./_-") == std::string_view::npos;
    if (plain) return std::string(word);
    // A line break inside quotes would split a command over lines: $'…'.
    if (word.find_first_of("\n\r\t") != std::string_view::npos) {
        std::string quoted = "$'";
        for (const char c : word) {
            if (c == '\n')
                quoted += "\\n";
            else if (c == '\r')
                quoted += "\\r";
            else if (c == '\t')
                quoted += "\\t";
            else if (c == '\\' || c == '\'')
                quoted += std::string("\\") + c;
            else
                quoted += c;
        }
        return quoted + "'";
    }
    std::string quoted = "'";
    for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

}  // namespace opsbot::git
