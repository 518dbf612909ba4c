#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/json.hpp"

using namespace opsbot;
using nlohmann::json;

TEST_CASE("json: a string field, or empty whatever the document holds", "[json]") {
    const auto object = json::parse(R"({"name": "acme", "count": 3, "none": null,
                                        "list": ["a"], "inner": {"name": "x"}, "empty": ""})");
    CHECK(string_field(object, "name") == "acme");
    CHECK(string_field(object, "empty").empty());
    CHECK(string_field(object, "missing").empty());
    CHECK(string_field(object, "count").empty());
    CHECK(string_field(object, "none").empty());
    CHECK(string_field(object, "list").empty());
    CHECK(string_field(object, "inner").empty());
    CHECK(string_field(object["inner"], "name") == "x");
    // Not an object at all: no exception, nothing found.
    CHECK(string_field(json::array({"name"}), "name").empty());
    CHECK(string_field(json("name"), "name").empty());
    CHECK(string_field(json(), "name").empty());
    CHECK(string_field(json::parse("{", nullptr, false), "name").empty());
}
