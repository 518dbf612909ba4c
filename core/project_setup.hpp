#pragma once
// newproject: wiring a new project into Slack, Sentry, Jenkins, Cloudflare and
// opsbot's own catalogue. Core sees the steps as values; the services that
// carry them out live in bot/newproject/, their state in persistence/.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot {

struct NewProjectRequest {
    std::string slug;
    std::string domain;       // example.com: the proxied A record
    std::string server_ip;    // where the A records point
    std::string server_host;  // optional: direct.<domain> becomes a CNAME to it
    std::string name;         // display name
    std::string repo;         // git URL the Jenkins jobs build
    std::string requester_id;
    std::string requester_name;

    // The same project on the same server: a resume, not a new request.
    bool same_target(const NewProjectRequest& other) const;
    // SHA-256 of what the run will create, binding an approval to it.
    std::string digest() const;
};

// Checks the arguments; the error says which one and how to write it.
Status validate(const NewProjectRequest& request);

enum class SetupStep { slack, sentry, jenkins, cloudflare, catalogue };
inline constexpr SetupStep kSetupSteps[] = {SetupStep::slack, SetupStep::sentry, SetupStep::jenkins,
                                            SetupStep::cloudflare, SetupStep::catalogue};
const char* to_string(SetupStep step);  // "slack"
const char* title_of(SetupStep step);   // "Slack channel"
std::optional<SetupStep> parse_setup_step(std::string_view text);

// Planned: create, exists or skip. After a run: done, exists, skip or failed.
enum class StepState { create, exists, skip, done, failed };
const char* to_string(StepState state);
std::optional<StepState> parse_step_state(std::string_view text);

struct StepReport {
    SetupStep step = SetupStep::slack;
    StepState state = StepState::create;
    std::string summary;      // what it will do, or what it did
    std::string external_id;  // channel id, Sentry slug, job URLs, DNS record ids
    std::string link;         // where to see it
    std::string error;        // why it failed, with what to do

    // Nothing left to do for this step on a resume.
    bool finished() const { return state == StepState::done || state == StepState::exists; }
};

// What earlier steps found out that later ones need: "channel_id",
// "sentry_dsn", "zone_id", "job.stage", "job.prod"...
using SetupFacts = std::map<std::string, std::string>;

enum class SetupState { running, failed, done };
const char* to_string(SetupState state);
std::optional<SetupState> parse_setup_state(std::string_view text);

struct SetupRecord {
    NewProjectRequest request;
    std::map<SetupStep, StepReport> steps;
    SetupFacts facts;
    SetupState state = SetupState::running;
    TimePoint created;
    TimePoint updated;
};

// The catalogue entry a finished setup adds, from what the steps found.
Project project_from_setup(const NewProjectRequest& request, const SetupFacts& facts);

// "✅ done", "➕ create", ...
std::string describe_step(const StepReport& report);

// newproject runs, kept so that a failed run resumes where it stopped.
class SetupStore {
public:
    virtual ~SetupStore() = default;
    virtual std::optional<SetupRecord> find(const std::string& slug) = 0;
    virtual void save(const SetupRecord& record) = 0;
};

// Projects added from chat, merged over the YAML catalogue at start-up.
class ProjectRegistry {
public:
    virtual ~ProjectRegistry() = default;
    // Entries that no longer parse are skipped with a warning in the log.
    virtual std::vector<Project> all() = 0;
    virtual void put(const Project& project, const std::string& created_by) = 0;
};

class ProjectSetup {
public:
    virtual ~ProjectSetup() = default;
    // What the step would do now, asking the service what exists already.
    virtual StepReport probe(SetupStep step, const NewProjectRequest& request) = 0;
    // Does the step: finds what exists before creating anything, so running
    // it again never creates a second channel, project, job or record.
    virtual StepReport apply(SetupStep step, const NewProjectRequest& request,
                             SetupFacts& facts) = 0;
    // The requests a run would send, secrets redacted: the dry run.
    virtual std::string describe(const NewProjectRequest& request) = 0;
    // Defaults the command fills in: the repo pattern.
    virtual std::string default_repo(const std::string& slug) const = 0;

    virtual std::optional<SetupRecord> find_setup(const std::string& slug) = 0;
    virtual void save_setup(const SetupRecord& record) = 0;
};

}  // namespace opsbot
