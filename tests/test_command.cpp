#include <catch2/catch.hpp>

#include "core/command.hpp"

using namespace opsbot;

TEST_CASE("command result: a failure from an error reads message, then hint", "[command]") {
    const auto plain = CommandResult::failure(Error{"unknown_project", "unknown project 'x'", ""});
    CHECK(plain.outcome == Outcome::failed);
    CHECK(plain.reply.text == "unknown project 'x'");
    CHECK(plain.error == "unknown_project");

    const auto hinted = CommandResult::failure(
        Error{"locked", "Cannot deploy acme prod: locked", "ask the holder"});
    CHECK(hinted.reply.text == "Cannot deploy acme prod: locked\nask the holder");
    CHECK(hinted.error == "locked");

    const auto led = CommandResult::failure(Error{"http_503", "Cloudflare answered 503", ""},
                                            "Could not purge: ");
    CHECK(led.reply.text == "Could not purge: Cloudflare answered 503");
    CHECK(led.reply.visibility == Visibility::in_channel);
}
