// /purge and /backup end to end: the real opsbot binary in Slack mode, the
// fake Slack, a fake Cloudflare and a fake S3 that checks SigV4, all on
// loopback; and the console printing the requests when nothing is configured.

#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/site_bot.hpp"

using namespace opsbot;
using namespace std::chrono_literals;
using test::FakeCloudflare;
using test::FakeHttpServer;
using test::FakeS3;
using test::SiteBot;

namespace {

constexpr const char* kBob = "U02BOB0002";    // prod deployer on acme
constexpr const char* kAlice = "U01ALICE01";  // developer: stage only

std::vector<std::string> urls(int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i)
        out.push_back("https://acme.com/asset-" + std::to_string(i) + ".css");
    return out;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : " ") + part;
    return out;
}

}  // namespace

TEST_CASE("sites e2e: purge everything, then 45 URLs in two calls, zone looked up once",
          "[sites][e2e]") {
    SiteBot s;
    s.bot.start();
    const auto everything = s.slash("/purge", "acme", kBob);
    CHECK(everything.value("response_type", "") == "in_channel");
    CHECK_THAT(everything.value("text", ""), Catch::Contains("Purged everything on acme.com"));
    auto purges = s.cloudflare.purges();
    REQUIRE(purges.size() == 1);
    CHECK(purges[0].zone_id == test::kAcmeZone);
    CHECK(purges[0].body == nlohmann::json{{"purge_everything", true}});

    const auto some = s.slash("/purge", "acme " + joined(urls(45)), kBob);
    CHECK_THAT(some.value("text", ""), Catch::Contains("45 URL(s) on acme.com"));
    CHECK_THAT(some.value("text", ""), Catch::Contains("2 calls"));
    purges = s.cloudflare.purges();
    REQUIRE(purges.size() == 3);
    CHECK(purges[1].body["files"].size() == 30);
    CHECK(purges[2].body["files"].size() == 15);
    std::size_t lookups = 0;
    for (const auto& request : s.cloudflare.requests())
        if (request.method == "GET") ++lookups;
    CHECK(lookups == 1);  // cached in SQLite after the first purge

    bool audited = false;
    for (const auto& row : s.audit_rows())
        if (row.outcome == Outcome::succeeded &&
            row.external_ref == std::string("zone ") + test::kAcmeZone + ": everything")
            audited = true;
    CHECK(audited);
}

TEST_CASE("sites e2e: a Cloudflare error is shown, a 429 is retried, prod needs the role",
          "[sites][e2e]") {
    SiteBot s;
    s.bot.start();
    s.cloudflare.rate_limit_next(1, 1);
    CHECK_THAT(s.slash("/purge", "acme", kBob).value("text", ""), Catch::Contains("Purged"));

    s.cloudflare.fail_next_with_error(1012, "Request must contain one of \"purge_everything\"");
    const auto failed = s.slash("/purge", "acme", kBob);
    CHECK_THAT(failed.value("text", ""), Catch::Contains("1012"));
    CHECK_THAT(failed.value("text", ""), Catch::Contains("Request must contain one of"));

    const auto purges_before = s.cloudflare.purges().size();
    const auto denied = s.slash("/purge", "acme prod", kAlice);
    CHECK_THAT(denied.value("text", ""), Catch::Contains("purge"));
    CHECK_THAT(denied.value("text", ""), Catch::Contains("prod"));
    CHECK(s.cloudflare.purges().size() == purges_before);
    bool denied_row = false;
    for (const auto& row : s.audit_rows())
        if (row.outcome == Outcome::denied && row.command == "purge acme prod") denied_row = true;
    CHECK(denied_row);
}

