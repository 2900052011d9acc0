// /proc/net/unix, parsed (see ipc_listing.hpp).
#include <charconv>
#include <string>

#include "ipckit/inspect/ipc_listing.hpp"

namespace ipckit::inspect {

namespace {

constexpr unsigned kAcceptConnFlag = 0x10000;  // __SO_ACCEPTCON: a listening socket

// Empty (null in JSON) for any other number: a connection still waiting in a listener's backlog
// shows type 0 on some kernels (the embryo socket has no `struct socket` yet).
std::string socket_type(unsigned type) {
  switch (type) {
    case 1:
      return "stream";
    case 2:
      return "dgram";
    case 5:
      return "seqpacket";
    default:
      return {};
  }
}

std::string socket_state(unsigned state, unsigned flags) {
  if ((flags & kAcceptConnFlag) != 0) return "listen";
  switch (state) {
    case 1:
      return "unconnected";
    case 2:
      return "connecting";
    case 3:
      return "connected";
    case 4:
      return "disconnecting";
    default:
      return std::to_string(state);
  }
}

template <class T>
bool parse_field(std::string_view& line, T& value, int base) {
  const auto begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) return false;
  line.remove_prefix(begin);
  const auto end = line.find(' ');
  const auto field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value, base);
  return ec == std::errc() && ptr == field.data() + field.size();
}

}  // namespace

std::vector<UnixSocketLine> parse_proc_net_unix(std::string_view text) {
  // "Num       RefCount Protocol Flags    Type St Inode Path"
  // "ffff8a0c...: 00000002 00000000 00010000 0001 01 23456 /run/x.sock"
  std::vector<UnixSocketLine> sockets;
  bool header = true;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (header) {
      header = false;
      continue;
    }
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    line.remove_prefix(colon + 1);
    unsigned refcount = 0;
    unsigned protocol = 0;
    unsigned flags = 0;
    unsigned type = 0;
    unsigned state = 0;
    std::uint64_t inode = 0;
    if (!parse_field(line, refcount, 16) || !parse_field(line, protocol, 16) ||
        !parse_field(line, flags, 16) || !parse_field(line, type, 16) ||
        !parse_field(line, state, 16) || !parse_field(line, inode, 10))
      continue;
    UnixSocketLine s;
    s.inode = inode;
    const auto path = line.find_first_not_of(' ');
    if (path != std::string_view::npos) s.path = std::string(line.substr(path));
    s.type = socket_type(type);
    s.state = socket_state(state, flags);
    sockets.push_back(std::move(s));
  }
  return sockets;
}

}  // namespace ipckit::inspect
