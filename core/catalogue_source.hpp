#pragma once
// The catalogue as it is now. Projects added at run time (newproject) become
// visible to the next command or webhook without a restart; whoever is
// reading keeps the snapshot it took, so nothing changes under its feet.

#include <memory>
#include <mutex>

#include "core/catalogue.hpp"

namespace opsbot {

class CatalogueSource {
public:
    explicit CatalogueSource(Catalogue catalogue = {})
        : current_(std::make_shared<const Catalogue>(std::move(catalogue))) {}

    std::shared_ptr<const Catalogue> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }

    void replace(Catalogue catalogue) {
        auto next = std::make_shared<const Catalogue>(std::move(catalogue));
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

    // Adds the project, or replaces the one with its slug.
    void upsert_project(const Project& project) {
        std::lock_guard lock(mutex_);
        auto next = std::make_shared<Catalogue>(*current_);
        upsert(*next, project);
        current_ = std::move(next);
    }

    static void upsert(Catalogue& catalogue, const Project& project) {
        for (auto& existing : catalogue.projects)
            if (existing.slug == project.slug) {
                existing = project;
                return;
            }
        catalogue.projects.push_back(project);
    }

    // The YAML catalogue with the registry's projects; on a clash the
    // registry wins, being the newer word.
    static Catalogue merged(Catalogue base, const std::vector<Project>& registered) {
        for (const auto& project : registered) upsert(base, project);
        return base;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Catalogue> current_;
};

}  // namespace opsbot
