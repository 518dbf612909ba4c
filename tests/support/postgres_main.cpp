// The ctest fixture's cluster: `start <folder>` before the tests, `stop
// <folder>` after them (tests/CMakeLists.txt).
#include <iostream>
#include <string>

#include "tests/support/postgres_cluster.hpp"

int main(int argc, char** argv) {
    const std::string action = argc == 3 ? argv[1] : "";
    if (action != "start" && action != "stop") {
        std::cerr << "usage: opsbot_test_postgres start|stop <folder>\n";
        return 2;
    }
    try {
        if (action == "stop") {
            opsbot::test::stop_postgres_cluster(argv[2]);
            return 0;
        }
        opsbot::test::PostgresCluster cluster(argv[2]);
        cluster.keep();
        std::cout << "PostgreSQL test cluster on " << cluster.socket_dir() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "opsbot_test_postgres: " << e.what() << "\n";
        return 1;
    }
}
