// freeze [project]: the freeze windows (everyone's and each project's), the
// ones in force now with their end, and when each starts next.

#include "commands/builtin_commands.hpp"
#include "core/freeze.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

std::string in(TimePoint then, TimePoint now) {
    return format_span(std::chrono::duration_cast<std::chrono::seconds>(then - now));
}

// "• *Weekend* — every friday 15:00 to monday 08:00 (Europe/Berlin): ❄️ in
// force until …, in 2h; next from …"
std::string window_line(const FreezeWindow& w, TimePoint now) {
    std::string line = "• *" + w.name + "* — " + w.schedule + " (" + w.time_zone + "): ";
    const auto current = period_at(w, now);
    if (current)
        line += "❄️ *in force* until " + freeze_time_text(w, current->ends) + ", in " +
                in(current->ends, now);
    if (const auto next = next_period(w, current ? current->ends : now))
        line += std::string(current ? "; " : "") + "next from " +
                freeze_time_text(w, next->starts) + ", in " + in(next->starts, now);
    else if (!current)
        line += "over";
    return line + "\n";
}

std::string section(const std::string& title, const std::vector<FreezeWindow>& windows,
                    TimePoint now) {
    if (windows.empty()) return {};
    std::string text = "\n*" + title + "*\n";
    for (const auto& w : windows) text += window_line(w, now);
    return text;
}

// The first line: what holds the project's prod now, or what comes next.
std::string headline(const Catalogue& catalogue, const std::string& project, TimePoint now) {
    if (project.empty()) {
        std::vector<std::string> frozen;
        for (const auto& p : catalogue.projects)
            if (freeze_in_force(catalogue, p.slug, now)) frozen.push_back(p.slug);
        return frozen.empty()
                   ? "No freeze window is in force now."
                   : "❄️ Prod releases are frozen now for " + join(frozen, ", ") + ".";
    }
    if (const auto period = freeze_in_force(catalogue, project, now))
        return "❄️ " + project + " prod: " + describe_freeze(*period, now) + ".";
    const auto next = upcoming_freezes(catalogue, project, now);
    if (next.empty())
        return project + " prod: no freeze window is in force now, and none is coming.";
    return project + " prod: no freeze window is in force now; the next is '" +
           next.front().window.name + "' from " +
           freeze_time_text(next.front().window, next.front().starts) + ", in " +
           in(next.front().starts, now) + ".";
}

class FreezeCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        const Catalogue& catalogue = context.catalogue;
        const std::string project = args.project();
        const auto now = context.clock.now();
        std::string body = section("Everyone's", catalogue.freeze, now);
        for (const auto& p : catalogue.projects)
            if (project.empty() || p.slug == project)
                body += section(p.slug + "'s own", p.freeze, now);
        if (body.empty())
            return CommandResult::ok(
                (project.empty() ? std::string("No freeze windows are set")
                                 : "No freeze window holds " + project + " prod") +
                ": its releases are refused at no time of the week. Add `freeze:` to the "
                "catalogue to set some (docs/operations.md, Freeze windows).");
        return CommandResult::ok(
            "*Freeze windows* (prod releases are refused while one is in "
            "force; an emergency takes `--override-freeze \"<reason>\"` "
            "and a second person)\n" +
            headline(catalogue, project, now) + "\n" + body);
    }

private:
    CommandSpec spec_{
        .name = "freeze",
        .summary = "Freeze windows: when prod releases are refused, now and next",
        .params = {{.name = "project",
                    .type = ParamType::project,
                    .help = "only everyone's windows and this project's",
                    .optional = true}},
        .examples = {"freeze", "freeze acme"},
        .group = "deploys",
    };
};

}  // namespace

std::unique_ptr<Command> make_freeze_command() {
    return std::make_unique<FreezeCommand>();
}

}  // namespace opsbot::commands
