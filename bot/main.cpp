// opsbot: the program. Everything it does starts in bot/cli.cpp.

#include <unistd.h>

#include <iostream>

#include "bot/cli.hpp"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    return opsbot::run_cli(args, opsbot::process_environment(),
                           {std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) == 1});
}
