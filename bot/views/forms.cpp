#include "bot/views/forms.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/views/form_input.hpp"
#include "core/ids.hpp"
#include "core/permissions.hpp"
#include "core/text.hpp"

namespace opsbot::views {
namespace {

// The commands a bare slash command or a Home button opens a form for.
const std::vector<std::string>& form_commands() {
    static const std::vector<std::string> names{"deploy", "release", "purge",
                                                "lock",   "backup",  "runbook start"};
    return names;
}

std::string example_of(const CommandSpec& spec) {
    return "/" + (spec.examples.empty() ? spec.name : spec.examples.front());
}

std::string open_refusal_text(const CommandSpec& spec, const Error& error) {
    const std::string why =
        error.code == "expired_trigger_id"
            ? "Slack's trigger for it had expired (a form must open within 3 s of the command, "
              "and opsbot was too slow)"
            : "Slack refused it (" + error.code + ": " + error.message + ")";
    return "The `" + spec.name + "` form could not open: " + why +
           ". Nothing was run. Type the command with its arguments instead, e.g. `" +
           example_of(spec) + "` (or `/ops " + example_of(spec).substr(1) + "`).";
}

// The environment's branch: what a deploy of it takes when no ref is given.
std::string branch_of(const Catalogue& catalogue, const std::string& project, Env env) {
    if (const Project* p = catalogue.find_project(project))
        if (const Environment* e = p->environment(env); e && !e->branch.empty()) return e->branch;
    return env == Env::prod ? "master" : "develop";
}

// A runbook's parameters as inputs: defaults prefilled unless they are made
// of other parameters ("{project}.example.net"), which the hint shows.
std::vector<ParamSpec> runbook_inputs(const Runbook& runbook) {
    std::vector<ParamSpec> inputs;
    for (const auto& param : runbook.params) {
        const std::string fallback = param.default_value.value_or("");
        const bool derived = fallback.find('{') != std::string::npos;
        inputs.push_back({.name = kExtraPrefix + param.name,
                          .type = param.name == "project" ? ParamType::project : ParamType::word,
                          .help = param.help + (derived ? " (default: " + fallback + ")" : ""),
                          .optional = param.default_value.has_value(),
                          .default_value = derived ? "" : fallback});
    }
    return inputs;
}

// The environment a form opened for a project shows: the one asked for (a
// Home tab button's), else the command's default when the person may use
// the command there, else the first of the project's where they may (a
// developer's Purge button is for stage); "" leaves the choice to them.
std::string prefilled_env(const CommandSpec& spec, const FormRequest& request,
                          const Catalogue& catalogue, const Permissions& permissions,
                          const Actor& actor) {
    if (!request.env.empty()) return request.env;
    const auto param = std::find_if(spec.params.begin(), spec.params.end(),
                                    [](const auto& p) { return p.type == ParamType::environment; });
    const Project* project = catalogue.find_project(request.project);
    if (param == spec.params.end() || param->default_value.empty() || !project ||
        spec.permission.empty())
        return "";
    const auto may = [&](Env env) {
        return project->environment(env) &&
               permissions.check(actor, {spec.permission, project->slug, env}).allowed;
    };
    if (const auto preferred = parse_env(param->default_value); preferred && may(*preferred))
        return to_string(*preferred);
    for (Env env : kAllEnvs)
        if (may(env)) return to_string(env);
    return "";
}

bool is_branch_default(const std::string& ref) {
    return ref.empty() || ref == "develop" || ref == "master";
}

}  // namespace

bool FormService::has_form(const std::string& command) const {
    const auto& names = form_commands();
    return std::find(names.begin(), names.end(), command) != names.end() && spec_of(command);
}

const CommandSpec* FormService::spec_of(const std::string& command) const {
    const Command* found = parts_.dispatcher.registry().find(command);
    return found ? &found->spec() : nullptr;
}

bool FormService::open_bare_slash(const slack::SlashRequest& slash) {
    const std::string command = to_lower(trim(slash.command_text));
    if (!has_form(command)) return false;
    open({.command = command,
          .project = "",
          .trigger_id = slash.trigger_id,
          .user_id = slash.user_id,
          .user_name = slash.user_name,
          .channel = slash.channel,
          .response_url = slash.response_url});
    return true;
}

void FormService::open(const FormRequest& request) {
    const CommandSpec* spec = spec_of(request.command);
    if (!spec) {
        spdlog::warn("forms: no command '{}' to open a form for", request.command);
        return;
    }
    const FormOrigin origin{request.command, request.channel, request.response_url};
    slack::ViewValues values;
    if (!request.project.empty()) values["project"] = {request.project};
    if (!request.project.empty() && !request.env.empty()) values["env"] = {request.env};
    // First, before anything slow (the trigger lasts 3 s): nothing is looked up.
    const auto opened = parts_.api.views_open(
        request.trigger_id, form_view(*spec, origin, base_content(*spec, values)));
    if (!opened) return open_refused(request, opened.error());
    spdlog::info("forms: opened the {} form for {} (view {})", spec->name, request.user_id,
                 opened.value().id);
    fill(*spec, origin, opened.value(), request);
}

// Who the person is costs Web API calls, and a prefilled project's plan a
// fetch: only now, into the open modal.
void FormService::fill(const CommandSpec& spec, const FormOrigin& origin,
                       const slack::ViewInfo& view, const FormRequest& request) {
    const Actor actor = parts_.actor_for(request.user_id, request.user_name);
    const auto catalogue = parts_.catalogue.current();
    const Permissions permissions(*catalogue);
    nlohmann::json filled;
    if (!spec.permission.empty() &&
        std::none_of(catalogue->projects.begin(), catalogue->projects.end(), [&](const Project& p) {
            return permissions.check(actor, {spec.permission, p.slug, {}}).allowed;
        })) {
        filled = message_view(spec, origin,
                              "You may not `" + spec.permission +
                                  "` on any project, so this form has nothing to offer you. "
                                  "`/ops whoami` shows what your roles allow.");
    } else if (!request.project.empty()) {
        slack::ViewValues values{{"project", {request.project}}};
        for (const auto& param : spec.params)
            if (!param.default_value.empty()) values[param.name] = {param.default_value};
        if (const auto env = prefilled_env(spec, request, *catalogue, permissions, actor);
            !env.empty())
            values["env"] = {env};
        filled = form_view(spec, origin, content_for(spec, values, actor));
    } else {
        return;
    }
    if (const auto updated = parts_.api.views_update(view.id, view.hash, filled); !updated)
        spdlog::warn("forms: could not fill the {} form (view {}): {}", spec.name, view.id,
                     updated.error().message);
}

// What the form shows without looking anything up: the values so far, and
// for `runbook start` the runbooks to choose from and the chosen one's own
// parameters.
FormContent FormService::base_content(const CommandSpec& spec,
                                      const slack::ViewValues& values) const {
    FormContent content;
    for (const auto& [block_id, chosen] : values)
        if (!chosen.empty() && block_id != kSwitchesBlock)
            content.prefill[block_id] = join(chosen, "\n");
    if (spec.name != "runbook start" || !parts_.runbooks) return content;
    auto& names = content.choices["name"];
    for (const auto& runbook : *parts_.runbooks) names.push_back(runbook.name);
    content.redraws.push_back("name");
    content.hidden.push_back("args");
    const std::string chosen = slack::first_value(values, "name");
    for (const auto& runbook : *parts_.runbooks)
        if (runbook.name == chosen) {
            content.notice = "*" + runbook.name + "*: " + runbook.description;
            content.extra = runbook_inputs(runbook);
        }
    return content;
}

// The form as the values in it call for: the environment's branch as the
// ref, the backup dates there are, and for a command that asks for a
// confirmation the plan it will show.
FormContent FormService::content_for(const CommandSpec& spec, const slack::ViewValues& values,
                                     const Actor& actor) const {
    FormContent content = base_content(spec, values);
    const std::string project = slack::first_value(values, "project");
    const auto env = parse_env(slack::first_value(values, "env"));
    if (project.empty() || !env) return content;
    const auto catalogue = parts_.catalogue.current();
    const bool has_ref = std::any_of(spec.params.begin(), spec.params.end(),
                                     [](const ParamSpec& p) { return p.name == "ref"; });
    if (has_ref && is_branch_default(slack::first_value(values, "ref")))
        content.prefill["ref"] = branch_of(*catalogue, project, *env);
    if (spec.name == "backup") add_backup_dates(project, *env, content);
    if (spec.confirm != ConfirmPolicy::never)
        content.notice = plan_notice(spec, project, *env, actor);
    return content;
}

std::string FormService::plan_notice(const CommandSpec& spec, const std::string& project, Env env,
                                     const Actor& actor) const {
    const auto plan = parts_.dispatcher.preview(
        spec.name + " " + as_token(project) + " " + to_string(env), actor);
    if (!plan) return "⚠️ " + user_text(plan.error());
    if (plan.value().empty()) return "";
    return "*What this will do* (a second person confirms after you submit):\n" + plan.value();
}

void FormService::add_backup_dates(const std::string& project, Env env,
                                   FormContent& content) const {
    if (!parts_.backups || !parts_.backups->configured()) return;
    const auto listed = parts_.backups->list(project, env);
    if (!listed) {
        content.notice = "⚠️ Could not list the backups of " + project + " " + to_string(env) +
                         ": " + user_text(listed.error()) + " The newest is fetched by default.";
        return;
    }
    auto& dates = content.choices["date"];
    for (const auto& object : listed.value())
        if (!object.date.empty() &&
            std::find(dates.begin(), dates.end(), object.date) == dates.end())
            dates.push_back(object.date);
    if (dates.empty())
        content.notice = "There are no dated backups of " + project + " " + to_string(env) + ".";
}

void FormService::redraw(const slack::BlockAction& action) {
    const FormOrigin origin = FormOrigin::from_json(action.view.private_metadata);
    const CommandSpec* spec = spec_of(origin.command);
    if (!spec) return;
    slack::ViewValues values = action.view.values;
    const std::string field = action.action_id.substr(std::string(kFieldAction).size());
    const std::string block_id = field.substr(0, field.find(kFillMark));
    if (!action.value.empty()) values[block_id] = {action.value};
    const Actor actor = parts_.actor_for(action.user_id, action.user_name);
    const auto view = form_view(*spec, origin, content_for(*spec, values, actor));
    if (const auto updated = parts_.api.views_update(action.view.id, action.view.hash, view);
        !updated)
        spdlog::info("forms: the {} form (view {}) was not redrawn: {}", spec->name, action.view.id,
                     updated.error().message);
}

nlohmann::json FormService::suggest(const slack::SuggestionRequest& request) const {
    const FormOrigin origin = FormOrigin::from_json(request.view.private_metadata);
    const CommandSpec* spec = spec_of(origin.command);
    const std::string permission = spec ? spec->permission : "";
    const Actor actor = parts_.actor_for(request.user_id, request.user_name);
    const auto catalogue = parts_.catalogue.current();
    const Permissions permissions(*catalogue);
    const std::string typed = to_lower(trim(request.typed));
    std::vector<const Project*> offered;
    for (const auto& project : catalogue->projects) {
        const bool matches = to_lower(project.slug).find(typed) != std::string::npos ||
                             to_lower(project.name).find(typed) != std::string::npos;
        if (matches && permissions.check(actor, {permission, project.slug, {}}).allowed)
            offered.push_back(&project);
    }
    spdlog::debug("forms: {} project(s) offered to {} for '{}' in the {} form", offered.size(),
                  request.user_id, typed, origin.command);
    return project_options(offered);
}

nlohmann::json FormService::submit(const slack::ViewSubmission& submission) {
    const FormOrigin origin = FormOrigin::from_json(submission.view.private_metadata);
    const CommandSpec* spec = spec_of(origin.command);
    if (!spec) {
        spdlog::warn("forms: a submission of an unknown form '{}'", submission.view.callback_id);
        return nlohmann::json::object();
    }
    Actor actor = parts_.actor_for(submission.user_id, submission.user_name);
    actor.source = Source::modal;
    const auto catalogue = parts_.catalogue.current();
    const auto extra = base_content(*spec, submission.view.values).extra;
    const auto input =
        read_form(*spec, submission.view.values, *catalogue, Permissions(*catalogue), actor, extra);
    if (!input.ok())
        return refuse_fields(submission, actor, input.text, input.errors, input.denied);

    CommandRequest request;
    request.text = input.text;
    request.actor = actor;
    request.channel = origin.channel;
    // From the Home tab: the project's channel, where a typed command would be.
    if (request.channel.empty())
        if (const Project* p =
                catalogue->find_project(slack::first_value(submission.view.values, "project")))
            request.channel = p->channel;
    request.idempotency_key = "view:" + submission.view.id;
    // After the ack (this job's answer) has gone: the modal closes at once.
    const bool queued = parts_.handlers.post("user:" + submission.user_id,
                                             [this, request, origin] { run(request, origin); });
    if (!queued) {
        spdlog::error("forms: the handler queue is full; '{}' from a form was not run",
                      request.text);
        return {{"response_action", "errors"},
                {"errors",
                 {{spec->params.empty() ? kSwitchesBlock : spec->params.front().name,
                   "opsbot is overloaded right now; nothing was run. Try again in a minute."}}}};
    }
    return nlohmann::json::object();
}

nlohmann::json FormService::refuse_fields(const slack::ViewSubmission& submission,
                                          const Actor& actor, const std::string& text,
                                          const std::map<std::string, std::string>& errors,
                                          bool denied) {
    std::vector<std::string> lines;
    nlohmann::json answer = nlohmann::json::object();
    for (const auto& [block_id, message] : errors) {
        answer[block_id] = shorten(message, 1000);
        lines.push_back(block_id + ": " + message);
    }
    const std::string id = new_correlation_id();
    spdlog::info("forms: {} refused in its form corr={} actor={}: {}", text, id, submission.user_id,
                 join(lines, "; "));
    const FormOrigin origin = FormOrigin::from_json(submission.view.private_metadata);
    audit_failure(actor, origin.channel, text, denied ? Outcome::denied : Outcome::parse_error,
                  join(lines, "; "), id);
    return {{"response_action", "errors"}, {"errors", answer}};
}

void FormService::run(CommandRequest request, const FormOrigin& origin) {
    const auto result = parts_.dispatcher.handle(request);
    deliver(origin, request, result);
}

// To the person: on the slash command's response_url as a typed command's
// answer would be; from the Home tab by direct message, and a confirmation
// in the project's channel, where a second person can press it.
void FormService::deliver(const FormOrigin& origin, const CommandRequest& request,
                          const DispatchResult& result) {
    const auto& reply = result.reply;
    const bool confirmation = result.outcome == Outcome::accepted && !reply.blocks_json.empty();
    const auto sent = [this, request, result](const Status& status) {
        if (status) return;
        spdlog::error("forms: could not deliver the answer to '{}' (corr={}): {}", request.text,
                      result.correlation_id, status.error().message);
        audit_failure(request.actor, request.channel, request.text, Outcome::failed,
                      "reply not delivered: " + status.error().code + " " + status.error().message,
                      result.correlation_id);
    };
    if (!origin.response_url.empty()) {
        const slack::ResponseUrlMessage message{reply.text, reply.blocks_json,
                                                reply.visibility == Visibility::ephemeral, false};
        const bool queued = parts_.outbound.post(origin.response_url,
                                                 [this, url = origin.response_url, message, sent] {
                                                     sent(parts_.api.respond(url, message));
                                                 });
        if (!queued) sent(Error{"queue_full", "outbound queue full", ""});
        return;
    }
    const std::string channel =
        confirmation && !request.channel.empty() ? request.channel : request.actor.user_id;
    const slack::OutgoingMessage message{channel, reply.text, "", reply.blocks_json};
    const bool queued = parts_.outbound.post(
        "channel:" + channel,
        [this, message, sent] {
            const auto posted = parts_.api.post_message(message);
            sent(posted ? success() : Status(posted.error()));
        },
        /*paced=*/true);
    if (!queued) sent(Error{"queue_full", "outbound queue full", ""});
}

void FormService::open_refused(const FormRequest& request, const Error& error) {
    const CommandSpec* spec = spec_of(request.command);
    const std::string text = open_refusal_text(*spec, error);
    const std::string id = new_correlation_id();
    spdlog::warn("forms: the {} form for {} did not open corr={}: {} ({})", request.command,
                 request.user_id, id, error.message, error.code);
    Actor actor;
    actor.user_id = request.user_id;
    actor.name = request.user_name;
    actor.source = Source::modal;
    audit_failure(actor, request.channel, request.command + " (form)", Outcome::failed,
                  "views.open: " + error.code + " " + error.message, id);
    CommandRequest as_request;
    as_request.text = request.command + " (form)";
    as_request.actor = actor;
    as_request.channel = request.channel;
    deliver({request.command, request.channel, request.response_url}, as_request,
            DispatchResult{{text, Visibility::ephemeral, {}}, Outcome::failed, id});
}

void FormService::audit_failure(const Actor& actor, const std::string& channel,
                                const std::string& command, Outcome outcome,
                                const std::string& error, const std::string& correlation_id) {
    AuditEntry entry;
    entry.correlation_id = correlation_id;
    entry.actor_id = actor.user_id;
    entry.actor_name = actor.name;
    entry.source = Source::modal;
    entry.channel = channel;
    entry.command = command;
    entry.outcome = outcome;
    entry.error = error;
    parts_.audit.append(std::move(entry));
}

void register_forms(slack::SlackRouter& router, FormService& service) {
    router.on_slash(
        [&service](const slack::SlashRequest& slash) { return service.open_bare_slash(slash); });
    router.on_view(kFormCallback, [&service](const slack::ViewSubmission& submission) {
        return service.submit(submission);
    });
    router.on_suggestion(kFieldAction, [&service](const slack::SuggestionRequest& request) {
        return service.suggest(request);
    });
    router.on_action(kFieldAction,
                     [&service](const slack::BlockAction& action, slack::EnvelopeDone done) {
                         service.redraw(action);
                         if (done) done();
                     });
}

}  // namespace opsbot::views
