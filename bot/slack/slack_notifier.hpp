#pragma once
// The Notifier over the Slack Web API: status messages posted once and then
// updated in place, committers found by their commit email.

#include "bot/slack/web_api.hpp"
#include "core/notifier.hpp"

namespace opsbot::slack {

class SlackNotifier final : public Notifier {
public:
    explicit SlackNotifier(WebApi& api) : api_(api) {}

    Result<MessageRef> post(const std::string& channel, const std::string& thread,
                            const Reply& reply) override {
        const auto posted = api_.post_message({channel, reply.text, thread, reply.blocks_json});
        if (!posted) return posted.error();
        return MessageRef{posted.value().channel, posted.value().ts};
    }

    Status update(const MessageRef& message, const Reply& reply) override {
        return api_.update_message(message.channel, message.ts, reply.text, reply.blocks_json);
    }

    std::string user_for_email(const std::string& email) override {
        const auto user = api_.lookup_by_email(email);
        return user ? user.value().id : "";
    }

private:
    WebApi& api_;
};

}  // namespace opsbot::slack
