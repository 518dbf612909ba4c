// The runbook loader: any text gives runbooks or problems with lines; what
// loads is bound to parameters, substituted and rendered as a run would be.

#include "core/runbook_loader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    const auto loaded = parse_runbook(fuzz::as_text(data, size), "fuzz.yaml");
    format_problems(loaded.problems);
    for (const auto& runbook : loaded.runbooks) {
        runbook_usage(runbook);
        format_runbook(runbook);
        const auto values = bind_params(runbook, {"acme", "stage", "x{y}z"});
        if (!values) continue;
        for (const auto& step : runbook.steps) substitute(step.instructions, values.value());
    }
    return 0;
}
