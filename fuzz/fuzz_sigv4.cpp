// The SigV4 canonicaliser and signer over hostile URLs, headers and bodies.
// Input: method, URL, header lines ("name: value"), body, separated by 0x00.

#include "adapters/aws/s3.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace opsbot;
    const auto fields = fuzz::split_fields(fuzz::as_text(data, size), '\0', 4);
    HttpRequest request{fields[0], fields[1], {}, fields[3]};
    std::vector<std::string> signed_headers;
    for (const auto& line : fuzz::split_fields(fields[2], '\n', 16)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
        signed_headers.push_back(line.substr(0, colon));
    }
    const TimePoint now{std::chrono::seconds(1'700'000'000)};
    const auto canonical = aws::canonical_request(request, signed_headers, "UNSIGNED-PAYLOAD");
    aws::string_to_sign(canonical, now, "us-east-1", "s3");
    aws::uri_encode(fields[1], true);
    const aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       fields[3]};
    aws::sign_request(request, credentials, "us-east-1", "s3", now);
    aws::presign_url(fields[0], fields[1], credentials, "eu-west-1", "s3", now,
                     std::chrono::seconds(3600));
    return 0;
}
