// Bridge endpoints: which ZeroMQ addresses the bridge takes, and when it may carry plaintext.
#pragma once

#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::bridge {

enum class Scheme { kTcp, kIpc, kInproc };

struct Endpoint {
  std::string text;  // as given, passed to zmq_bind/zmq_connect
  Scheme scheme = Scheme::kTcp;
  std::string host;    // tcp: the host or interface ("127.0.0.1", "::1", "*", "example.org")
  bool local = false;  // ipc://, inproc://, or tcp on a loopback address
};

// tcp://HOST:PORT (IPv6 as [ADDR]:PORT), ipc://PATH, inproc://NAME. EINVAL with what is wrong
// (an unknown scheme, a missing port, an empty path).
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);

// Without CURVE the bridge carries plaintext: only on local endpoints, unless `insecure`. EPERM
// with the reason otherwise. `role` is "bind" or "connect", for the message.
[[nodiscard]] Result<void> check_plaintext(const Endpoint& endpoint, bool curve, bool insecure,
                                           std::string_view role);

}  // namespace ipckit::bridge
