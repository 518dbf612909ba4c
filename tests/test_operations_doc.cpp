// docs/operations.md lists every environment variable opsbot reads: each
// quoted VARIABLE_NAME in bot/settings.cpp must appear there as `NAME`.

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {

std::string read(const std::string& relative) {
    std::ifstream file(std::string(OPSBOT_SOURCE_DIR) + "/" + relative);
    REQUIRE(file);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

std::set<std::string> variables_read(const std::string& source) {
    static const std::regex kVariable(R"re("([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)")re");
    std::set<std::string> names;
    for (std::sregex_iterator it(source.begin(), source.end(), kVariable), end; it != end; ++it)
        names.insert((*it)[1].str());
    return names;
}

}  // namespace

TEST_CASE("operations guide: every variable bot/settings.cpp reads is documented", "[docs]") {
    const auto names = variables_read(read("bot/settings.cpp"));
    REQUIRE(names.count("OPSBOT_DB") == 1);  // the pattern finds them
    REQUIRE(names.size() >= 30);
    const std::string guide = read("docs/operations.md");
    for (const auto& name : names) {
        INFO(name << " is read in bot/settings.cpp: add it to docs/operations.md");
        CHECK(guide.find("`" + name + "`") != std::string::npos);
    }
}
