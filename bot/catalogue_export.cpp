#include "bot/catalogue_export.hpp"

#include <filesystem>
#include <fstream>
#include <ostream>

#include "bot/app.hpp"
#include "core/catalogue_source.hpp"
#include "core/catalogue_writer.hpp"
#include "core/config_loader.hpp"
#include "persistence/storage.hpp"

namespace opsbot {

int export_catalogue(const Settings& settings, const std::vector<std::string>& args,
                     std::ostream& out, std::ostream& err) {
    std::string file;
    bool force = false;
    for (const auto& arg : args) {
        if (arg == "--force")
            force = true;
        else if (file.empty())
            file = arg;
        else {
            err << "opsbot export-catalogue: one file at most\n";
            return 2;
        }
    }
    auto loaded = load_catalogue_file(settings.config_path);
    if (!loaded.ok()) {
        err << format_problems(loaded.problems);
        return 1;
    }
    std::vector<Project> registered;
    try {
        const SystemClock clock;  // the stores keep a reference: it outlives them
        registered = open_storage(settings, clock)->projects().all();
    } catch (const db::DatabaseError& e) {
        err << "opsbot export-catalogue: " << e.what() << "\n";
        return 1;
    }
    const auto merged = CatalogueSource::merged(std::move(loaded.catalogue), registered);
    if (file.empty() || file == "-") {
        out << catalogue_yaml(merged, ".");
        return 0;
    }
    if (std::filesystem::exists(file) && !force) {
        err << "opsbot export-catalogue: " << file
            << " exists; add --force to replace it (keep a copy: comments are not kept)\n";
        return 1;
    }
    const auto folder = std::filesystem::path(file).parent_path().string();
    std::ofstream stream(file, std::ios::binary | std::ios::trunc);
    stream << catalogue_yaml(merged, folder.empty() ? "." : folder);
    if (!stream.flush()) {
        err << "opsbot export-catalogue: cannot write " << file << "\n";
        return 1;
    }
    out << "wrote " << merged.projects.size() << " project(s) to " << file << " ("
        << registered.size() << " from the project registry)\n";
    return 0;
}

}  // namespace opsbot
