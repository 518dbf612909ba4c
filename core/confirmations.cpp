#include "core/confirmations.hpp"

namespace opsbot {
namespace {

constexpr const char* kStateNames[] = {"pending", "approved", "cancelled", "expired", "superseded"};

}  // namespace

const char* to_string(ConfirmationState state) {
    return kStateNames[static_cast<int>(state)];
}

std::optional<ConfirmationState> parse_confirmation_state(std::string_view text) {
    for (int i = 0; i < 5; ++i)
        if (text == kStateNames[i]) return static_cast<ConfirmationState>(i);
    return std::nullopt;
}

}  // namespace opsbot
