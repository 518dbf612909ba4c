#pragma once
// The opsbot command line: the program's subcommands and their exit codes
// (0 ok, 1 a failure at run time, 2 bad usage or invalid configuration).

#include <iosfwd>
#include <string>
#include <vector>

#include "bot/settings.hpp"

namespace opsbot {

struct CliStreams {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool interactive = false;  // stdin is a terminal
};

int run_cli(const std::vector<std::string>& args, const EnvLookup& env, CliStreams streams);

}  // namespace opsbot
