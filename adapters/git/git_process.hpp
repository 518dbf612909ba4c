#pragma once
// Runs one program (git, and through it ssh) without a shell: arguments as
// given, the environment given and nothing inherited, standard input from
// /dev/null, standard output and error collected, and a deadline after which
// the program's whole process group is killed (git's ssh and helpers too).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace opsbot::git {

struct ProcessRequest {
    std::string program;                   // a name looked up in the environment's PATH
    std::vector<std::string> args;         // without the program's name
    std::vector<std::string> environment;  // "NAME=value": the whole environment
    std::chrono::milliseconds timeout{120'000};
};

struct ProcessOutcome {
    enum class End { exited, timed_out, not_found };
    End end = End::exited;
    int exit_code = -1;  // when exited: the status, or 128 + the signal that ended it
    std::string out;
    std::string err;
};

// Throws std::system_error only when the system cannot make pipes or start a
// process at all; a program that is not there is End::not_found.
ProcessOutcome run_process(const ProcessRequest& request);

// A word as a shell reads it back: as it is when it is plainly safe, else in
// single quotes ('it'\''s'), or as $'…' when it holds a line break or a tab,
// so that a command stays on one line.
std::string shell_quote(std::string_view word);

}  // namespace opsbot::git
