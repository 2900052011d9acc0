// ipckit::handoff::ClientInfo: what the daemon tells a worker about each client it hands over.
//
// It travels beside the client's descriptor in one control message (protocol.hpp,
// docs/handoff.md "Wire protocol"). Thread safety: a plain copyable value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipckit/net/inet_address.hpp"

namespace ipckit::handoff {

struct ClientInfo {
  std::uint64_t id = 0;               // unique per daemon run; what done() names
  net::InetAddress peer;              // the client's address and port
  net::InetAddress local;             // the address and port it connected to
  std::int64_t accepted_unix_ns = 0;  // wall-clock time of accept(2), ns since the Unix epoch
  // The screens it passed, in order: "access" (allow/deny lists), "rate", "concurrency",
  // "pregreet"; or "cache" when a recent pass let it skip the waiting ones.
  std::vector<std::string> screens;
  bool banner_sent = false;   // the daemon already sent the pregreet banner (a "220-" line)
  unsigned redispatched = 0;  // how many workers died or stalled before acknowledging it
};

}  // namespace ipckit::handoff
