#include "persistence/envelope_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "persistence/database.hpp"

namespace opsbot::db {
namespace {

// A journal this large with nothing pending is emptied, so that a busy
// month does not leave a big file behind.
constexpr std::size_t kEmptyAbove = 1 << 20;

std::runtime_error file_error(const std::string& what, const std::string& path) {
    return std::runtime_error("envelope journal " + path + ": " + what + ": " +
                              std::strerror(errno));
}

long long unix_ms(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// Reads the numbers of a header line; false when it is not one.
bool read_numbers(std::string_view line, long long* out, int count) {
    const char* at = line.data();
    const char* end = line.data() + line.size();
    for (int i = 0; i < count; ++i) {
        if (i > 0 && (at == end || *at++ != ' ')) return false;
        const auto [next, error] = std::from_chars(at, end, out[i]);
        if (error != std::errc{} || out[i] < 0) return false;
        at = next;
    }
    return at == end;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw file_error("cannot write", path);
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

void append_envelope_record(std::string& out, std::string_view id, std::string_view body,
                            TimePoint received) {
    out += '+';
    out += std::to_string(id.size());
    out += ' ';
    out += std::to_string(body.size());
    out += ' ';
    out += std::to_string(unix_ms(received));
    out += '\n';
    out.append(id).append(body).push_back('\n');
}

std::string handled_record(std::string_view id) {
    std::string out = "-" + std::to_string(id.size()) + "\n";
    out.append(id).push_back('\n');
    return out;
}

std::string envelope_journal_path(const std::string& database_path) {
    return is_memory_database(database_path) ? std::string{} : database_path + "-envelopes";
}

std::vector<JournaledEnvelope> parse_envelope_journal(std::string_view bytes,
                                                      std::size_t* ignored) {
    std::vector<std::optional<JournaledEnvelope>> records;  // reset once handled
    std::unordered_map<std::string, std::size_t> open;      // id → index in records
    std::size_t at = 0;
    while (at < bytes.size()) {
        const auto eol = bytes.find('\n', at);
        if (eol == std::string_view::npos) break;
        const auto header = bytes.substr(at + 1, eol - at - 1);
        const char kind = bytes[at];
        long long n[3] = {0, 0, 0};
        const int fields = kind == '+' ? 3 : 1;
        if ((kind != '+' && kind != '-') || !read_numbers(header, n, fields)) break;
        const auto id_size = static_cast<std::size_t>(n[0]);
        const auto body_size = kind == '+' ? static_cast<std::size_t>(n[1]) : 0;
        const auto record_end = eol + 1 + id_size + body_size;
        if (record_end >= bytes.size() || bytes[record_end] != '\n') break;
        std::string id(bytes.substr(eol + 1, id_size));
        if (kind == '+') {
            open[id] = records.size();
            records.push_back(JournaledEnvelope{
                std::move(id), std::string(bytes.substr(eol + 1 + id_size, body_size)),
                TimePoint(std::chrono::milliseconds(n[2]))});
        } else if (const auto it = open.find(id); it != open.end()) {
            records[it->second].reset();
            open.erase(it);
        }
        at = record_end + 1;
    }
    if (ignored) *ignored = bytes.size() - at;
    std::vector<JournaledEnvelope> unhandled;
    for (auto& record : records)
        if (record) unhandled.push_back(std::move(*record));
    return unhandled;
}

bool PendingEnvelopes::finished(const std::string& id) {
    const auto it = pending_.find(id);
    if (it == pending_.end() || --it->second > 0) return false;
    pending_.erase(it);
    return true;
}

FileEnvelopeJournal::FileEnvelopeJournal(std::string path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {
    left_over_ = parse_envelope_journal(read_file(path_));
    // Rewritten whole and renamed into place, so that a crash now leaves
    // either the old journal or the new one.
    std::string kept;
    for (const auto& entry : left_over_) {
        append_envelope_record(kept, entry.envelope_id, entry.body, entry.received);
        pending_.arrived(entry.envelope_id);
    }
    const std::string fresh = path_ + ".new";
    const int out = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) throw file_error("cannot create", fresh);
    try {
        write_all(out, kept, fresh);
        if (::fsync(out) != 0) throw file_error("cannot sync", fresh);
    } catch (...) {
        ::close(out);
        throw;
    }
    ::close(out);
    if (::rename(fresh.c_str(), path_.c_str()) != 0) throw file_error("cannot replace", path_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw file_error("cannot open", path_);
    size_ = kept.size();
}

FileEnvelopeJournal::~FileEnvelopeJournal() {
    if (fd_ >= 0) ::close(fd_);
}

// One process owns the file: a redelivery is answered by the router's own
// deduplication, never a duplicate here.
std::size_t FileEnvelopeJournal::record(const std::vector<Arrival>& arrivals,
                                        std::vector<bool>* duplicates) {
    if (duplicates) duplicates->assign(arrivals.size(), false);
    const auto now = clock_.now();
    std::string bytes;
    std::size_t size = 0;
    for (const auto& arrival : arrivals)
        size += arrival.envelope_id.size() + arrival.body.size() + 48;
    bytes.reserve(size);
    std::size_t added = 0;
    std::lock_guard lock(mutex_);
    for (const auto& arrival : arrivals) {
        if (!pending_.arrived(std::string(arrival.envelope_id))) continue;
        append_envelope_record(bytes, arrival.envelope_id, arrival.body, now);
        ++added;
    }
    try {
        if (!bytes.empty()) append(bytes);
    } catch (...) {
        // Not acknowledged, so Slack delivers them again: as new then.
        for (const auto& arrival : arrivals) pending_.finished(std::string(arrival.envelope_id));
        throw;
    }
    return added;
}

void FileEnvelopeJournal::handled(const std::string& envelope_id) {
    std::lock_guard lock(mutex_);
    if (!pending_.finished(envelope_id)) return;
    if (pending_.size() == 0 && size_ > kEmptyAbove) {
        // Appends go to the end, which is now the start.
        if (::ftruncate(fd_, 0) != 0) throw file_error("cannot empty", path_);
        size_ = 0;
        return;
    }
    append(handled_record(envelope_id));
}

std::size_t FileEnvelopeJournal::pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

void FileEnvelopeJournal::append(const std::string& bytes) {
    try {
        write_all(fd_, bytes, path_);
    } catch (...) {
        // A half-written record would hide every record after it.
        [[maybe_unused]] const int ignored = ::ftruncate(fd_, static_cast<off_t>(size_));
        throw;
    }
    size_ += bytes.size();
}

}  // namespace opsbot::db
