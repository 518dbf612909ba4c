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

}  // namespace opsbot::test
