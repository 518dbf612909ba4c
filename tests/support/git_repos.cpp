#include "tests/support/git_repos.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace opsbot::test {
namespace {

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
        text.pop_back();
    return text;
}

std::string host_path() {
    const char* path = std::getenv("PATH");
    return path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// "ssh-ed25519 AAAA…" from a .pub file (its comment left out).
std::string public_key(const std::string& private_key) {
    std::istringstream fields(read_file(private_key + ".pub"));
    std::string type, key;
    fields >> type >> key;
    return type + " " + key;
}

void keygen(const std::string& path) {
    const auto made =
        run_process({"/usr/bin/ssh-keygen",
                     {"-q", "-t", "ed25519", "-N", "", "-C", "opsbot-test", "-f", path},
                     {{"PATH", host_path()}},
                     "",
                     "",
                     30});
    if (made.exit_code != 0) throw std::runtime_error("ssh-keygen failed: " + made.err);
}

}  // namespace

std::string run_git(const std::vector<std::string>& args, const std::string& home) {
    const std::map<std::string, std::string> env{
        {"PATH", host_path()},
        {"HOME", home},
        {"LC_ALL", "C"},
        {"GIT_CONFIG_NOSYSTEM", "1"},
        {"GIT_CONFIG_GLOBAL", "/dev/null"},
        {"GIT_AUTHOR_NAME", "Ada Dev"},
        {"GIT_AUTHOR_EMAIL", "ada@example.com"},
        {"GIT_COMMITTER_NAME", "Ada Dev"},
        {"GIT_COMMITTER_EMAIL", "ada@example.com"},
    };
    const auto ran = run_process({"/usr/bin/git", args, env, "", "", 60});
    if (ran.exit_code != 0) {
        std::string line = "git";
        for (const auto& arg : args) line += " " + arg;
        throw std::runtime_error(line + " failed (" + std::to_string(ran.exit_code) +
                                 "): " + ran.err);
    }
    return trimmed(ran.out);
}

GitRepos::GitRepos() {
    run_git({"init", "--bare", "--quiet", "--initial-branch=master", origin()}, dir_.path());
    run_git({"init", "--quiet", "--initial-branch=master", dir_.file("work")}, dir_.path());
    work({"remote", "add", "origin", origin()});
    commit("README.md", "hello\n", "Initial commit");
    push("master");
    work({"checkout", "--quiet", "-b", "develop"});
    push("develop");
}

std::string GitRepos::work(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"-C", dir_.file("work")};
    all.insert(all.end(), args.begin(), args.end());
    return run_git(all, dir_.path());
}

std::string GitRepos::in_origin(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--git-dir=" + origin()};
    all.insert(all.end(), args.begin(), args.end());
    return run_git(all, dir_.path());
}

std::string GitRepos::commit(const std::string& file, const std::string& text,
                             const std::string& subject) const {
    dir_.write("work/" + file, text);
    work({"add", file});
    work({"commit", "--quiet", "-m", subject});
    return work({"rev-parse", "HEAD"});
}

void GitRepos::checkout(const std::string& branch) const {
    work({"checkout", "--quiet", branch});
}

void GitRepos::push(const std::string& branch) const {
    work({"push", "--quiet", "origin", branch});
}

std::string GitRepos::origin_sha(const std::string& branch) const {
    return in_origin({"rev-parse", "refs/heads/" + branch});
}

Sshd::Sshd(const TempDir& dir) {
    if (geteuid() != 0) {
        why_not = "not root: this sshd logs in as root (CI runs the tests as root)";
        return;
    }
    if (access("/usr/sbin/sshd", X_OK) != 0) {
        why_not = "no /usr/sbin/sshd (apt-get install openssh-server)";
        return;
    }
    std::filesystem::create_directories("/run/sshd");  // its privilege separation folder
    const std::string host_key = dir.file("ssh_host_key");
    deploy_key = dir.file("deploy_key");
    stranger_key = dir.file("stranger_key");
    for (const auto& key : {host_key, deploy_key, stranger_key, dir.file("other_host_key")})
        keygen(key);
    host_public_key = public_key(host_key);
    other_public_key = public_key(dir.file("other_host_key"));
    dir.write("authorized_keys", public_key(deploy_key) + "\n");
    const std::string config = dir.write("sshd_config",
                                         "ListenAddress 127.0.0.1\n"
                                         "HostKey " +
                                             host_key +
                                             "\n"
                                             "AuthorizedKeysFile " +
                                             dir.file("authorized_keys") +
                                             "\n"
                                             "StrictModes no\n"
                                             "PidFile none\n"
                                             "UsePAM no\n"
                                             "PermitRootLogin prohibit-password\n"
                                             "PasswordAuthentication no\n"
                                             "KbdInteractiveAuthentication no\n"
                                             "AllowUsers root\n");
    // sshd cannot take port 0 and say which it got: a random port, and
    // another when that one is taken.
    std::mt19937 random{std::random_device{}()};
    std::string log;
    for (int attempt = 0; attempt < 10; ++attempt) {
        port = std::uniform_int_distribution<int>(20000, 59999)(random);
        process_ = std::make_unique<BackgroundProcess>(
            ProcessSpec{"/usr/sbin/sshd",
                        {"-D", "-e", "-f", config, "-p", std::to_string(port)},
                        {{"PATH", host_path()}},
                        "",
                        "",
                        60});
        try {
            process_->wait_for_log("Server listening on 127.0.0.1 port", 10);
            return;
        } catch (const std::runtime_error&) {
            if (process_->running()) throw;
            log = process_->log();
        }
    }
    throw std::runtime_error("sshd did not start: " + log);
}

Sshd::~Sshd() = default;

std::string Sshd::url(const std::string& path) const {
    return "ssh://root@127.0.0.1:" + std::to_string(port) + path;
}

}  // namespace opsbot::test
