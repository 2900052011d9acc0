// The handoff wire protocol: the messages the daemon and its workers exchange on the control
// socket, and their encoding. docs/handoff.md "Wire protocol" is the normative description, so
// that a worker in any language can take part; these functions are the C++ side of it.
//
// Transport: an AF_UNIX SOCK_SEQPACKET connection (message boundaries kept). Every message is one
// seqpacket whose payload is one JSON object (UTF-8, at most kMaxMessage bytes) with an "op"
// member. A "client" message carries exactly one descriptor (SCM_RIGHTS): the client's TCP socket.
// Unknown members are ignored (newer peers may add some); unknown ops are a protocol error.
//
//   worker → daemon  {"op":"register","protocol":1,"name":"echo","capacity":64}   first message
//                    {"op":"ack","id":N}     client N's descriptor was received: it is delivered
//                    {"op":"done","id":N}    client N is finished: one unit of capacity returns
//   daemon → worker  {"op":"registered","worker":W,"daemon_pid":P}
//                    {"op":"client","id":N,"peer":"…","local":"…","accepted_unix_ns":T,
//                     "screens":[…],"banner_sent":B,"redispatched":R}      + 1 descriptor
//                    {"op":"refused","reason":"…"}  then the daemon closes the connection
//   any client → daemon  {"op":"stats"}  (instead of register) → one {"op":"stats",…} reply
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "ipckit/core/error.hpp"
#include "ipckit/handoff/client_info.hpp"

namespace ipckit::handoff::protocol {

inline constexpr int kVersion = 1;
// The largest message either side sends or accepts, in bytes.
inline constexpr std::size_t kMaxMessage = std::size_t{64} * 1024;

struct Register {
  std::string name;            // for logs and stats; 1-64 printable ASCII characters
  std::uint32_t capacity = 1;  // clients the worker holds at once (acknowledged, not done); >= 1
};
struct Ack {
  std::uint64_t id = 0;
};
struct Done {
  std::uint64_t id = 0;
};
struct StatsRequest {};
struct Registered {
  std::uint32_t worker = 0;  // the daemon's number for this worker
  std::int32_t daemon_pid = 0;
};
struct Client {
  ClientInfo info;  // the descriptor travels beside it
};
struct Refused {
  std::string reason;
};
struct StatsReply {
  std::string json;  // the whole reply object, as sent (stats.hpp decodes it)
};

using WorkerMessage = std::variant<Register, Ack, Done, StatsRequest>;
using DaemonMessage = std::variant<Registered, Client, Refused, StatsReply>;

[[nodiscard]] std::string encode(const WorkerMessage& message);
[[nodiscard]] std::string encode(const DaemonMessage& message);

// Errors: EPROTO with a detail naming the problem ("not JSON", "no op", "unknown op 'x'",
// "capacity must be at least 1", "name must be 1-64 printable characters", "bad address 'x'").
[[nodiscard]] Result<WorkerMessage> decode_worker_message(std::string_view payload);
[[nodiscard]] Result<DaemonMessage> decode_daemon_message(std::string_view payload);

}  // namespace ipckit::handoff::protocol
