#pragma once
// Webhooks answer 503 when the store could not take their write (the
// database is down or restarting), so that the sender delivers them again:
// never a 2xx for what was not committed, nor a 500 that reads as a bug.

#include "bot/net/http_server.hpp"
#include "bot/store_health.hpp"

namespace opsbot::hooks {

// handler, with a db::DatabaseError turned into a 503 and reported to health.
net::RequestHandler store_guarded(net::RequestHandler handler, StoreHealth& health);

}  // namespace opsbot::hooks
