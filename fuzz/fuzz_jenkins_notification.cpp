// The Jenkins Notification plugin's messages (POST /hooks/jenkins), and the
// token comparison the hook does first.

#include "adapters/jenkins/jenkins_client.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    const auto body = fuzz::as_text(data, size);
    static_cast<void>(jenkins::parse_notification(body));
    jenkins::tokens_equal("expected-token", body);
    return 0;
}
