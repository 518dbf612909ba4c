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
