#include "tests/fakes/fake_sentry.hpp"

#include <cctype>
#include <set>

#include "adapters/sentry/sentry.hpp"
#include "core/encoding.hpp"
#include "core/text.hpp"

namespace opsbot::test {
namespace {

using json = nlohmann::json;

const std::set<std::string> kStatuses = {"resolved", "resolvedInNextRelease", "unresolved",
                                         "ignored"};

FakeResponse json_response(int status, const json& body) {
    return FakeResponse{status, body.dump(), "application/json", {}};
}

// Django REST framework's error shape, which is what Sentry's API answers.
FakeResponse detail(int status, const std::string& text) {
    return json_response(status, {{"detail", text}});
}

// What the load balancer in front of a struggling Sentry answers.
FakeResponse gateway_error(int status) {
    const std::string text =
        std::to_string(status) + (status == 502   ? " Bad Gateway"
                                  : status == 503 ? " Service Temporarily Unavailable"
                                  : status == 504 ? " Gateway Time-out"
                                                  : " Internal Server Error");
    return FakeResponse{status,
                        "<html>\r\n<head><title>" + text +
                            "</title></head>\r\n<body>\r\n<center><h1>" + text +
                            "</h1></center>\r\n</body>\r\n</html>\r\n",
                        "text/html",
                        {}};
}

FakeResponse failure(int status, int retry_after_seconds) {
    if (status >= 500) return gateway_error(status);
    if (status == 429) {
        auto response = detail(429,
                               "You are attempting to use this endpoint too frequently. Limit is "
                               "40 requests in 1 seconds");
        response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
        return response;
    }
    if (status == 401) return detail(401, "Invalid token");
    if (status == 403) return detail(403, "You do not have permission to perform this action.");
    if (status == 404) return detail(404, "The requested resource does not exist");
    return detail(status, "Error " + std::to_string(status));
}

std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

FakeSentry::FakeSentry() {
    server_.route("*", "/", [this](const RecordedRequest& request) { return handle(request); });
}

sentry::SentryConfig FakeSentry::client_config() const {
    sentry::SentryConfig config;
    config.base_url = base_url();
    config.auth_token = kToken;
    config.org = kOrg;
    config.timeout = std::chrono::seconds(5);
    return config;
}

std::string FakeSentry::base_url() const {
    return server_.base_url();
}

void FakeSentry::add_issue(const std::string& id, const std::string& project_slug) {
    std::lock_guard lock(mutex_);
    Issue issue;
    issue.project = project_slug;
    issue.short_number = ++short_counters_[project_slug];
    issues_[id] = issue;
}

std::string FakeSentry::status(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = issues_.find(id);
    return it == issues_.end() ? std::string() : it->second.status;
}

long long FakeSentry::ignore_minutes(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = issues_.find(id);
    return it == issues_.end() ? 0 : it->second.ignore_minutes;
}

std::vector<FakeSentryUpdate> FakeSentry::updates() const {
    std::lock_guard lock(mutex_);
    return updates_;
}

void FakeSentry::add_team(const std::string& team, const std::string& org) {
    std::lock_guard lock(mutex_);
    orgs_[org].teams.insert(team);
}

std::string FakeSentry::add_project(const std::string& slug, const std::string& team,
                                    const std::string& name, const std::string& org) {
    std::lock_guard lock(mutex_);
    auto& where = orgs_[org];
    where.teams.insert(team);
    return new_project(where, slug, team, name.empty() ? slug : name).id;
}

std::string FakeSentry::add_key(const std::string& slug, bool active, const std::string& org) {
    std::lock_guard lock(mutex_);
    auto& projects = orgs_[org].projects;
    if (projects.count(slug) == 0) {  // a project with no keys yet
        Project created;
        created.id = std::to_string(next_project_id_++);
        created.name = slug;
        projects[slug] = created;
    }
    auto& project = projects[slug];
    auto key = new_key();
    key.active = active;
    project.keys.push_back(key);
    return dsn_of(project, key, false);
}

std::vector<nlohmann::json> FakeSentry::project_rules(const std::string& slug,
                                                      const std::string& org) const {
    std::lock_guard lock(mutex_);
    const auto it = orgs_.find(org);
    if (it == orgs_.end()) return {};
    const auto project = it->second.projects.find(slug);
    return project == it->second.projects.end() ? std::vector<nlohmann::json>{}
                                                : project->second.rules;
}

bool FakeSentry::has_project(const std::string& slug, const std::string& org) const {
    std::lock_guard lock(mutex_);
    const auto it = orgs_.find(org);
    return it != orgs_.end() && it->second.projects.count(slug) > 0;
}

namespace {

template <class Orgs, class Field>
std::string project_field(const Orgs& orgs, const std::string& org, const std::string& slug,
                          Field field) {
    const auto it = orgs.find(org);
    if (it == orgs.end()) return {};
    const auto project = it->second.projects.find(slug);
    return project == it->second.projects.end() ? std::string() : field(project->second);
}

}  // namespace

std::string FakeSentry::project_name(const std::string& slug, const std::string& org) const {
    std::lock_guard lock(mutex_);
    return project_field(orgs_, org, slug, [](const Project& p) { return p.name; });
}

std::string FakeSentry::project_team(const std::string& slug, const std::string& org) const {
    std::lock_guard lock(mutex_);
    return project_field(orgs_, org, slug, [](const Project& p) { return p.team; });
}

std::string FakeSentry::project_platform(const std::string& slug, const std::string& org) const {
    std::lock_guard lock(mutex_);
    return project_field(orgs_, org, slug, [](const Project& p) { return p.platform; });
}

std::string FakeSentry::dsn(const std::string& slug, const std::string& org) const {
    std::lock_guard lock(mutex_);
    return project_field(orgs_, org, slug, [this](const Project& p) {
        return p.keys.empty() ? std::string() : dsn_of(p, p.keys.front(), false);
    });
}

void FakeSentry::fail_next(int count, int status, int retry_after_seconds) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
    failure_status_ = status;
    retry_after_ = retry_after_seconds;
}

HttpHeaders FakeSentry::webhook_headers(const std::string& resource, const std::string& body,
                                        const std::string& secret, const std::string& request_id,
                                        long long timestamp_seconds) {
    return {{"Content-Type", "application/json"},
            {"Request-ID", request_id},
            {"Sentry-Hook-Resource", resource},
            {"Sentry-Hook-Timestamp", std::to_string(timestamp_seconds)},
            {"Sentry-Hook-Signature", sentry::sign(secret, body)}};
}

// ---- HTTP ----------------------------------------------------------------

FakeResponse FakeSentry::handle(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    FakeSentryUpdate update;
    update.request = request;
    update.body = json::parse(request.body, nullptr, false);
    const std::string path = request.path();
    const auto parts = split(path, '/');
    if (parts.size() == 6 && parts[0] == "api" && parts[1] == "0" && parts[2] == "organizations" &&
        parts[4] == "issues" && path.back() == '/') {
        update.org = percent_decode(parts[3], false);
        update.issue_id = percent_decode(parts[5], false);
    }
    auto response = answer(request, update);
    update.answered = response.status;
    updates_.push_back(std::move(update));
    return response;
}

FakeResponse FakeSentry::answer(const RecordedRequest& request, FakeSentryUpdate& update) {
    if (failures_left_ > 0) {
        --failures_left_;
        return failure(failure_status_, retry_after_);
    }
    const std::string authorization = request.header("Authorization");
    if (authorization.empty()) return detail(401, "Authentication credentials were not provided.");
    if (authorization != std::string("Bearer ") + kToken) return detail(401, "Invalid token");
    if (FakeResponse response; project_route(request, split(request.path(), '/'), response))
        return response;
    // The organization itself (opsbot doctor): only kOrg exists.
    if (request.method == "GET" &&
        request.path() == std::string("/api/0/organizations/") + kOrg + "/")
        return json_response(200, {{"id", "1"}, {"slug", kOrg}, {"name", "Test Org"}});
    // Another organization, an unknown issue or any other path: Sentry does
    // not tell them apart.
    const auto issue = issues_.find(update.issue_id);
    if (update.org != kOrg || issue == issues_.end())
        return detail(404, "The requested resource does not exist");
    if (request.method == "GET") return json_response(200, issue_json(issue->first, issue->second));
    if (request.method != "PUT")
        return detail(405, "Method \"" + request.method + "\" not allowed.");
    const std::string type = request.header("Content-Type");
    if (type.rfind("application/json", 0) != 0)
        return detail(415, "Unsupported media type \"" + type + "\" in request.");
    if (update.body.is_discarded() || !update.body.is_object())
        return detail(400, "JSON parse error - Expecting value: line 1 column 1 (char 0)");
    return update_issue(issue->first, issue->second, update.body);
}

FakeResponse FakeSentry::update_issue(const std::string& id, Issue& issue, const json& body) {
    std::string status = issue.status;
    long long minutes = 0;
    if (const auto it = body.find("status"); it != body.end()) {
        if (!it->is_string() || kStatuses.count(it->get<std::string>()) == 0) {
            const std::string given = it->is_string() ? it->get<std::string>() : it->dump();
            return json_response(
                400, {{"status", json::array({"\"" + given + "\" is not a valid choice."})}});
        }
        status = it->get<std::string>();
    }
    if (const auto details = body.find("statusDetails"); details != body.end()) {
        if (!details->is_object())
            return json_response(
                400,
                {{"statusDetails",
                  {{"non_field_errors", json::array({"Invalid data. Expected a dictionary."})}}}});
        if (const auto duration = details->find("ignoreDuration"); duration != details->end()) {
            if (!duration->is_number_integer())
                return json_response(
                    400, {{"statusDetails",
                           {{"ignoreDuration", json::array({"A valid integer is required."})}}}});
            minutes = duration->get<long long>();
        }
    }
    if (status == "resolvedInNextRelease") status = "resolved";
    issue.status = status;
    issue.ignore_minutes = status == "ignored" ? minutes : 0;
    return json_response(200, issue_json(id, issue));
}

// ---- Projects ------------------------------------------------------------

bool FakeSentry::project_route(const RecordedRequest& request,
                               const std::vector<std::string>& parts, FakeResponse& response) {
    if (parts.size() < 5 || parts[0] != "api" || parts[1] != "0" || request.path().back() != '/')
        return false;
    const std::string org = percent_decode(parts[3], false);
    const std::string name = percent_decode(parts[4], false);
    const bool project_detail = parts.size() == 5 && parts[2] == "projects";
    const bool project_keys = parts.size() == 6 && parts[2] == "projects" && parts[5] == "keys";
    const bool team_projects = parts.size() == 6 && parts[2] == "teams" && parts[5] == "projects";
    const bool project_rules = parts.size() == 6 && parts[2] == "projects" && parts[5] == "rules";
    if (!project_detail && !project_keys && !team_projects && !project_rules) return false;

    const auto where = orgs_.find(org);
    if (where == orgs_.end()) {
        response = detail(404, "The requested resource does not exist");
        return true;
    }
    if (team_projects) {
        if (where->second.teams.count(name) == 0) {
            response = detail(404, "The requested resource does not exist");
        } else if (request.method != "POST") {
            response = detail(405, "Method \"" + request.method + "\" not allowed.");
        } else {
            response =
                create_project(org, name, request, json::parse(request.body, nullptr, false));
        }
        return true;
    }
    const auto project = where->second.projects.find(name);
    if (project == where->second.projects.end()) {
        response = detail(404, "The requested resource does not exist");
    } else if (project_rules) {
        auto& rules = project->second.rules;
        if (request.method == "POST") {
            auto rule = json::parse(request.body, nullptr, false);
            if (rule.is_discarded() || !rule.is_object() || !rule.contains("actions")) {
                response = detail(400, "Invalid rule");
            } else {
                rule["id"] = std::to_string(rules.size() + 1001);
                rules.push_back(rule);
                response = json_response(201, rule);
            }
        } else {
            response = json_response(200, json(rules));
        }
    } else if (request.method != "GET") {
        response = detail(405, "Method \"" + request.method + "\" not allowed.");
    } else if (project_detail) {
        response = json_response(200, project_json(org, name, project->second));
    } else {
        json keys = json::array();
        for (const auto& key : project->second.keys) keys.push_back(key_json(project->second, key));
        response = json_response(200, keys);
    }
    return true;
}

namespace {

// Sentry's slug rule: lowercase letters, digits, - and _, not only digits.
bool valid_slug(const std::string& slug) {
    if (slug.empty() || slug.size() > 50) return false;
    bool has_letter = false;
    for (const char c : slug) {
        const bool lower = c >= 'a' && c <= 'z';
        const bool digit = c >= '0' && c <= '9';
        if (!lower && !digit && c != '-' && c != '_') return false;
        has_letter = has_letter || !digit;
    }
    return has_letter;
}

std::string slugify(const std::string& name) {
    std::string slug;
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u))
            slug += static_cast<char>(std::tolower(u));
        else if (!slug.empty() && slug.back() != '-')
            slug += '-';
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug;
}

}  // namespace

