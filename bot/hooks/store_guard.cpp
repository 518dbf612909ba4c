#include "bot/hooks/store_guard.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "persistence/database.hpp"

namespace opsbot::hooks {

net::RequestHandler store_guarded(net::RequestHandler handler, StoreHealth& health) {
    return [handler = std::move(handler), &health](const net::IncomingRequest& request) {
        try {
            return handler(request);
        } catch (const db::DatabaseError& e) {
            spdlog::error("webhook {}: not recorded, the store failed: {}; answered 503",
                          request.path, e.what());
            health.failed("webhook", e);
            const nlohmann::json body{
                {"error", "opsbot's store is unavailable, nothing was recorded; retry later"}};
            return net::OutgoingResponse{503, body.dump(), "application/json", {}};
        }
    };
}

}  // namespace opsbot::hooks
