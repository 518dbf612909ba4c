#pragma once
// Publishes people's Home tabs (views.publish), debounced per person: the
// first request for a person starts a short delay (OPSBOT_HOME_DEBOUNCE) and
// every request within it joins the same publish, so a burst (a deploy's
// accepted, started and succeeded rows; someone opening the tab twice) costs
// one call. A request that comes while that person's tab is being published
// makes one more publish after it, so the last change is always shown.
//
// Who is concerned by a change to a project: the catalogue's members whose
// entry covers it, named by user id or through a user group (its members
// read from Slack by the worker, cached by the Web API client), and anyone
// who opened their tab here whose tab showed it. They are published to even
// before they open the tab: it is then fresh when they do, and it is what
// lets every replica keep them current.
//
// Replicas: each one publishes for the changes it sees (the rows its own
// commands, deploy followers and webhooks audit), to everyone concerned,
// whichever replica their tab was opened on. Two replicas may publish the
// same tab moments apart: both views are current, the later one stays.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/catalogue_source.hpp"
#include "core/command.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace opsbot::views {

struct HomeDeps {
    const CatalogueSource& catalogue;
    const Services& services;
    const Clock& clock;
    // The person as the router sees them, user groups resolved.
    std::function<Actor(const std::string& user_id)> actor_of;
    // views.publish
    std::function<Status(const std::string& user_id, const nlohmann::json& view)> publish;
    // usergroups.users.list; unset: group members are reached once they open
    // their tab here.
    std::function<Result<std::vector<std::string>>(const std::string& usergroup)> group_members;
};

class HomePublisher {
public:
    HomePublisher(HomeDeps deps, std::chrono::milliseconds delay);
    ~HomePublisher();
    HomePublisher(const HomePublisher&) = delete;
    HomePublisher& operator=(const HomePublisher&) = delete;

    // The person opened their Home tab: publish it (debounced).
    void request(const std::string& user_id);
    // Something about this project changed: publish the tabs of those concerned.
    void project_changed(const std::string& project);
    // Publishes what is due no more; the worker is joined.
    void stop();

private:
    struct Pending {
        std::chrono::steady_clock::time_point due;
        std::size_t requests = 0;
    };
    void schedule(const std::string& user_id);  // under mutex_
    // Resolves the groups a change concerned (outside the lock: Web API
    // calls) and schedules their members.
    void schedule_groups(std::unique_lock<std::mutex>& lock);
    void run();
    void publish(const std::string& user_id, std::size_t requests);

    HomeDeps deps_;
    const std::chrono::milliseconds delay_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, Pending> pending_;
    std::set<std::string> groups_;  // user groups whose members are to be scheduled
    // Who had a tab published here, and the projects it showed.
    std::map<std::string, std::set<std::string>> shown_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace opsbot::views
