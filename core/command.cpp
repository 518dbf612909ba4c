#include "core/command.hpp"

#include <stdexcept>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace opsbot {

CommandResult CommandResult::ok(std::string text, Visibility visibility) {
    CommandResult result;
    result.reply = Reply{std::move(text), visibility, {}};
    return result;
}

CommandResult CommandResult::failure(std::string text, std::string error) {
    CommandResult result;
    result.outcome = Outcome::failed;
    result.reply = Reply{std::move(text), Visibility::in_channel, {}};
    result.error = std::move(error);
    return result;
}

CommandResult CommandResult::failure(const Error& error, std::string_view lead) {
    return failure(std::string(lead) + user_text(error), error.code);
}

Result<ConfirmationPlan> Command::plan(CommandContext&, const ParsedArgs& args) const {
    const std::string shown = spec().name + " " + args.to_json();
    return ConfirmationPlan{"`" + spec().name + "` with " + args.to_json(), sha256_hex(shown)};
}

void CommandRegistry::add(std::unique_ptr<Command> command) {
    if (find(command->spec().name))
        throw std::logic_error("command registered twice: " + command->spec().name);
    commands_.push_back(std::move(command));
}

CommandRegistry::Match CommandRegistry::find(const std::vector<std::string>& tokens) const {
    Match best;
    for (const auto& command : commands_) {
        const auto& name = command->spec().name;
        const bool two_words = name.find(' ') != std::string::npos;
        const std::size_t words = two_words ? 2 : 1;
        if (tokens.size() < words) continue;
        const std::string candidate =
            two_words ? to_lower(tokens[0]) + " " + to_lower(tokens[1]) : to_lower(tokens[0]);
        if (candidate == name && words > best.words) best = Match{command.get(), words};
    }
    return best;
}

const Command* CommandRegistry::find(const std::string& name) const {
    for (const auto& command : commands_)
        if (command->spec().name == name) return command.get();
    return nullptr;
}

std::vector<const Command*> CommandRegistry::all() const {
    std::vector<const Command*> out;
    for (const auto& command : commands_) out.push_back(command.get());
    return out;
}

std::vector<std::string> CommandRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& command : commands_) out.push_back(command->spec().name);
    return out;
}

}  // namespace opsbot
