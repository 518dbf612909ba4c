#pragma once
// The Home tab in Slack mode: app_home_opened publishes the person's tab
// (debounced), every audited change refreshes the tabs it concerns, and the
// tab's buttons open the command's form (views::FormOpener).

#include "bot/slack/slack_router.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/views/form_opener.hpp"
#include "bot/views/home_publisher.hpp"
#include "core/catalogue_source.hpp"

namespace opsbot::views {

// forms may be null (no forms yet): a press is then answered by direct
// message with the command to type instead.
void register_home_tab(slack::SlackRouter& router, slack::WebApi& api, HomePublisher& publisher,
                       const CatalogueSource& catalogue, FormOpener* forms);

}  // namespace opsbot::views
