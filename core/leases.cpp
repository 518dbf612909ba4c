#include "core/leases.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace opsbot {

std::string LeaseHolder::text() const {
    return replica + "|" + host + "|" + std::to_string(pid) + "|" + nonce;
}

std::optional<LeaseHolder> LeaseHolder::parse(const std::string& text) {
    const auto first = text.find('|');
    const auto second = first == std::string::npos ? first : text.find('|', first + 1);
    const auto third = second == std::string::npos ? second : text.find('|', second + 1);
    if (third == std::string::npos) return std::nullopt;
    LeaseHolder holder;
    holder.replica = text.substr(0, first);
    holder.host = text.substr(first + 1, second - first - 1);
    const std::string pid = text.substr(second + 1, third - second - 1);
    if (pid.empty() || pid.size() > 9) return std::nullopt;
    for (const char c : pid)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    holder.pid = std::stol(pid);
    holder.nonce = text.substr(third + 1);
    return holder;
}

std::string local_host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

bool valid_replica_id(const std::string& id) {
    if (id.empty() || id.size() > 63) return false;
    for (const char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            return false;
    return true;
}

namespace {

std::string after(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size()) : "";
}

}  // namespace

ReplicaView view_replicas(const std::vector<LeaseRow>& rows) {
    ReplicaView view;
    for (const auto& row : rows) {
        if (row.left <= std::chrono::milliseconds(0)) continue;
        if (auto replica = after(row.name, "replica:"); !replica.empty()) {
            view.alive.push_back(std::move(replica));
        } else if (auto work = after(row.name, "work:"); !work.empty()) {
            const auto holder = LeaseHolder::parse(row.holder);
            view.work[work] = holder ? holder->replica : row.holder;
        }
    }
    std::sort(view.alive.begin(), view.alive.end());
    return view;
}

std::string describe(const ReplicaView& view) {
    std::string text;
    for (const auto& replica : view.alive) text += (text.empty() ? "" : ", ") + replica;
    if (text.empty()) text = "none alive";
    std::string work;
    for (const auto& [name, replica] : view.work)
        work += (work.empty() ? "" : ", ") + name + ": " + replica;
    return text + "; " + (work.empty() ? "no singleton work held" : work);
}

}  // namespace opsbot
