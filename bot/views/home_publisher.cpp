#include "bot/views/home_publisher.hpp"

#include <spdlog/spdlog.h>

#include "bot/views/home_view.hpp"
#include "core/dashboard.hpp"

namespace opsbot::views {

HomePublisher::HomePublisher(HomeDeps deps, std::chrono::milliseconds delay)
    : deps_(std::move(deps)), delay_(delay), worker_([this] { run(); }) {}

HomePublisher::~HomePublisher() {
    stop();
}

void HomePublisher::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !worker_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void HomePublisher::schedule(const std::string& user_id) {
    auto [it, added] = pending_.try_emplace(user_id);
    if (added) it->second.due = std::chrono::steady_clock::now() + delay_;
    ++it->second.requests;
}

void HomePublisher::request(const std::string& user_id) {
    if (user_id.empty()) return;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        schedule(user_id);
    }
    wake_.notify_all();
}

void HomePublisher::project_changed(const std::string& project) {
    if (project.empty()) return;
    const auto catalogue = deps_.catalogue.current();
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        for (const auto& member : catalogue->members) {
            if (member.roles.empty() || !member.covers_project(project)) continue;
            if (!member.user.empty()) schedule(member.user);
            if (!member.usergroup.empty() && deps_.group_members) groups_.insert(member.usergroup);
        }
        for (const auto& [user, projects] : shown_)
            if (projects.count(project)) schedule(user);
    }
    wake_.notify_all();
}

// One worker: it sleeps until the earliest due publish, takes every due one
// and publishes them outside the lock, so requests never wait on Slack.
void HomePublisher::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (!groups_.empty()) {
            schedule_groups(lock);
            continue;
        }
        if (pending_.empty()) {
            wake_.wait(lock);
            continue;
        }
        auto earliest = pending_.begin();
        for (auto it = pending_.begin(); it != pending_.end(); ++it)
            if (it->second.due < earliest->second.due) earliest = it;
        if (earliest->second.due > std::chrono::steady_clock::now()) {
            wake_.wait_until(lock, earliest->second.due);
            continue;
        }
        const std::string user = earliest->first;
        const std::size_t requests = earliest->second.requests;
        pending_.erase(earliest);
        lock.unlock();
        try {
            publish(user, requests);
        } catch (const std::exception& e) {
            spdlog::error("home: could not build the Home tab of {}: {}", user, e.what());
        }
        lock.lock();
    }
}

void HomePublisher::schedule_groups(std::unique_lock<std::mutex>& lock) {
    const auto groups = std::move(groups_);
    groups_.clear();
    lock.unlock();
    std::vector<std::string> users;
    for (const auto& group : groups) {
        const auto members = deps_.group_members(group);
        if (!members) {
            spdlog::warn("home: cannot read user group {} to refresh its members' tabs: {}", group,
                         members.error().message);
            continue;
        }
        users.insert(users.end(), members.value().begin(), members.value().end());
    }
    lock.lock();
    for (const auto& user : users) schedule(user);
}

void HomePublisher::publish(const std::string& user_id, std::size_t requests) {
    const auto catalogue = deps_.catalogue.current();
    const Actor actor = deps_.actor_of(user_id);
    const auto dashboard = gather_dashboard(*catalogue, deps_.services, actor, deps_.clock.now());
    const auto published = deps_.publish(user_id, home_view(dashboard));
    if (!published) {
        spdlog::warn("home: Slack refused the Home tab of {}: {} ({})", user_id,
                     published.error().message, published.error().code);
        return;
    }
    std::set<std::string> projects;
    for (const auto& board : dashboard.projects) projects.insert(board.project.slug);
    {
        std::lock_guard lock(mutex_);
        shown_[user_id] = std::move(projects);
    }
    spdlog::info("home: published the Home tab of {} ({} request(s), {} project(s))", user_id,
                 requests, dashboard.projects.size());
}

}  // namespace opsbot::views
