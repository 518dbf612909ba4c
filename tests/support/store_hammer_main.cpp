// opsbot_store_hammer: one process doing one store job, so the concurrency
// tests can start several real processes against one database at once.
//
//   opsbot_store_hammer TARGET START JOB ARGS...
//     TARGET  a postgresql:// URL, a libpq "key=value" string, or a SQLite path
//     START   a file to wait for once the store is open ("-": start at once);
//             START.ready.<pid> is created first, so the test knows who waits
//     JOB     audit N                    appends N rows; prints "appended N"
//             lock PROJECT ENV OWNER     prints "won" or "lost"
//             decide ID USER             prints "decided" or "refused"
//             alert KEY                  prints "accepted" or "duplicate"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/catalogue.hpp"
#include "persistence/storage.hpp"
#include "tests/support/sentry_samples.hpp"

using namespace opsbot;

namespace {

bool is_postgres(const std::string& target) {
    return target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0 ||
           target.find('=') != std::string::npos;
}

std::unique_ptr<db::Storage> open_storage(const std::string& target, const Clock& clock) {
    const bool postgres = is_postgres(target);
    return db::Storage::open(db::storage_target(postgres ? target : "", postgres ? "" : target),
                             clock);
}

// Says it is ready, then waits for the test to create the start file.
void wait_for_start(const std::string& start) {
    if (start == "-") return;
    std::ofstream(start + ".ready." + std::to_string(getpid())).put('\n');
    while (!std::filesystem::exists(start))
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

AuditEntry hammer_entry(int i) {
    AuditEntry entry;
    entry.correlation_id = "hammer-" + std::to_string(getpid()) + "-" + std::to_string(i);
    entry.actor_id = "U0HAMMER";
    entry.actor_name = "hammer";
    entry.source = Source::console;
    entry.command = "help";
    entry.args_json = "{}";
    entry.outcome = Outcome::succeeded;
    return entry;
}

std::string audit(db::Storage& storage, const std::vector<std::string>& args) {
    const int count = std::stoi(args.at(0));
    for (int i = 0; i < count; ++i) storage.audit().append(hammer_entry(i));
    return "appended " + std::to_string(count);
}

std::string lock(db::Storage& storage, const std::vector<std::string>& args, TimePoint now) {
    Lock wanted;
    wanted.project = args.at(0);
    wanted.env = parse_env(args.at(1)).value();
    wanted.owner_id = args.at(2);
    wanted.owner_name = args.at(2);
    wanted.reason = "hammer";
    wanted.acquired = now;
    return storage.locks().acquire(wanted, now) ? "lost" : "won";
}

std::string decide(db::Storage& storage, const std::vector<std::string>& args, TimePoint now) {
    return storage.confirmations().decide(args.at(0), ConfirmationState::approved, args.at(1), now)
               ? "decided"
               : "refused";
}

std::string alert(db::Storage& storage, const std::vector<std::string>& args, TimePoint now) {
    return storage.alert_inbox().record(args.at(0), now, test::sample_alert()) ? "accepted"
                                                                               : "duplicate";
}

std::string run(db::Storage& storage, const std::string& job, const std::vector<std::string>& args,
                TimePoint now) {
    if (job == "audit") return audit(storage, args);
    if (job == "lock") return lock(storage, args, now);
    if (job == "decide") return decide(storage, args, now);
    if (job == "alert") return alert(storage, args, now);
    throw std::invalid_argument("unknown job " + job + ": use audit, lock, decide or alert");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: opsbot_store_hammer TARGET START JOB ARGS...\n";
        return 2;
    }
    try {
        const SystemClock clock;
        const auto storage = open_storage(argv[1], clock);
        wait_for_start(argv[2]);
        const std::vector<std::string> args(argv + 4, argv + argc);
        std::cout << run(*storage, argv[3], args, clock.now()) << std::endl;
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "opsbot_store_hammer: " << error.what() << "\n";
        return 1;
    }
}
