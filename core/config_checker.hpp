#pragma once
// Reads YAML for the catalogue loaders and collects every problem with its
// line and a fix. Shared by config_loader and freeze_config.

#include <algorithm>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config_loader.hpp"
#include "core/text.hpp"

namespace opsbot {

// Collects every problem of one file; never throws.
class ConfigChecker {
public:
    explicit ConfigChecker(std::string file) : file_(std::move(file)) {}

    SourceLocation at(const YAML::Node& node) const {
        const auto mark = node.Mark();
        return {file_, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
    }

    void problem(const YAML::Node& node, std::string message, std::string fix) {
        problems_.push_back({at(node), std::move(message), std::move(fix)});
    }

    bool expect(const YAML::Node& node, YAML::NodeType::value type, const std::string& what) {
        if (node.Type() == type) return true;
        const char* shape = type == YAML::NodeType::Map        ? "a map of keys"
                            : type == YAML::NodeType::Sequence ? "a list"
                                                               : "a single value";
        problem(node, what + " must be " + shape, "see the example in config/opsbot.yaml");
        return false;
    }

    // Every key must be one of allowed; a typo gets a suggestion.
    void known_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                    const std::string& where) {
        for (const auto& entry : map) {
            const auto key = entry.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            const auto hint = did_you_mean(key, allowed);
            problem(entry.first, "unknown key '" + key + "' in " + where,
                    hint.empty() ? "allowed keys: " + join(allowed, ", ") : hint);
        }
    }

    std::string text(const YAML::Node& map, const std::string& key, const std::string& where,
                     bool required) {
        const auto node = map[key];
        if (!node) {
            if (required)
                problem(map, where + " has no '" + key + "'", "add '" + key + ": …' to " + where);
            return {};
        }
        if (!expect(node, YAML::NodeType::Scalar, "'" + key + "' in " + where)) return {};
        return node.Scalar();
    }

    std::vector<std::string> list(const YAML::Node& map, const std::string& key,
                                  const std::string& where) {
        std::vector<std::string> out;
        const auto node = map[key];
        if (!node) return out;
        if (node.IsScalar()) return {node.Scalar()};
        if (!expect(node, YAML::NodeType::Sequence, "'" + key + "' in " + where)) return out;
        for (const auto& item : node)
            if (expect(item, YAML::NodeType::Scalar, "an entry of '" + key + "' in " + where))
                out.push_back(item.Scalar());
        return out;
    }

    // The key itself, for problems about a whole section ("has no prod").
    static YAML::Node key_of(const YAML::Node& map, const std::string& key) {
        for (const auto& entry : map)
            if (entry.first.Scalar() == key) return entry.first;
        return map;
    }

    std::vector<ConfigProblem> take() { return std::move(problems_); }
    const std::string& file() const { return file_; }

private:
    std::string file_;
    std::vector<ConfigProblem> problems_;
};

}  // namespace opsbot