TEST_CASE("sites e2e: backup hands the requester alone a presigned link that downloads",
          "[sites][e2e]") {
    SiteBot s;
    const auto now = std::chrono::system_clock::now();
    s.s3.put_object("backups/acme/2026-11-23.tar.lrz", std::string(2048, 'a'), now - 26h);
    s.s3.put_object("backups/acme/2026-11-24.tar.lrz", "the newest backup bytes", now - 2h);
    s.s3.put_object("backups/acme/notes.txt", "not a backup", now);
    s.bot.start();

    const auto reply = s.slash("/backup", "acme", kBob);
    CHECK(reply.value("response_type", "") == "ephemeral");
    const std::string text = reply.value("text", "");
    CHECK_THAT(text, Catch::Contains("2026-11-24"));
    CHECK_THAT(text, Catch::Contains("lrzip -d 2026-11-24.tar.lrz"));
    const std::string url = test::backup_link(text);
    CHECK_THAT(url, Catch::Contains("X-Amz-Signature="));

    CurlHttpClient client;
    const auto downloaded = client.send({"GET", url, {}, ""});
    REQUIRE(downloaded.ok());
    CHECK(downloaded.value().status == 200);
    CHECK(downloaded.value().body == "the newest backup bytes");

    const auto dated = s.slash("/backup", "acme 2026-11-23", kBob);
    CHECK_THAT(dated.value("text", ""), Catch::Contains("2.0 KiB"));

    // The link and its signature are in the reply only.
    const std::string signature = test::signature_of(url);
    for (const auto& row : s.audit_rows()) {
        CHECK(row.external_ref.find("X-Amz") == std::string::npos);
        CHECK(row.command.find(signature) == std::string::npos);
    }
    bool who_got_what = false;
    for (const auto& row : s.audit_rows())
        if (row.actor_id == kBob && row.external_ref == "s3 object backups/acme/2026-11-24.tar.lrz")
            who_got_what = true;
    CHECK(who_got_what);
    CHECK(s.bot.process->log().find(signature) == std::string::npos);
}

TEST_CASE("sites e2e: the freshness summary names a stale and a missing project, daily once",
          "[sites][e2e]") {
    SiteBot s;
    const auto now = std::chrono::system_clock::now();
    s.s3.put_object("backups/acme/2026-11-20.tar.lrz", std::string(4096, 'a'), now - 100h);
    s.bot.env["OPSBOT_BACKUP_CHECK_AT"] = "00:00";  // due at once
    s.bot.start();
    REQUIRE(FakeHttpServer::wait_until(
        [&] { return !s.bot.slack.api_calls("chat.postMessage").empty(); }, 15s));
    const auto posted = s.bot.slack.api_calls("chat.postMessage").at(0);
    CHECK(posted.value("channel", "") == "#ops-alerts");
    const std::string text = posted.value("text", "");
    CHECK_THAT(text, Catch::Contains("2 of 2 project(s) need a look"));
    CHECK_THAT(text, Catch::Contains("⏰ *acme*"));
    CHECK_THAT(text, Catch::Contains("🚫 *globex*: no backup at all"));

    // The drill shows; a restart the same day does not post the summary again.
    CHECK_THAT(s.slash("/ops", "backups drilled acme 2026-11-21", kBob).value("text", ""),
               Catch::Contains("recorded"));
    const auto checked = s.slash("/ops", "backups check", "U01ALICE01");
    CHECK_THAT(checked.value("text", ""), Catch::Contains("last restore drill: 2026-11-21"));
    s.bot.stop();
    s.bot.env["BACKUP_MAX_AGE"] = "200h";  // now acme's 100-hour-old backup is fresh enough
    s.bot.start();
    std::this_thread::sleep_for(1500ms);
    CHECK(s.bot.slack.api_calls("chat.postMessage").size() == 1);
    CHECK_THAT(s.slash("/ops", "backups check", "U01ALICE01").value("text", ""),
               Catch::Contains("✅ *acme*"));
}

TEST_CASE("sites e2e: without credentials the console prints the requests it would send",
          "[sites][e2e]") {
    test::TempDir dir;
    const test::TestDatabase store{test::e2e_backend(), dir.file("opsbot.db")};
    const std::map<std::string, std::string> env{
        {"OPSBOT_CONFIG", dir.write("opsbot.yaml", test::kCatalogueYaml)}, store.env()};
    const auto result = test::run_process({OPSBOT_BINARY,
                                           {"console"},
                                           env,
                                           "purge acme https://acme.com/a.css\nbackup acme\n",
                                           "",
                                           60});
    INFO(result.err);
    CHECK_THAT(result.out,
               Catch::Contains("GET https://api.cloudflare.com/client/v4/zones?name=acme.com"));
    CHECK_THAT(result.out, Catch::Contains("purge_cache"));
    CHECK_THAT(result.out, Catch::Contains("https://acme.com/a.css"));
    CHECK_THAT(result.out, Catch::Contains("list-type=2"));
    CHECK_THAT(result.out, Catch::Contains("prefix=backups%2Facme%2F"));
}
