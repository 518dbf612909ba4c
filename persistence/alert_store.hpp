#pragma once
// Sentry alerts (migration 006): the inbox the intake writes, the issues'
// states and the Slack messages the relay keeps up to date. record() commits
// in groups (core/group_commit.hpp): a storm of webhooks costs one
// transaction per group, and each returns only once its row is committed.

#include "core/alerts.hpp"
#include "core/group_commit.hpp"
#include "persistence/database.hpp"

namespace opsbot::db {

class SqlAlertStore final : public AlertStore {
public:
    explicit SqlAlertStore(Connections& pool);
    ~SqlAlertStore() override;

    // For the intake's store: leave checkpoints to another connection.
    void defer_checkpoints();

    bool record(const std::string& dedupe_key, TimePoint received, const Alert& alert) override;
    std::vector<InboxAlert> unapplied(int limit) override;
    void apply(const std::vector<AlertIssue>& issues,
               const std::vector<std::int64_t>& inbox_ids) override;
    std::optional<AlertIssue> issue(const std::string& issue_id) override;
    std::int64_t occurrences_since(const std::string& issue_id, TimePoint since) override;

    std::vector<AlertIssue> unposted() override;
    std::vector<AlertMessage> pending_messages() override;
    std::vector<AlertIssue> issues_of(std::int64_t message_id) override;
    std::optional<AlertMessage> open_digest(const std::string& channel,
                                            TimePoint created_after) override;
    AlertMessage create_message(const std::string& channel, AlertMessageKind kind, TimePoint now,
                                const std::vector<std::string>& issue_ids) override;
    void attach(std::int64_t message_id, const std::vector<std::string>& issue_ids) override;
    void take(std::int64_t message_id) override;
    void delivered(std::int64_t message_id, const std::string& posted_to,
                   const std::string& ts) override;
    void retry_later(std::int64_t message_id) override;
    void repost(std::int64_t message_id) override;

    void set_status(const std::string& issue_id, AlertStatus status, const std::string& by,
                    std::optional<TimePoint> muted_until) override;
    std::vector<AlertIssue> recent(const std::string& project, bool open_only, int limit) override;
    std::int64_t prune(TimePoint before) override;

private:
    std::vector<AlertIssue> select_issues(Database& db, const std::string& where_and_order,
                                          const std::vector<std::string>& params);
    void set_pending(Database& db, std::int64_t message_id, bool pending);
    void set_message_of(Database& db, std::int64_t message_id,
                        const std::vector<std::string>& issue_ids);

    struct PendingRecord;
    void commit_group(const std::vector<PendingRecord*>& group);

    Connections& pool_;
    GroupCommit<PendingRecord> inbox_writes_;
};

// An Alert as the JSON the store keeps, and back.
std::string alert_to_json(const Alert& alert);
Alert alert_from_json(const std::string& text);

}  // namespace opsbot::db
