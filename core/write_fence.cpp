#include "core/write_fence.hpp"

namespace opsbot {
namespace {
thread_local const LeaseGrant* fence = nullptr;
}  // namespace

WriteFence::WriteFence(const LeaseGrant& grant) : outer_(fence) {
    fence = &grant;
}

WriteFence::~WriteFence() {
    fence = outer_;
}

const LeaseGrant* WriteFence::current() {
    return fence;
}

}  // namespace opsbot
