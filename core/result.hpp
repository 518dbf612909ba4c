#pragma once
// Errors as values at the boundaries: input-dependent failures (bad command,
// unknown project, upstream 4xx) come back as Error; exceptions are kept for
// infrastructure and programmer errors and are caught once per event.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace opsbot {

struct Error {
    std::string code;     // stable, machine-readable ("unknown_project", "denied")
    std::string message;  // one line for the user: what went wrong
    std::string hint;     // what to do about it; may be empty
};

// What the user reads: the message, then the hint on a line of its own when
// there is one (never a trailing line break).
inline std::string user_text(const Error& error) {
    return error.hint.empty() ? error.message : error.message + "\n" + error.hint;
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<T>(state_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<T>(state_);
    }
    T&& value() && {
        assert(ok());
        return std::get<T>(std::move(state_));
    }
    const Error& error() const {
        assert(!ok());
        return std::get<Error>(state_);
    }

private:
    std::variant<T, Error> state_;
};

struct Unit {};
using Status = Result<Unit>;

inline Status success() {
    return Unit{};
}

}  // namespace opsbot
