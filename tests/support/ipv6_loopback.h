// IPv6 loopback ([::1]) for end-to-end tests of IPv6 listeners.
//
// Contract:
//   - ipv6LoopbackAvailable() tries to bind a TCP socket to [::1]:0 (then closes it): false
//     on machines without an IPv6 loopback (IPv6 disabled, containers without it), so that
//     tests can skip instead of fail. Thread-safe.
//   - connectIpv6Loopback() connects to [::1]:port and returns a SocketStream (see
//     socket_stream.h: SOCK_CLOEXEC, bounded waits). On failure it reports a gtest failure
//     and returns a stream with valid() false.
#pragma once

#include <chrono>
#include <cstdint>

#include "tests/support/socket_stream.h"

namespace cuttle::test {

bool ipv6LoopbackAvailable();

SocketStream connectIpv6Loopback(uint16_t port, std::chrono::milliseconds timeout = kSafetyTimeout);

}  // namespace cuttle::test
