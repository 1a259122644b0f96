// Settings: everything a configuration reload can change, bundled so that each worker
// swaps it in one step, on its own thread, between two callbacks. Exchanges in flight keep
// the values they already read; new requests see the new ones.
//
// What a reload cannot change (listening ports, workers, the cache store and memory, DNS
// set-up) is reported by restartNeeded() and keeps its old value until a restart.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cache/policy.h"
#include "common/error.h"
#include "conf/access.h"
#include "conf/config.h"
#include "conf/peers.h"
#include "proxy/access_log.h"
#include "proxy/auth.h"

namespace cuttle::proxy {

struct Settings {
  std::shared_ptr<const conf::Config> config;
  std::shared_ptr<AccessLog> access_log;
  std::string visible_hostname;
  cache::RefreshRules refresh_rules;
  cache::StoreLimits store_limits;
  std::shared_ptr<const conf::AccessRules> access_rules;  // never null
  AuthSetup auth;  // auth_param basic: config (never null) and password file
  std::shared_ptr<const std::vector<conf::CachePeer>> peers;  // cache_peer parents; never null
};

// Builds the settings for `config`: compiles the access rules (their warnings are logged;
// an error refuses the whole configuration), opens the access logs. The access log of
// `previous` is reused when the access_log directives did not change (no reopen).
Result<std::shared_ptr<const Settings>> buildSettings(std::shared_ptr<const conf::Config> config,
                                                      const Settings* previous);

// The directives whose change only a restart applies, by name.
std::vector<std::string> restartNeeded(const conf::Config& running, const conf::Config& updated);

}  // namespace cuttle::proxy
