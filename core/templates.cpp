#include "core/templates.hpp"

namespace opsbot {

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

Result<std::string> fill_template(std::string_view text,
                                  const std::map<std::string, std::string>& values,
                                  std::string (*escape)(std::string_view)) {
    std::string out;
    std::size_t at = 0;
    while (true) {
        const auto open = text.find("{{", at);
        if (open == std::string_view::npos) break;
        const auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        const std::string name(text.substr(open + 2, close - open - 2));
        const auto value = values.find(name);
        if (value == values.end())
            return Error{"template_unknown",
                         "the template uses {{" + name +
                             "}}, which opsbot "
                             "does not fill",
                         "use only: " + [&values] {
                             std::string names;
                             for (const auto& [key, v] : values)
                                 names += (names.empty() ? "{{" : ", {{") + key + "}}";
                             return names;
                         }()};
        out.append(text.substr(at, open - at));
        out += escape ? escape(value->second) : value->second;
        at = close + 2;
    }
    out.append(text.substr(at));
    return out;
}

}  // namespace opsbot
