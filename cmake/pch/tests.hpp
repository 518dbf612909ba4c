// Precompiled for the test runner (cmake/pch.cmake): Catch2's single header is
// ~18,000 lines, parsed once instead of once per test file.
#pragma once

#include "cmake/pch/common.hpp"

#include <catch2/catch.hpp>
