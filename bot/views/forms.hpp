#pragma once
// Forms: a bare slash command (/deploy, /ops deploy) or a Home tab button
// opens the command's form; its submission runs the command through the
// dispatcher as if typed, with Source::modal in its audit rows.
//
//   open:    views.open at once with the form built from the declaration (no
//            slow lookup: the trigger lasts 3 s), then views.update with what
//            needs one (who may use it, a prefilled project's ref and plan);
//            a refused open (an expired trigger) is told to the person,
//            logged and audited.
//   options: the projects on which the person holds the command's
//            permission, filtered by what they typed.
//   select:  choosing a project or environment redraws the form: the ref
//            prefilled with the environment's branch, a prod plan shown.
//   submit:  each field checked (errors next to it, audited); then {} closes
//            the modal and the command runs after the ack, its answer going
//            to the slash command's response_url or by direct message.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "bot/dispatcher.hpp"
#include "bot/slack/interactions.hpp"
#include "bot/slack/slack_router.hpp"
#include "bot/slack/web_api.hpp"
#include "bot/views/form_blocks.hpp"
#include "bot/views/form_opener.hpp"
#include "core/backups.hpp"
#include "core/keyed_executor.hpp"
#include "core/runbooks.hpp"

namespace opsbot::views {

using ActorLookup = std::function<Actor(const std::string& user_id, const std::string& name)>;

struct FormServiceParts {
    slack::WebApi& api;
    Dispatcher& dispatcher;
    const CatalogueSource& catalogue;
    AuditStore& audit;
    KeyedExecutor& handlers;  // commands run here, after their form's ack
    KeyedExecutor& outbound;  // answers go out here
    ActorLookup actor_for;
    BackupService* backups = nullptr;                // the backup form's dates; null: a date picker
    const std::vector<Runbook>* runbooks = nullptr;  // the runbook start form's choices
};

class FormService final : public FormOpener {
public:
    explicit FormService(FormServiceParts parts) : parts_(std::move(parts)) {}

    bool has_form(const std::string& command) const override;
    void open(const FormRequest& request) override;

    // The router's hooks (register_forms wires them).
    bool open_bare_slash(const slack::SlashRequest& slash);
    nlohmann::json submit(const slack::ViewSubmission& submission);
    nlohmann::json suggest(const slack::SuggestionRequest& request) const;
    void redraw(const slack::BlockAction& action);

private:
    const CommandSpec* spec_of(const std::string& command) const;
    // views.update with what the form needs looked up; false when it cannot be used.
    void fill(const CommandSpec& spec, const FormOrigin& origin, const slack::ViewInfo& view,
              const FormRequest& request);
    FormContent base_content(const CommandSpec& spec, const slack::ViewValues& values) const;
    FormContent content_for(const CommandSpec& spec, const slack::ViewValues& values,
                            const Actor& actor) const;
    // The confirmation a prod command would ask for, shown before submission.
    std::string plan_notice(const CommandSpec& spec, const std::string& project, Env env,
                            const Actor& actor) const;
    // The dates there are backups of, newest first; a problem as a notice.
    void add_backup_dates(const std::string& project, Env env, FormContent& content) const;
    void open_refused(const FormRequest& request, const Error& error);
    nlohmann::json refuse_fields(const slack::ViewSubmission& submission, const Actor& actor,
                                 const std::string& text,
                                 const std::map<std::string, std::string>& errors, bool denied);
    void run(CommandRequest request, const FormOrigin& origin);
    void deliver(const FormOrigin& origin, const CommandRequest& request,
                 const DispatchResult& result);
    void audit_failure(const Actor& actor, const std::string& channel, const std::string& command,
                       Outcome outcome, const std::string& error,
                       const std::string& correlation_id);

    FormServiceParts parts_;
};

// Routes the forms' slash commands, submissions, options and selects to service.
void register_forms(slack::SlackRouter& router, FormService& service);

}  // namespace opsbot::views
