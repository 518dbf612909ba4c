#pragma once
// The fake Slack's views: views.open (with trigger_ids that expire after 3 s
// and serve once), views.update (with hash checks), views.publish (Home
// tabs), each refusing a view over Slack's limits (block_kit_limits.hpp).
// Tests read back what opsbot opened and published.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_server.hpp"

namespace opsbot::test {

class FakeViews {
public:
    static constexpr std::chrono::seconds kTriggerLife{3};

    // A trigger_id handed out with an interaction.
    void issued(const std::string& trigger_id);
    // Every trigger counts as expired (an opsbot too slow to open the modal).
    void expire_triggers(bool expired);
    FakeResponse call(const std::string& method, const nlohmann::json& body);

    // What opsbot showed: a view as it is now (with "id" and "hash").
    std::optional<nlohmann::json> view(const std::string& view_id) const;
    // The modal opened with this trigger_id, as it is now.
    std::optional<nlohmann::json> opened_with(const std::string& trigger_id) const;
    std::optional<nlohmann::json> home_of(const std::string& user) const;
    std::size_t publishes(const std::string& user) const;
    std::size_t updates(const std::string& view_id) const;
    // What the person typed or chose in a view, as an interaction carried it
    // (with view.state); the fake Slack records it as it sends one.
    void entered(const std::string& view_id, const nlohmann::json& view_with_state);
    // What an input shows now, by Slack's documented rule: across
    // views.update, an input whose block_id and action_id are unchanged keeps
    // what was entered; else it shows its new initial value.
    std::string shown(const std::string& view_id, const std::string& block_id) const;
    // Why views were refused (views.open, update or publish), one per problem.
    std::vector<std::string> refusals() const;
    // Calls refused because the trigger had expired or served already.
    std::size_t trigger_refusals() const;

    bool wait_for_home(const std::string& user, std::size_t publishes,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::optional<nlohmann::json> wait_for_opened(
        const std::string& trigger_id,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // Until the view satisfies test, or timeout; the view as last seen.
    std::optional<nlohmann::json> wait_for_view(
        const std::string& view_id, const std::function<bool(const nlohmann::json&)>& test,
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    // Element states as Slack puts them in view.state.values.
    static nlohmann::json text(const std::string& value);
    static nlohmann::json select(const std::string& value,
                                 const std::string& type = "static_select");
    static nlohmann::json date(const std::string& value);
    static nlohmann::json checked(const std::vector<std::string>& values);
    // The values of a view's inputs as it shows them (initial_option,
    // initial_value, initial_date, initial_options), block_id → element
    // state: what Slack submits when the person changes nothing.
    static nlohmann::json as_shown(const nlohmann::json& view);

private:
    struct Stored {
        nlohmann::json view;
        std::string user;  // for a Home tab
        std::size_t updates = 0;
    };
    FakeResponse refuse_invalid(const nlohmann::json& view);
    nlohmann::json store(const std::string& id, nlohmann::json view, const std::string& user);

    mutable std::mutex mutex_;
    std::map<std::string, std::chrono::steady_clock::time_point> triggers_;  // unused ones
    std::map<std::string, std::string> opened_by_trigger_;                   // → view id
    std::map<std::string, Stored> views_;                                    // by id
    std::map<std::string, nlohmann::json> entered_;  // by id: the view, with its state
    std::map<std::string, std::size_t> publishes_;   // by user
    std::vector<std::string> refusals_;
    std::size_t trigger_refusals_ = 0;
    bool expired_ = false;
    int next_ = 1;
};

}  // namespace opsbot::test
