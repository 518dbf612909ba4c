// audit [project] and audit verify: read and check the audit log from chat.

#include "commands/builtin_commands.hpp"
#include "core/audit_query.hpp"
#include "core/text.hpp"

namespace opsbot::commands {
namespace {

constexpr int kDefaultRows = 20;
constexpr int kMaxRows = 200;

class AuditCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs& args) const override {
        const AuditFilterText filter{args.flag_value("since"), args.project(),
                                     args.flag_value("actor"), args.flag_value("outcome"),
                                     args.flag_value("limit")};
        auto query = build_audit_query(filter, context.clock.now(), kDefaultRows, kMaxRows);
        if (!query) return CommandResult::failure(query.error());
        const auto rows = context.audit.query(query.value());
        std::string text =
            "*Audit log* — " + std::to_string(rows.size()) + " row(s), newest first\n";
        text += "```\n" + format_audit(rows, AuditFormat::table) + "```";
        return CommandResult::ok(text, Visibility::ephemeral);
    }

private:
    CommandSpec spec_{
        .name = "audit",
        .summary = "Show recent audit log rows: who did what, when, and how it ended",
        .params = {{.name = "project",
                    .type = ParamType::project,
                    .help = "only rows about this project",
                    .optional = true}},
        .flags =
            {{.name = "since", .help = "a duration back (1h, 2d) or a date", .value_name = "when"},
             {.name = "actor",
              .help = "only this person (@mention or user id)",
              .value_name = "user",
              .type = ParamType::user},
             {.name = "outcome", .help = "only rows with this outcome", .value_name = "outcome"},
             {.name = "limit", .help = "at most this many rows (default 20)", .value_name = "n"}},
        .examples = {"audit", "audit acme --since 1d", "audit --actor @alice --outcome denied"},
        .permission = "audit",
        .group = "audit",
    };
};

class AuditVerifyCommand final : public Command {
public:
    const CommandSpec& spec() const override { return spec_; }

    CommandResult run(CommandContext& context, const ParsedArgs&) const override {
        const auto check = context.audit.verify();
        if (check.ok)
            return CommandResult::ok("Audit chain intact: " + std::to_string(check.rows_checked) +
                                     " row(s) verified.");
        const std::string row = check.first_bad_row ? std::to_string(*check.first_bad_row) : "?";
        return CommandResult::failure(
            "Audit chain broken at row " + row + ": " + check.problem +
                ". Rows before it are intact; keep a copy of the database "
                "and investigate who changed it.",
            "audit chain broken at row " + row);
    }

private:
    CommandSpec spec_{
        .name = "audit verify",
        .summary = "Check the audit log's hash chain and name the first row that does not match",
        .examples = {"audit verify"},
        .permission = "audit",
        .group = "audit",
    };
};

}  // namespace

std::unique_ptr<Command> make_audit_command() {
    return std::make_unique<AuditCommand>();
}
std::unique_ptr<Command> make_audit_verify_command() {
    return std::make_unique<AuditVerifyCommand>();
}

}  // namespace opsbot::commands
