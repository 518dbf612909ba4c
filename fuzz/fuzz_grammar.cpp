// The command grammar as the dispatcher runs it on chat text: tokenize, find
// the command, parse its arguments against the catalogue, render its usage.

#include "commands/builtin_commands.hpp"
#include "core/grammar.hpp"
#include "fuzz/fuzz_input.hpp"
#include "tests/support/fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    static const Catalogue catalogue = test::test_catalogue();
    static const CommandRegistry registry = [] {
        CommandRegistry r;
        commands::register_builtin_commands(r);
        return r;
    }();
    const auto text = fuzz::as_text(data, size);
    normalise_user(text);
    const auto tokens = tokenize(text);
    if (!tokens || tokens.value().empty()) return 0;
    const auto match = registry.find(tokens.value());
    if (!match.command) return 0;
    const std::vector<std::string> rest(tokens.value().begin() + static_cast<long>(match.words),
                                        tokens.value().end());
    const auto& spec = match.command->spec();
    if (const auto args = parse_args(spec, rest, catalogue)) {
        args.value().to_json();
        args.value().env();
    }
    usage(spec);
    return 0;
}