FakeResponse FakeSentry::create_project(const std::string& org, const std::string& team,
                                        const RecordedRequest& request, const json& body) {
    const std::string type = request.header("Content-Type");
    if (type.rfind("application/json", 0) != 0)
        return detail(415, "Unsupported media type \"" + type + "\" in request.");
    if (body.is_discarded() || !body.is_object())
        return detail(400, "JSON parse error - Expecting value: line 1 column 1 (char 0)");
    const auto name = body.find("name");
    if (name == body.end() || !name->is_string() || trim(name->get<std::string>()).empty())
        return json_response(400, {{"name", json::array({"This field is required."})}});
    std::string slug = slugify(name->get<std::string>());
    if (const auto given = body.find("slug"); given != body.end() && !given->is_null()) {
        slug = given->is_string() ? given->get<std::string>() : std::string();
        if (!valid_slug(slug))
            return json_response(
                400, {{"slug", json::array({"Enter a valid slug consisting of lowercase letters, "
                                            "numbers, underscores or hyphens. It cannot be "
                                            "entirely numeric."})}});
    }
    auto& where = orgs_[org];
    if (where.projects.count(slug) > 0)
        return detail(409, "A project with this slug already exists.");
    auto& project = new_project(where, slug, team, name->get<std::string>());
    if (const auto platform = body.find("platform");
        platform != body.end() && platform->is_string())
        project.platform = platform->get<std::string>();
    return json_response(201, project_json(org, slug, project));
}

