#include "bot/deploy/deploy_messages.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/time.hpp"

namespace opsbot::deploy {
namespace {

using nlohmann::json;

const char* icon(DeployState state) {
    switch (state) {
        case DeployState::queued:
            return "⏳";
        case DeployState::started:
            return "🔨";
        case DeployState::succeeded:
            return "✅";
        case DeployState::cancelled:
        case DeployState::aborted:
            return "⚪";
        default:
            return "❌";
    }
}

std::string capitalized(std::string word) {
    if (!word.empty() && word[0] >= 'a' && word[0] <= 'z')
        word[0] = static_cast<char>(word[0] - 32);
    return word;
}

std::string code(const std::string& sha) {
    return "`" + short_sha(sha) + "`";
}

std::string where(const DeployRecord& d) {
    return d.plan.project + " " + to_string(d.plan.env);
}

std::string build_link(const DeployRecord& d) {
    if (d.build_url.empty()) return "";
    return "<" + d.build_url + "|build #" + std::to_string(d.build_number) + ">";
}

// A rollback is known by the commit it puts back; the others by their branch.
std::string shown_ref(const DeployRecord& d) {
    if (d.kind == DeployKind::rollback && !d.commit.empty()) return short_sha(d.commit);
    return d.plan.ref;
}

std::string queued_text(const DeployRecord& d) {
    if (d.kind != DeployKind::release) return "queued in Jenkins";
    if (d.commit.empty()) return "promoting develop to " + d.plan.ref;
    return "pushed " + code(d.commit) + " to " + d.plan.ref +
           "; waiting for Jenkins to start the build";
}

std::string ended_text(const DeployRecord& d) {
    if (d.kind == DeployKind::release && d.commit.empty() && d.state == DeployState::failed)
        return "stopped before the push; nothing went out\n" + d.error;
    std::string text = to_string(d.state);
    if (!d.result.empty()) text += " (" + d.result + ")";
    if (d.finished)
        text += " after " + format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                                *d.finished - d.created));
    if (!d.build_url.empty()) text += " — <" + d.build_url + "console|console>";
    if (!d.error.empty()) text += "\n" + d.error;
    return text;
}

// What is live after the end, in the words the people in the thread need.
std::string live_note(const DeployRecord& d) {
    const bool succeeded = d.state == DeployState::succeeded;
    const std::string before =
        d.replaced_commit.empty() ? "what was live before" : code(d.replaced_commit);
    if (d.kind == DeployKind::release && succeeded)
        return "\n" + code(d.commit) + " is live. If it misbehaves, *Roll back* puts " + before +
               " back.";
    if (d.kind == DeployKind::release && d.build_number != 0)
        return "\n" + d.plan.ref + " has " + code(d.commit) + ", but " + where(d) +
               " may still run " + before +
               ", or be half-deployed: read the console output before trying again.";
    if (d.kind == DeployKind::rollback && succeeded)
        return "\n" + code(d.commit) + " is live again" +
               (d.replaced_commit.empty() ? ""
                                          : "; " + code(d.replaced_commit) + " was taken out") +
               ".";
    if (d.kind == DeployKind::rollback)
        return "\nWhat is live is uncertain: " + where(d) + " may still run " + before +
               ", or be half rolled back. Check the site and the console output; the lock is "
               "released.";
    return "";
}

json rollback_blocks(const std::string& text, const std::string& command) {
    const json button{{"type", "button"},
                      {"action_id", kRollbackAction},
                      {"text", {{"type", "plain_text"}, {"text", "Roll back"}}},
                      {"value", command},
                      {"style", "danger"}};
    return json::array(
        {{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", shorten(text, 2900)}}}},
         {{"type", "actions"}, {"elements", json::array({button})}}});
}

}  // namespace

std::string status_text(const DeployRecord& d) {
    std::string text = std::string(icon(d.state)) + " *" + where(d) + "* (`" + shown_ref(d) +
                       "`) — " + label(d) + " by " +
                       (d.requested_by_name.empty() ? d.requested_by : d.requested_by_name) + ": ";
    switch (d.state) {
        case DeployState::queued:
            return text + queued_text(d);
        case DeployState::started:
            return text + "building " + build_link(d) +
                   (d.kind == DeployKind::release ? " (" + code(d.commit) + ")" : "");
        default:
            return text + ended_text(d);
    }
}

Reply result_reply(const DeployRecord& d, const std::string& note) {
    std::string text = std::string(icon(d.state)) + " " + capitalized(noun(d.kind)) + " #" +
                       std::to_string(d.id) + " of " + where(d) + " " + to_string(d.state);
    if (!d.result.empty()) text += " (" + d.result + ")";
    if (!d.build_url.empty()) text += ": <" + d.build_url + "console|console output>";
    if (!d.error.empty()) text += "\n" + d.error;
    text += live_note(d) + note;
    Reply reply{text, Visibility::in_channel, {}};
    if (d.kind == DeployKind::release && d.state == DeployState::succeeded &&
        d.plan.env == Env::prod)
        reply.blocks_json = rollback_blocks(text, rollback_command(d)).dump();
    return reply;
}

std::string rollback_command(const DeployRecord& release) {
    std::string command = "rollback " + release.plan.project + " prod";
    if (!release.replaced_commit.empty()) command += " " + release.replaced_commit;
    return command;
}

std::string rollback_lock_reason(const DeployRecord& rollback) {
    if (rollback.replaced_commit.empty()) return "rolled back to " + short_sha(rollback.commit);
    return "rolled back from " + short_sha(rollback.replaced_commit) + " to " +
           short_sha(rollback.commit);
}

std::string rollback_lock_note(const DeployRecord& rollback) {
    const std::string place = where(rollback);
    const std::string next = rollback.plan.env == Env::prod ? "release" : "deploy";
    return "\n🔒 " + place + " stays locked, so that the next " + next +
           " does not undo this unnoticed. `unlock " + place +
           "` allows releases and deploys again.";
}

std::string no_build_for_push(const DeployRecord& release, std::chrono::milliseconds waited,
                              const std::string& job_url) {
    return "Jenkins started no build of " + code(release.commit) + " within " +
           format_duration(waited) + ". " + release.plan.ref +
           " has it, but nothing deployed it: check that <" + job_url + "|" + release.plan.job +
           "> builds pushes to " + release.plan.ref +
           " (its SCM polling or push webhook), then build it there by hand.";
}

}  // namespace opsbot::deploy
