#pragma once
// Messages that outlive one command's reply: a deploy's status message that
// is updated as the build moves, a relayed alert. Slack implements it with
// chat.postMessage/chat.update; the console prints.

#include <string>

#include "core/command.hpp"
#include "core/result.hpp"

namespace opsbot {

struct MessageRef {
    std::string channel;
    std::string ts;  // Slack's message timestamp; empty in the console
};

class Notifier {
public:
    virtual ~Notifier() = default;
    // thread empty: a new message in the channel.
    virtual Result<MessageRef> post(const std::string& channel, const std::string& thread,
                                    const Reply& reply) = 0;
    virtual Status update(const MessageRef& message, const Reply& reply) = 0;
    // A Slack user id for the address, or "" when unknown or not looked up.
    virtual std::string user_for_email(const std::string& email) = 0;
};

}  // namespace opsbot