FakeSentry::Project& FakeSentry::new_project(Org& org, const std::string& slug,
                                             const std::string& team, const std::string& name) {
    Project project;
    project.id = std::to_string(next_project_id_++);
    project.name = name;
    project.team = team;
    project.keys.push_back(new_key());
    return org.projects[slug] = project;
}

FakeSentry::Key FakeSentry::new_key() {
    static const char* const kHex = "0123456789abcdef";
    const long n = ++next_key_;
    Key key;
    for (int i = 0; i < 32; ++i) {
        key.public_key += kHex[(n * 7 + i * 3) % 16];
        key.secret_key += kHex[(n * 5 + i * 11) % 16];
    }
    return key;
}

std::string FakeSentry::dsn_of(const Project& project, const Key& key, bool with_secret) const {
    std::string host = base_url();
    if (const auto at = host.find("://"); at != std::string::npos) host.erase(0, at + 3);
    return "http://" + key.public_key + (with_secret ? ":" + key.secret_key : std::string()) + "@" +
           host + "/" + project.id;
}

json FakeSentry::project_json(const std::string& org, const std::string& slug,
                              const Project& project) const {
    return {{"id", project.id},
            {"slug", slug},
            {"name", project.name},
            {"platform", project.platform},
            {"dateCreated", "2024-05-01T10:00:00.000000Z"},
            {"isBookmarked", false},
            {"isMember", true},
            {"hasAccess", true},
            {"firstEvent", nullptr},
            {"status", "active"},
            {"team", {{"slug", project.team}, {"name", project.team}}},
            {"teams", json::array({{{"slug", project.team}, {"name", project.team}}})},
            {"organization", {{"slug", org}, {"name", org}}}};
}

