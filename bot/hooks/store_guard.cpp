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
            // A statement the store refused (a value it cannot hold) says
            // nothing of its health: 500, and the store stays healthy.
            if (e.problem() == db::DatabaseProblem::other) {
                spdlog::error("webhook {}: not recorded, the store refused it: {}; answered 500",
                              request.path, e.what());
                const nlohmann::json body{{"error", "opsbot could not record this request"}};
                return net::OutgoingResponse{500, body.dump(), "application/json", {}};
            }
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
