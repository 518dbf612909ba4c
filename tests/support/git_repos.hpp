#pragma once
// Real repositories for the git tests: a bare origin in a temp folder and a
// work clone that makes develop and master histories with the git program;
// and a real sshd on 127.0.0.1 that serves them over SSH.

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace opsbot::test {

// /usr/bin/git with a clean environment (no user or system configuration,
// author "Ada Dev"); throws with git's words when it fails. Returns its
// standard output, trimmed.
std::string run_git(const std::vector<std::string>& args, const std::string& home);

class GitRepos {
public:
    // origin.git with master and develop on one initial commit, and the work
    // clone on develop.
    GitRepos();

    const TempDir& dir() const { return dir_; }
    std::string origin() const { return dir_.file("origin.git"); }
    std::string mirrors() const { return dir_.file("mirrors"); }

    std::string work(const std::vector<std::string>& args) const;       // git in the work clone
    std::string in_origin(const std::vector<std::string>& args) const;  // git in origin.git
    // Writes the file in the work clone and commits it on the current branch;
    // returns the new SHA.
    std::string commit(const std::string& file, const std::string& text,
                       const std::string& subject) const;
    void checkout(const std::string& branch) const;
    void push(const std::string& branch) const;
    std::string origin_sha(const std::string& branch) const;

private:
    TempDir dir_;
};

// sshd -D -e on 127.0.0.1 with a generated host key, logging in root with a
// generated deploy key. Needs root and /usr/sbin/sshd: without them
// why_not says why and nothing runs.
class Sshd {
public:
    explicit Sshd(const TempDir& dir);
    ~Sshd();
    Sshd(const Sshd&) = delete;
    Sshd& operator=(const Sshd&) = delete;

    std::string why_not;  // empty when it runs
    int port = 0;
    std::string deploy_key;        // private key whose public half the server accepts
    std::string stranger_key;      // private key the server does not know
    std::string host_public_key;   // "ssh-ed25519 AAAA…"
    std::string other_public_key;  // of no host here
    std::string url(const std::string& path) const;  // ssh://root@127.0.0.1:<port><path>

private:
    std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace opsbot::test
