#pragma once
// The steps opsbot performs itself, over the services and adapters it
// already has: purge (the purge service), deploy (the deploy service),
// cloudflare.dns.point (moves a DNS record to the new server) and
// wait_for_http (bounded attempts; says what it got).

#include <chrono>

#include "adapters/cloudflare/cloudflare.hpp"
#include "core/catalogue_source.hpp"
#include "core/deploys.hpp"
#include "core/http.hpp"
#include "core/purges.hpp"
#include "core/runbooks.hpp"

namespace opsbot::runbooks {

struct ActionTargets {
    DeployService* deploys = nullptr;
    PurgeService* purges = nullptr;
    cloudflare::CloudflareClient* cloudflare = nullptr;  // null: CLOUDFLARE_API_TOKEN unset
    HttpClient* http = nullptr;
    const CatalogueSource* catalogue = nullptr;
    int http_attempts = 10;  // wait_for_http, unless the step says `attempts:`
    std::chrono::milliseconds http_interval{3'000};
};

struct ActionCall {
    const RunRecord& run;
    RunbookValues args;  // parameters already filled in
    Actor actor;         // on whose behalf (the on-call person)
    std::string correlation_id;
};

// What was done ("purged everything on acme.com"), or why it failed.
Result<std::string> perform_action(const ActionTargets& targets, const std::string& type,
                                   const ActionCall& call);

}  // namespace opsbot::runbooks
