// opsbot_fake_slack: the tests' fake Slack as a program, for checks that run
// opsbot somewhere a test cannot reach into (scripts/check-docker.sh runs it
// in a container on the host network). It serves on 127.0.0.1, writes the
// settings opsbot needs to reach it (the fake's tokens and SLACK_API_URL) to
// the --env-file, a `docker run --env-file` file, then prints
//   api_url=http://127.0.0.1:<port>/api/
// then, once opsbot opens a Socket Mode link, sends one slash command and
// waits for its answer on the response_url, printing
//   answered: <first line of the answer>
// It keeps serving (so opsbot's link stays up for a clean stop) until SIGTERM
// or SIGINT, or --linger seconds after the answer, and exits 0 when the
// command was answered with the expected text, 1 otherwise.
//
// usage: opsbot_fake_slack --env-file PATH [--command "/ops help"]
//                          [--expect "*opsbot commands*"] [--timeout 120] [--linger 600]

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/fakes/fake_slack.hpp"

namespace {

struct Options {
    std::string env_file;
    std::string command = "/ops";
    std::string text = "help";
    std::string expect = "*opsbot commands*";
    int timeout_seconds = 120;
    int linger_seconds = 600;
};

bool parse(int argc, char** argv, Options& options) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--env-file") {
            options.env_file = value;
        } else if (flag == "--command") {
            const auto space = value.find(' ');
            options.command = value.substr(0, space);
            options.text = space == std::string::npos ? "" : value.substr(space + 1);
        } else if (flag == "--expect") {
            options.expect = value;
        } else if (flag == "--timeout") {
            options.timeout_seconds = std::atoi(value.c_str());
        } else if (flag == "--linger") {
            options.linger_seconds = std::atoi(value.c_str());
        } else {
            return false;
        }
    }
    return argc % 2 == 1 && !options.env_file.empty() && options.timeout_seconds > 0 &&
           options.linger_seconds >= 0;
}

// Waits for SIGTERM or SIGINT, at most `seconds`.
void wait_for_stop_signal(int seconds) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    const timespec limit{seconds, 0};
    sigtimedwait(&set, nullptr, &limit);
}

// Written whole, then renamed, so a reader never sees half of it. Tokens go
// to the file only, never to the output.
bool write_env_file(const std::string& path, const opsbot::test::FakeSlack& slack) {
    const std::string partial = path + ".partial";
    {
        std::ofstream out(partial, std::ios::trunc);
        out << "SLACK_APP_TOKEN=" << opsbot::test::FakeSlack::kAppToken << "\n"
            << "SLACK_BOT_TOKEN=" << opsbot::test::FakeSlack::kBotToken << "\n"
            << "SLACK_API_URL=" << slack.api_url() << "\n";
        if (!out.flush()) return false;
    }
    return std::rename(partial.c_str(), path.c_str()) == 0;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, options)) {
        std::cerr << "usage: opsbot_fake_slack --env-file PATH [--command \"/ops help\"] "
                     "[--expect TEXT] [--timeout SECONDS] [--linger SECONDS]\n";
        return 2;
    }
    // Blocked before the servers' threads start, so they inherit the mask
    // and only sigtimedwait takes the signals.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    opsbot::test::FakeSlack slack;
    if (!write_env_file(options.env_file, slack)) {
        std::cerr << "opsbot_fake_slack: cannot write " << options.env_file << "\n";
        return 2;
    }
    std::cout << "api_url=" << slack.api_url() << std::endl;

    const auto timeout = std::chrono::seconds(options.timeout_seconds);
    bool answered = false;
    if (!slack.wait_for_links(1, timeout)) {
        std::cout << "failed: opsbot opened no Socket Mode link in " << options.timeout_seconds
                  << " s" << std::endl;
    } else {
        std::cout << "link: opsbot connected" << std::endl;
        const auto id = slack.send_slash({.text = options.text, .command = options.command});
        if (!slack.wait_for_ack(id, timeout)) {
            std::cout << "failed: " << options.command << " " << options.text
                      << " was not acknowledged" << std::endl;
        } else if (!slack.wait_for_responses(1, timeout)) {
            std::cout << "failed: " << options.command << " " << options.text
                      << " was acknowledged but not answered" << std::endl;
        } else {
            const auto response = slack.responses().at(0);
            const std::string text = response.value("text", "");
            answered = text.find(options.expect) != std::string::npos;
            std::cout << (answered ? "answered: " : "failed: unexpected answer: ")
                      << first_line(text) << std::endl;
        }
    }
    wait_for_stop_signal(answered ? options.linger_seconds : 0);
    return answered ? 0 : 1;
}
