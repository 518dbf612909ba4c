#pragma once
// Secrets never reach a log sink, chat or an audit row: Slack tokens, bearer
// and basic credentials, webhook signatures, presigned URL query strings, and
// any secret value registered from the environment.

#include <string>
#include <string_view>

namespace opsbot {

// Registers an exact secret value (from an environment variable) so that it
// is masked wherever it appears. Values shorter than 6 characters are ignored
// because they would mask ordinary words.
void register_secret(std::string value);
void clear_registered_secrets();  // tests only

std::string redact(std::string_view text);

}  // namespace opsbot
