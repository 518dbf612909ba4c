// Precompiled for opsbot_net and the test fakes (cmake/pch.cmake): Asio and
// Beast, which every file of theirs includes, on top of the common headers.
#pragma once

#include "cmake/pch/common.hpp"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
