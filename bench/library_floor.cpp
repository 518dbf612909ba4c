// The memory floor under opsbot: a program that loads the same shared
// libraries and starts them as opsbot does (libcurl, OpenSSL, SQLite in WAL
// mode, spdlog, yaml-cpp, a second thread), then idles until killed. The
// Slack benchmark prints its idle RSS beside opsbot's, so that the part of
// opsbot's RSS that is opsbot's own can be read off.
//
//   opsbot_library_floor <directory for its database>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: opsbot_library_floor <directory>\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL* http = curl_easy_init();
    SSL_CTX* tls = SSL_CTX_new(TLS_client_method());
    sqlite3* db = nullptr;
    const std::string path = std::string(argv[1]) + "/floor.db";
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(a TEXT);"
                 "INSERT INTO t VALUES ('x');",
                 nullptr, nullptr, nullptr);
    const auto config = YAML::Load("projects: {acme: {stage: {}, prod: {}}}");
    spdlog::info("library floor: {} project(s) read; idle until killed", config["projects"].size());
    std::thread idle([] { pause(); });
    idle.join();
    SSL_CTX_free(tls);
    curl_easy_cleanup(http);
    sqlite3_close(db);
}
