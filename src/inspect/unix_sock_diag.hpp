// Unix domain socket peers from the kernel's sock_diag netlink interface. Not installed.
//
// /proc/net/unix names every socket but not whom it is connected to; the NETLINK_SOCK_DIAG
// dump of AF_UNIX sockets with UDIAG_SHOW_PEER does (man 7 sock_diag). Used by
// list_ipc_objects() to fill IpcObject::peer.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

#include "ipckit/core/error.hpp"

namespace ipckit::inspect::detail {

// Socket inode -> the inode of the socket at the other end. Only sockets that have a peer with
// an inode are keys: listening and unconnected sockets are absent, and so is a client whose
// connection waits in a listen queue (the server side has no inode until accept(2)).
using UnixPeerMap = std::unordered_map<std::uint64_t, std::uint64_t>;

// socket(2) AF_NETLINK/NETLINK_SOCK_DIAG, one SOCK_DIAG_BY_FAMILY dump request for AF_UNIX in
// every state, and recvmsg(2) of the multipart reply until NLMSG_DONE (EINTR retried, datagrams
// of any size). REQUIRES: nothing (no privilege: the dump covers this network namespace).
// Returns: the peer map of every Unix socket in this network namespace, a snapshot. Errors: from
// socket/sendto/recvmsg, or the kernel's NLMSG_ERROR code (ENOENT: no unix_diag module, EPERM,
// ...), operation "sock_diag", object "AF_UNIX"; EPROTO for a reply that does not parse.
[[nodiscard]] Result<UnixPeerMap> query_unix_peers();

// Adds the peers of one reply datagram (a sequence of netlink messages) to `peers`.
// Returns: true when the datagram holds NLMSG_DONE (the dump is complete), false when more
// datagrams follow. Errors: the NLMSG_ERROR code (or an error in NLMSG_DONE); EPROTO when a
// message's length is out of bounds. Messages of other sequence numbers are ignored.
[[nodiscard]] Result<bool> parse_unix_diag_datagram(std::span<const std::byte> datagram,
                                                    std::uint32_t seq, UnixPeerMap& peers);

}  // namespace ipckit::inspect::detail
