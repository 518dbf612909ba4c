#include "bot/views/home_slack.hpp"

#include <spdlog/spdlog.h>

#include "bot/views/home_view.hpp"
#include "core/dashboard.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace opsbot::views {
namespace {

// A Home tab has no response_url: the presser is answered by direct message.
void tell(slack::WebApi& api, const slack::BlockAction& press, const std::string& text) {
    if (const auto sent = api.post_message({press.user_id, text, "", ""}); !sent)
        spdlog::warn("home: could not answer {}'s press on {}: {}", press.user_id, press.action_id,
                     sent.error().message);
}

// Until the form exists: what to type instead.
void tell_to_type(slack::WebApi& api, const slack::BlockAction& press, const std::string& command) {
    tell(api, press,
         "The *" + command +
             "* form is not available in this opsbot yet. Type the command in a "
             "channel instead: `/ops " +
             command + " " + press.value + " …` (`/ops help " + command +
             "` shows its arguments).");
}

void on_press(slack::WebApi& api, const Catalogue& catalogue, HomePublisher& publisher,
              FormOpener* forms, const slack::BlockAction& press) {
    const auto action =
        parse_dashboard_action(press.action_id.substr(std::string(kHomeActionPrefix).size()));
    const Project* project = catalogue.find_project(press.value);
    if (!action || !project) {
        spdlog::warn("home: a Home tab button '{}' for '{}' that opsbot no longer knows",
                     press.action_id, press.value);
        publisher.request(press.user_id);
        return tell(api, press,
                    "That button is out of date: opsbot no longer has it. Your Home tab is being "
                    "refreshed.");
    }
    const std::string command = form_command(*action, *project);
    if (!forms || !forms->has_form(command)) return tell_to_type(api, press, command);
    const auto env = action_env(*action);
    forms->open({.command = command,
                 .project = project->slug,
                 .env = env ? to_string(*env) : "",
                 .trigger_id = press.trigger_id,
                 .user_id = press.user_id,
                 .user_name = press.user_name,
                 .channel = "",
                 .response_url = ""});
}

}  // namespace

void register_home_tab(slack::SlackRouter& router, slack::WebApi& api, HomePublisher& publisher,
                       const CatalogueSource& catalogue, FormOpener* forms) {
    router.on_event("app_home_opened",
                    [&publisher](const nlohmann::json& event, std::function<void()> done) {
                        // The Messages tab opens the same event.
                        if (string_field(event, "tab") == "home")
                            publisher.request(string_field(event, "user"));
                        done();
                    });
    router.on_action(kHomeActionPrefix,
                     [&api, &catalogue, &publisher, forms](const slack::BlockAction& press,
                                                           slack::EnvelopeDone done) {
                         on_press(api, *catalogue.current(), publisher, forms, press);
                         if (done) done();
                     });
}

}  // namespace opsbot::views
