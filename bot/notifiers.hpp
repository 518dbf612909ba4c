#pragma once
// Notifier front ends: the slot the app hands to services before it knows
// which front end runs, and the console's printer.

#include <mutex>
#include <ostream>

#include <spdlog/spdlog.h>

#include "bot/console.hpp"
#include "core/notifier.hpp"
#include "core/redact.hpp"

namespace opsbot {

// Forwards to the front end set with set(); logs while there is none.
class NotifierSlot final : public Notifier {
public:
    void set(Notifier* target) {
        std::lock_guard lock(mutex_);
        target_ = target;
    }

    Result<MessageRef> post(const std::string& channel, const std::string& thread,
                            const Reply& reply) override {
        if (auto* target = get()) return target->post(channel, thread, reply);
        spdlog::info("notice for {}: {}", channel, redact(reply.text));
        return MessageRef{channel, ""};
    }
    Status update(const MessageRef& message, const Reply& reply) override {
        if (auto* target = get()) return target->update(message, reply);
        spdlog::info("notice for {}: {}", message.channel, redact(reply.text));
        return success();
    }
    std::string user_for_email(const std::string& email) override {
        auto* target = get();
        return target ? target->user_for_email(email) : "";
    }

private:
    Notifier* get() {
        std::lock_guard lock(mutex_);
        return target_;
    }
    std::mutex mutex_;
    Notifier* target_ = nullptr;
};

// Prints notices as they come, between the console's own replies.
class ConsoleNotifier final : public Notifier {
public:
    explicit ConsoleNotifier(std::ostream& out) : out_(out) {}

    Result<MessageRef> post(const std::string& channel, const std::string&,
                            const Reply& reply) override {
        print(reply);
        return MessageRef{channel, ""};
    }
    Status update(const MessageRef&, const Reply& reply) override {
        print(reply);
        return success();
    }
    std::string user_for_email(const std::string&) override { return ""; }

private:
    void print(const Reply& reply) {
        std::lock_guard lock(mutex_);
        out_ << render_for_terminal(redact(reply.text)) << "\n" << std::flush;
    }
    std::ostream& out_;
    std::mutex mutex_;
};

}  // namespace opsbot
