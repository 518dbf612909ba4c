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
