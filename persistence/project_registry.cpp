#include "persistence/project_registry.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/catalogue_writer.hpp"
#include "core/config_loader.hpp"

namespace opsbot::db {

namespace {

using nlohmann::json;

json request_json(const NewProjectRequest& r) {
    return {{"slug", r.slug},
            {"domain", r.domain},
            {"server_ip", r.server_ip},
            {"server_host", r.server_host},
            {"name", r.name},
            {"repo", r.repo},
            {"requester_id", r.requester_id},
            {"requester_name", r.requester_name}};
}

NewProjectRequest request_of(const json& j) {
    const auto text = [&j](const char* key) { return j.value(key, std::string{}); };
    return {text("slug"), text("domain"), text("server_ip"),    text("server_host"),
            text("name"), text("repo"),   text("requester_id"), text("requester_name")};
}

json steps_json(const SetupRecord& record) {
    json steps = json::object();
    for (const auto& [step, report] : record.steps)
        steps[to_string(step)] = {{"state", to_string(report.state)},
                                  {"summary", report.summary},
                                  {"external_id", report.external_id},
                                  {"link", report.link},
                                  {"error", report.error}};
    return {{"steps", steps}, {"facts", record.facts}};
}

void read_steps(const json& j, SetupRecord& record) {
    const json steps = j.value("steps", json::object());
    for (const auto& [name, value] : steps.items()) {
        const auto step = parse_setup_step(name);
        const auto state = parse_step_state(value.value("state", std::string{}));
        if (!step || !state) continue;
        record.steps[*step] = {*step,
                               *state,
                               value.value("summary", std::string{}),
                               value.value("external_id", std::string{}),
                               value.value("link", std::string{}),
                               value.value("error", std::string{})};
    }
    record.facts = j.value("facts", SetupFacts{});
}

}  // namespace

std::vector<Project> SqlProjectRegistry::all() {
    auto db = pool_.borrow();
    auto select = db->prepare("SELECT slug, definition FROM projects ORDER BY created_at, slug");
    std::vector<Project> projects;
    while (select.step()) {
        const auto slug = select.column_text(0);
        auto parsed = parse_project(select.column_text(1), "project registry entry " + slug);
        if (!parsed) {
            spdlog::warn("catalogue: registered project {} skipped: {}", slug,
                         parsed.error().message);
            continue;
        }
        projects.push_back(std::move(parsed).value());
    }
    return projects;
}

void SqlProjectRegistry::put(const Project& project, const std::string& created_by) {
    auto db = pool_.borrow();
    auto upsert = db->prepare(
        "INSERT INTO projects (slug, definition, created_by, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (slug) DO UPDATE SET definition = excluded.definition");
    upsert.bind(1, project.slug)
        .bind(2, project_yaml(project))
        .bind(3, created_by)
        .bind(4, format_iso8601(clock_.now()));
    upsert.run();
}

std::optional<SetupRecord> SqlSetupStore::find(const std::string& slug) {
    auto db = pool_.borrow();
    auto select = db->prepare(
        "SELECT request, steps, state, created_at, updated_at FROM project_setups WHERE slug = ?");
    select.bind(1, slug);
    if (!select.step()) return std::nullopt;
    SetupRecord record;
    record.request = request_of(json::parse(select.column_text(0)));
    read_steps(json::parse(select.column_text(1)), record);
    record.state = parse_setup_state(select.column_text(2)).value_or(SetupState::failed);
    record.created = column_time(select, 3).value_or(TimePoint{});
    record.updated = column_time(select, 4).value_or(TimePoint{});
    return record;
}

void SqlSetupStore::save(const SetupRecord& record) {
    auto db = pool_.borrow();
    auto upsert = db->prepare(
        "INSERT INTO project_setups (slug, request, steps, state, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET request = excluded.request, "
        "steps = excluded.steps, state = excluded.state, updated_at = excluded.updated_at");
    upsert.bind(1, record.request.slug)
        .bind(2, request_json(record.request).dump())
        .bind(3, steps_json(record).dump())
        .bind(4, to_string(record.state))
        .bind(5, format_iso8601(record.created))
        .bind(6, format_iso8601(record.updated));
    upsert.run();
}

}  // namespace opsbot::db
