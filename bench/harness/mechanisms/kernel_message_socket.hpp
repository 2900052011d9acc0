// AF_UNIX sockets that keep message boundaries (SOCK_DGRAM, SOCK_SEQPACKET): the connected pair
// unix-dgram, unix-seqpacket and fd-passing use, and the real limit on their message size.
//
// Limit: Linux refuses (EMSGSIZE) a datagram or seqpacket message larger than the sender's
// SO_SNDBUF less a small overhead. The pair asks for send and receive buffers of four messages
// (setsockopt SO_SNDBUF/SO_RCVBUF, which the kernel caps at net.core.wmem_max / rmem_max) when
// the defaults are smaller; whether a size fits is then found by sending one message of that size
// on a fresh pair, never computed from a formula.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::bench::kernel {

// socketpair(AF_UNIX, type | SOCK_CLOEXEC) with buffers sized for `size`-byte messages.
Result<std::pair<Fd, Fd>> message_socket_pair(int type, std::size_t size);

// Why `size`-byte messages cannot go over such a pair here (with the buffer sizes and the
// sysctl that caps them), or nullopt when one does. `what` names the mechanism.
std::optional<std::string> message_socket_cannot(int type, std::size_t size,
                                                 const std::string& what);

}  // namespace ipckit::bench::kernel
