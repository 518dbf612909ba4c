#include <catch2/catch.hpp>

#include "core/redact.hpp"

using namespace opsbot;

TEST_CASE("redact: Slack tokens keep their kind, lose their value", "[redact]") {
    CHECK(redact("token xoxb-1234-5678-abcdefGHIJ used by deploy") ==
          "token xoxb-[redacted] used by deploy");
    CHECK(redact("user xoxp-1-2-3-abc and refresh xoxe-1-abc") ==
          "user xoxp-[redacted] and refresh xoxe-[redacted]");
    CHECK(redact("app token xapp-1-A0TEST-1234-deadbeef.") == "app token xapp-[redacted].");
}

TEST_CASE("redact: bearer and basic credentials", "[redact]") {
    CHECK(redact("Authorization: Bearer abc.def-ghi_123") == "Authorization: Bearer [redacted]");
    CHECK(redact("authorization: bearer 9f8e7d") == "authorization: bearer [redacted]");
    CHECK(redact("Authorization: Basic am9objpzZWNyZXQ=") == "Authorization: Basic [redacted]");
    CHECK(redact("GET https://deploy:hunter22@jenkins.example.com/job/x") ==
          "GET https://[redacted]@jenkins.example.com/job/x");
}

TEST_CASE("redact: a presigned URL keeps host and path, not its query", "[redact]") {
    const std::string url =
        "https://examplebucket.s3.amazonaws.com/backups/acme/2026-11-24.tar.lrz?X-Amz-Algorithm="
        "AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    CHECK(redact("link: " + url + " (1 h)") ==
          "link: https://examplebucket.s3.amazonaws.com/backups/acme/2026-11-24.tar.lrz?[redacted] "
          "(1 h)");
}

TEST_CASE("redact: signatures, query secrets, AWS keys and JSON fields", "[redact]") {
    CHECK(redact("Sentry-Hook-Signature: 2f6a8b9c0d") == "Sentry-Hook-Signature: [redacted]");
    CHECK(redact("X-Slack-Signature: v0=a2114d57b48eac39") == "X-Slack-Signature: [redacted]");
    CHECK(redact("body sha256=0123456789abcdef0123 ok") == "body sha256=[redacted] ok");
    CHECK(redact("POST /hooks/jenkins?token=s3cr3t-value&x=1") ==
          "POST /hooks/jenkins?token=[redacted]&x=1");
    CHECK(redact("key AKIAIOSFODNN7EXAMPLE in use") == "key AKIA[redacted] in use");
    CHECK(redact(R"({"user":"bot","password":"hunter2","client_secret":"abc"})") ==
          R"({"user":"bot","password":"[redacted]","client_secret":"[redacted]"})");
}

TEST_CASE("redact: registered secrets are masked wherever they appear", "[redact]") {
    clear_registered_secrets();
    register_secret("11aa22bb33cc44dd55ee");
    register_secret("short");  // too short to mask safely: ignored
    CHECK(redact("jenkins said 11aa22bb33cc44dd55ee twice: 11aa22bb33cc44dd55ee") ==
          "jenkins said [redacted] twice: [redacted]");
    CHECK(redact("a short word") == "a short word");
    clear_registered_secrets();
    CHECK(redact("11aa22bb33cc44dd55ee") == "11aa22bb33cc44dd55ee");
}

TEST_CASE("redact: plain text is untouched", "[redact]") {
    const std::string text =
        "deploy acme prod v1.2 — queued as #42 at https://jenkins.example.com/job/x/42/";
    CHECK(redact(text) == text);
}

