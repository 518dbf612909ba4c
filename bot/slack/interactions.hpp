#pragma once
// The interactions behind forms and the Home tab, as plain structs: a
// modal's submission, an external select asking for options, an event other
// than a mention, and a bare slash command that may open a form instead of
// running. The router parses them; bot/views/ answers them.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opsbot::slack {

// Envelope::answer: the payload of an ack that answers (see answered_in_ack);
// false when too late to go in the ack.
using AckAnswer = std::function<bool(nlohmann::json payload)>;

// What the person entered in a view: block_id → the values of its one
// element (a text input's text, a select's chosen value, a date, a user, the
// ticked checkboxes), whatever the element's type.
using ViewValues = std::map<std::string, std::vector<std::string>>;
// The values of one element's state, or of one block action.
std::vector<std::string> element_values(const nlohmann::json& element);
ViewValues read_view_values(const nlohmann::json& state_values);
// The first value of block_id, or "".
std::string first_value(const ViewValues& values, const std::string& block_id);

// The view a block action or a submission came from (empty for a message).
struct ViewRef {
    std::string id;
    std::string hash;  // for views.update: refused if the view changed since
    std::string callback_id;
    std::string private_metadata;
    ViewValues values;
};
ViewRef read_view(const nlohmann::json& view);

struct ViewSubmission {
    std::string user_id;
    std::string user_name;
    std::string trigger_id;
    ViewRef view;
};
// Answers a submission through its ack (Envelope::answer): {} closes the
// modal; {"response_action":"errors","errors":{block_id: text}} keeps it open
// with the errors under the fields; {"response_action":"update","view":…}.
using ViewHandler = std::function<nlohmann::json(const ViewSubmission&)>;

struct SuggestionRequest {
    std::string user_id;
    std::string user_name;
    std::string action_id;
    std::string block_id;
    std::string typed;  // what the person typed so far
    ViewRef view;
};
// {"options":[…]} (at most 100), through the ack.
using SuggestionHandler = std::function<nlohmann::json(const SuggestionRequest&)>;

// An events_api event other than app_mention (app_home_opened); done is
// called once its work is over.
using EventHandler = std::function<void(const nlohmann::json& event, std::function<void()> done)>;

// A slash command as typed: "/deploy" with text "" is a bare command.
struct SlashRequest {
    std::string command_text;  // "deploy acme stage", as the dispatcher would run it
    std::string user_id;
    std::string user_name;
    std::string channel;
    std::string trigger_id;
    std::string response_url;
};
// Returns true when it took the command (opened a form); false runs it.
using FormOpener = std::function<bool(const SlashRequest&)>;

}  // namespace opsbot::slack