json FakeSentry::key_json(const Project& project, const Key& key) const {
    const std::string id = project.id;
    return {{"id", key.public_key},
            {"name", "Default"},
            {"label", "Default"},
            {"public", key.public_key},
            {"secret", key.secret_key},
            {"projectId", std::stoll(project.id)},
            {"isActive", key.active},
            {"rateLimit", nullptr},
            {"dsn",
             {{"secret", dsn_of(project, key, true)},
              {"public", dsn_of(project, key, false)},
              {"csp", base_url() + "/api/" + id + "/csp-report/?sentry_key=" + key.public_key},
              {"security", base_url() + "/api/" + id + "/security/?sentry_key=" + key.public_key}}},
            {"dateCreated", "2024-05-01T10:00:00.000000Z"}};
}

json FakeSentry::issue_json(const std::string& id, const Issue& issue) const {
    json details = json::object();
    json substatus = nullptr;
    if (issue.status == "ignored") {
        substatus = issue.ignore_minutes > 0 ? "archived_until_condition_met" : "archived_forever";
        if (issue.ignore_minutes > 0) details["ignoreDuration"] = issue.ignore_minutes;
    } else if (issue.status == "unresolved") {
        substatus = "ongoing";
    }
    return {{"id", id},
            {"shortId", upper(issue.project) + "-" + std::to_string(issue.short_number)},
            {"title", "TypeError: Cannot read properties of undefined (reading 'id')"},
            {"culprit", "app/handlers/orders.py in create_order"},
            {"permalink", base_url() + "/organizations/" + kOrg + "/issues/" + id + "/"},
            {"logger", nullptr},
            {"level", "error"},
            {"status", issue.status},
            {"statusDetails", details},
            {"substatus", substatus},
            {"isPublic", false},
            {"platform", "python"},
            {"project", {{"id", "4505"}, {"name", issue.project}, {"slug", issue.project}}},
            {"type", "error"},
            {"numComments", 0},
            {"assignedTo", nullptr},
            {"isBookmarked", false},
            {"isSubscribed", false},
            {"hasSeen", true},
            {"count", "12"},
            {"userCount", 3},
            {"firstSeen", "2024-05-01T10:00:00.000000Z"},
            {"lastSeen", "2024-05-01T10:42:00.000000Z"}};
}

}  // namespace opsbot::test
