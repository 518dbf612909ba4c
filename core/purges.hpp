#pragma once
// Cache purges as commands see them; Cloudflare stays behind PurgeService.

#include <string>
#include <vector>

#include "core/catalogue.hpp"
#include "core/result.hpp"

namespace opsbot {

struct PurgeRequest {
    std::string project;
    Env env = Env::prod;
    std::string domain;             // the environment's domain, to find its zone
    std::string zone_id;            // from the catalogue; empty: looked up by domain
    std::vector<std::string> urls;  // empty: everything
};

struct PurgeDone {
    std::string zone_id;
    std::size_t calls = 0;
    std::string ids;  // Cloudflare's purge ids
};

class PurgeService {
public:
    virtual ~PurgeService() = default;
    virtual Result<PurgeDone> purge(const PurgeRequest& request) = 0;
    // The exact requests a purge would send, for --dry-run and the console
    // without credentials.
    virtual std::string describe(const PurgeRequest& request) const = 0;
    virtual bool configured() const = 0;  // false: CLOUDFLARE_API_TOKEN unset
};

}  // namespace opsbot
