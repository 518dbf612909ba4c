// The YAML catalogue loader: any text gives a catalogue or a list of
// problems with lines, never a crash.

#include "core/config_loader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    const auto text = fuzz::as_text(data, size);
    const auto loaded = parse_catalogue(text, "fuzz.yaml");
    format_problems(loaded.problems);
    static_cast<void>(parse_project(text, "fuzz"));
    return 0;
}