TEST_CASE("redact: a megabyte of text is handled", "[redact]") {
    std::string big(1 << 20, 'a');
    big.replace(500'000, 20, "xoxb-1111-2222-secret");
    const auto out = redact(big);
    CHECK(out.find("secret") == std::string::npos);
    CHECK(out.size() < big.size());
}

TEST_CASE("redact: a secret at the very end of the text", "[redact]") {
    CHECK(redact("xoxb-1-abc") == "xoxb-[redacted]");
    CHECK(redact("xapp-1-A0") == "xapp-[redacted]");
    CHECK(redact("Authorization: Bearer abc") == "Authorization: Bearer [redacted]");
    CHECK(redact("Authorization: Basic am9objpzZWNyZXQ") == "Authorization: Basic [redacted]");
    CHECK(redact("https://u:p@") == "https://[redacted]@");
    CHECK(redact("https://h/p?X-Amz-Signature=ab") == "https://h/p?[redacted]");
    CHECK(redact("GET /x?token=abc") == "GET /x?token=[redacted]");
    CHECK(redact("body sha256=0123456789abcdef") == "body sha256=[redacted]");
    CHECK(redact("AKIAIOSFODNN7EXAMPLE") == "AKIA[redacted]");
    CHECK(redact(R"({"token":"abc"})") == R"({"token":"[redacted]"})");
}

TEST_CASE("redact: a header value at the end of the input", "[redact]") {
    CHECK(redact("Jenkins-Crumb: 0a1b2c") == "Jenkins-Crumb: [redacted]");
    CHECK(redact("X-Hub-Signature-256=sha256=0123") == "X-Hub-Signature-256=[redacted]");
    CHECK(redact("x-hub-signature:\tv1") == "x-hub-signature:\t[redacted]");
    // No value at all: nothing to mask.
    CHECK(redact("Sentry-Hook-Signature:") == "Sentry-Hook-Signature:");
    CHECK(redact("Sentry-Hook-Signature:   ") == "Sentry-Hook-Signature:   ");
}

TEST_CASE("redact: adjacent secrets are each masked", "[redact]") {
    CHECK(redact("xoxb-1-a xoxp-2-b") == "xoxb-[redacted] xoxp-[redacted]");
    CHECK(redact("Bearer abc,Bearer def") == "Bearer [redacted],Bearer [redacted]");
    CHECK(redact("/x?token=a&secret=b&sig=c&page=2") ==
          "/x?token=[redacted]&secret=[redacted]&sig=[redacted]&page=2");
    CHECK(redact("AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPLE") == "AKIA[redacted] ASIA[redacted]");
    CHECK(redact(R"({"password":"a","secret":"b","token":""})") ==
          R"({"password":"[redacted]","secret":"[redacted]","token":"[redacted]"})");
    CHECK(redact("https://a:b@h1 https://c:d@h2") == "https://[redacted]@h1 https://[redacted]@h2");
}

TEST_CASE("redact: keywords in mixed case keep their case", "[redact]") {
    CHECK(redact("bEaReR abc") == "bEaReR [redacted]");
    CHECK(redact("BASIC am9objpzZWNyZXQ=") == "BASIC [redacted]");
    CHECK(redact("Bearer \t  abc") == "Bearer [redacted]");  // the spaces become one
    CHECK(redact("/x?Access_Token=abc") == "/x?Access_Token=[redacted]");
    CHECK(redact("X-SLACK-SIGNATURE : v0=ab") == "X-SLACK-SIGNATURE : [redacted]");
    CHECK(redact(R"({"Client_Secret" : "abc"})") == R"({"Client_Secret" : "[redacted]"})");
    CHECK(redact("https://h/p?x-amz-signature=ab&a=1") == "https://h/p?[redacted]");
    // These rules are case-sensitive.
    CHECK(redact("XOXB-1-abc") == "XOXB-1-abc");
    CHECK(redact("SHA256=0123456789abcdef") == "SHA256=0123456789abcdef");
    CHECK(redact("akiaiosfodnn7example") == "akiaiosfodnn7example");
}

TEST_CASE("redact: near misses are left alone", "[redact]") {
    CHECK(redact("basic auth is off") == "basic auth is off");          // under 8 characters
    CHECK(redact("bearer:abc") == "bearer:abc");                        // no space
    CHECK(redact("bearer         abc") == "bearer         abc");        // more than 8 spaces
    CHECK(redact("sha256=0123abcd") == "sha256=0123abcd");              // under 16 digits
    CHECK(redact("AKIAIOSFODNN7EXAMPLE2") == "AKIAIOSFODNN7EXAMPLE2");  // not a whole word
    CHECK(redact("xAKIAIOSFODNN7EXAMPLE") == "xAKIAIOSFODNN7EXAMPLE");
    CHECK(redact("https://example.com/a?b=1&c=2") == "https://example.com/a?b=1&c=2");
    CHECK(redact("/x?tokens=abc&token=") == "/x?tokens=abc&token=");
    CHECK(redact(R"({"password":)") == R"({"password":)");
    CHECK(redact("xox-1 xoxb_1 xapp-") == "xox-1 xoxb_1 xapp-");
}

TEST_CASE("redact: text with no trigger comes back identical", "[redact]") {
    const std::string text =
        "lock acme/prod by alice for 30m\n\ttab, \"quotes\", 'single', <angle> & ? = @ : //\r\n"
        "caf\xc3\xa9 \xff\xfe and a NUL here: ";
    const std::string with_nul = text + std::string(1, '\0') + " end";
    CHECK(redact(with_nul) == with_nul);
    CHECK(redact("") == "");
}

TEST_CASE("redact: a JSON value ends at its first unescaped quote", "[redact]") {
    CHECK(redact(R"({"password":"hun\"ter2"})") == R"({"password":"[redacted]"})");
    CHECK(redact(R"({"password":"a\\","user":"b"})") == R"({"password":"[redacted]","user":"b"})");
}

TEST_CASE("redact: long secrets are masked whole", "[redact]") {
    const std::string tail = " TAIL";
    CHECK(redact("xoxb-" + std::string(5000, 'a') + tail) == "xoxb-[redacted]" + tail);
    CHECK(redact("Bearer " + std::string(10000, 'a') + tail) == "Bearer [redacted]" + tail);
    CHECK(redact("?token=" + std::string(10000, 'a') + tail) == "?token=[redacted]" + tail);
    CHECK(redact(R"({"secret":")" + std::string(10000, 'a') + R"("})") ==
          R"({"secret":"[redacted]"})");
    CHECK(redact("sha256=" + std::string(256, 'a') + "bc") == "sha256=[redacted]bc");
    // A URL user name over 256 characters is not taken for credentials.
    const std::string long_user = "https://" + std::string(257, 'u') + ":p@h";
    CHECK(redact(long_user) == long_user);
}

TEST_CASE("redact: registered secrets and rules together", "[redact]") {
    clear_registered_secrets();
    register_secret("hunter2hunter2");
    CHECK(redact(R"({"password":"hunter2hunter2"} Bearer hunter2hunter2)") ==
          R"({"password":"[redacted]"} Bearer [redacted])");
    clear_registered_secrets();
}

TEST_CASE("redact: pathological megabytes take linear time", "[redact]") {
    const auto repeat = [](const std::string& piece) {
        std::string text;
        while (text.size() < (1u << 20)) text += piece;
        return text;
    };
    // Many candidates that share one long run, or never close.
    for (const std::string piece : {"a://", "a://b?", "a://b?c", R"("password":")", "?token",
                                    "Bearer ", "xox", "AKIA", "x-hub-signature: ", "sha256=0123"}) {
        const auto text = repeat(piece);
        CHECK(redact(text).size() >= text.size() / 4);
    }
    const auto many = repeat("Bearer abc ");
    CHECK(redact(many).find("abc") == std::string::npos);
}

