#pragma once
// A clock the test moves by hand.

#include "core/time.hpp"

namespace opsbot::test {

class ManualClock final : public Clock {
public:
    TimePoint now() const override { return time; }
    void advance(std::chrono::milliseconds step) { time += step; }
    TimePoint time = *parse_iso8601("2026-11-24T22:13:47.123Z");
};

}  // namespace opsbot::test