TEST_CASE("redact: a SigV4 Authorization header keeps its scope, not its signature", "[redact]") {
    const std::string header =
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
        "aws4_request, SignedHeaders=host;range;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    const std::string out = redact(header);
    CHECK(out.find("f0e8bdb87c964420") == std::string::npos);
    CHECK_THAT(out, Catch::Contains("SignedHeaders=host;range;x-amz-date"));
    CHECK_THAT(out, Catch::Contains("Signature=[redacted]"));
}

TEST_CASE("redact: a masked value never runs onto the next line", "[redact]") {
    // An empty credential is followed by the next header, not by a value.
    CHECK(redact("Authorization: Bearer \nContent-Type: application/json\n") ==
          "Authorization: Bearer \nContent-Type: application/json\n");
    CHECK(redact("Authorization: Bearer\r\nAccept: application/json, text/plain") ==
          "Authorization: Bearer\r\nAccept: application/json, text/plain");
    CHECK(redact("X-Slack-Signature:\nv0=a2114d57b48eac39") ==
          "X-Slack-Signature:\nv0=a2114d57b48eac39");
    CHECK(redact("Jenkins-Crumb = \n0a1b2c") == "Jenkins-Crumb = \n0a1b2c");
    // A value ends at its line's end.
    CHECK(redact("Authorization: Bearer abc\nContent-Type: application/json") ==
          "Authorization: Bearer [redacted]\nContent-Type: application/json");
    CHECK(redact("Authorization: Basic am9objpzZWNyZXQ=\r\nAccept: */*") ==
          "Authorization: Basic [redacted]\r\nAccept: */*");
    CHECK(redact("Jenkins-Crumb: 0a1b2c\nHost: x") == "Jenkins-Crumb: [redacted]\nHost: x");
    CHECK(redact("GET /x?token=abc\nHost: x") == "GET /x?token=[redacted]\nHost: x");
    CHECK(redact("https://h/p?X-Amz-Signature=ab\nnext") == "https://h/p?[redacted]\nnext");
}

TEST_CASE("redact: a JSON value ends at its closing quote or its line's end", "[redact]") {
    CHECK(redact("{\"token\":\"abc\",\n\"user\":\"bob\"}") ==
          "{\"token\":\"[redacted]\",\n\"user\":\"bob\"}");
    // Never closed on its line: masked to the line's end, the next line kept.
    CHECK(redact("{\"password\": \"hunter2\n\"user\":\"bob\"}") ==
          "{\"password\": \"[redacted]\n\"user\":\"bob\"}");
    CHECK(redact(R"({"password": "never closed)") == R"({"password": "[redacted])");
}

TEST_CASE("redact: a dry run's request keeps every header line", "[redact]") {
    const std::string request =
        "POST https://api.cloudflare.com/client/v4/zones/Z/purge_cache\n"
        "Authorization: Bearer \n"
        "Content-Type: application/json\n"
        "\n"
        "{\"purge_everything\":true}\n"
        "GET https://jenkins.example.com/crumbIssuer/api/json\n"
        "Authorization: Basic am9objpzZWNyZXQ=\n"
        "Jenkins-Crumb: 0a1b2c3d\n"
        "Accept: application/json\n";
    std::string expected = request;
    expected.replace(expected.find("am9objpzZWNyZXQ="), 16, "[redacted]");
    expected.replace(expected.find("0a1b2c3d"), 8, "[redacted]");
    CHECK(redact(request) == expected);
}
