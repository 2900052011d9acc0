// Unix socket peers from NETLINK_SOCK_DIAG (see unix_sock_diag.hpp). The reply is parsed with
// memcpy at computed offsets instead of the NLMSG_*/RTA_* macros: every length the kernel sends
// is checked against the datagram before it is used, and no pointer is cast.
#include "inspect/unix_sock_diag.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/syscall.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::inspect::detail {

namespace {

constexpr const char* kOperation = "sock_diag";
constexpr const char* kObject = "AF_UNIX";

// Netlink aligns headers, payloads and attributes to 4 bytes (NLMSG_ALIGN, RTA_ALIGN).
constexpr std::size_t align4(std::size_t n) noexcept {
  return (n + 3) & ~std::size_t{3};
}

constexpr std::size_t kHeaderLen = align4(sizeof(nlmsghdr));  // NLMSG_HDRLEN

// A T copied out of `bytes` at `offset`. REQUIRES: offset + sizeof(T) <= bytes.size().
template <class T>
T read_as(std::span<const std::byte> bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::unexpected<Error> malformed(const char* what) {
  return fail(EPROTO, kOperation, kObject, what);
}

// One SOCK_DIAG_BY_FAMILY message's payload: a unix_diag_msg and its attributes.
Result<void> add_peer(std::span<const std::byte> payload, UnixPeerMap& peers) {
  if (payload.size() < sizeof(unix_diag_msg)) return malformed("short unix_diag_msg");
  const auto msg = read_as<unix_diag_msg>(payload, 0);
  std::size_t offset = align4(sizeof(unix_diag_msg));
  while (offset < payload.size() && payload.size() - offset >= sizeof(rtattr)) {
    const auto attr = read_as<rtattr>(payload, offset);
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > payload.size() - offset)
      return malformed("attribute length out of bounds");
    const std::size_t data = offset + align4(sizeof(rtattr));
    if ((attr.rta_type & NLA_TYPE_MASK) == UNIX_DIAG_PEER &&
        attr.rta_len >= align4(sizeof(rtattr)) + sizeof(std::uint32_t)) {
      const auto peer = read_as<std::uint32_t>(payload, data);
      // Peer inode 0: the other end is a connection not yet accept(2)ed, with no inode.
      if (peer != 0 && msg.udiag_ino != 0) peers[msg.udiag_ino] = peer;
    }
    offset += align4(attr.rta_len);
  }
  return {};
}

// The errno in an NLMSG_ERROR or NLMSG_DONE payload: a negative int, 0 for none.
int payload_errno(std::span<const std::byte> payload) {
  if (payload.size() < sizeof(int)) return 0;
  const int value = read_as<int>(payload, 0);
  return value < 0 ? -value : 0;
}

}  // namespace

Result<bool> parse_unix_diag_datagram(std::span<const std::byte> datagram, std::uint32_t seq,
                                      UnixPeerMap& peers) {
  std::size_t offset = 0;
  while (offset < datagram.size() && datagram.size() - offset >= sizeof(nlmsghdr)) {
    const auto header = read_as<nlmsghdr>(datagram, offset);
    if (header.nlmsg_len < kHeaderLen || header.nlmsg_len > datagram.size() - offset)
      return malformed("message length out of bounds");
    const auto payload = datagram.subspan(offset + kHeaderLen, header.nlmsg_len - kHeaderLen);
    if (header.nlmsg_seq == seq) {
      if (header.nlmsg_type == NLMSG_DONE) {
        if (const int e = payload_errno(payload); e != 0) return fail(e, kOperation, kObject);
        return true;
      }
      if (header.nlmsg_type == NLMSG_ERROR) {
        // An error code of 0 is an acknowledgement, not an error.
        if (const int e = payload_errno(payload); e != 0) return fail(e, kOperation, kObject);
      } else if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
        if (auto r = add_peer(payload, peers); !r) return std::unexpected(r.error());
      }
    }
    offset += align4(header.nlmsg_len);
  }
  return false;
}

Result<UnixPeerMap> query_unix_peers() {
  Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd) return fail_errno("socket", "NETLINK_SOCK_DIAG");

  // A sequence number per query, so a reply to an earlier request is never taken for ours.
  static std::atomic<std::uint32_t> next_seq{1};
  const std::uint32_t seq = next_seq.fetch_add(1, std::memory_order_relaxed);

  struct {
    nlmsghdr header;
    unix_diag_req request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_DUMP);
  message.header.nlmsg_seq = seq;
  message.request.sdiag_family = AF_UNIX;
  message.request.udiag_states = ~0u;  // every state: listening, connected, unconnected, ...
  message.request.udiag_show = UDIAG_SHOW_PEER;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0: the kernel
  const ssize_t sent = ipckit::detail::retry_eintr([&] {
    return ::sendto(fd.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
                    sizeof kernel);
  });
  if (sent < 0) return fail_errno("sendto", "NETLINK_SOCK_DIAG");
  if (static_cast<std::size_t>(sent) != sizeof message) return malformed("short send");

  UnixPeerMap peers;
  std::vector<std::byte> buffer(32768);
  for (;;) {
    // MSG_PEEK|MSG_TRUNC gives the next datagram's full length without consuming it, so a
    // datagram larger than the buffer grows the buffer instead of being cut.
    const ssize_t length = ipckit::detail::retry_eintr(
        [&] { return ::recv(fd.get(), buffer.data(), 0, MSG_PEEK | MSG_TRUNC); });
    if (length < 0) return fail_errno("recv", "NETLINK_SOCK_DIAG");
    if (static_cast<std::size_t>(length) > buffer.size())
      buffer.resize(static_cast<std::size_t>(length));
    const ssize_t got = ipckit::detail::retry_eintr(
        [&] { return ::recv(fd.get(), buffer.data(), buffer.size(), 0); });
    if (got < 0) return fail_errno("recv", "NETLINK_SOCK_DIAG");
    if (got == 0) return malformed("end of stream before NLMSG_DONE");
    auto done = parse_unix_diag_datagram(
        std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(got)), seq, peers);
    if (!done) return std::unexpected(done.error());
    if (*done) return peers;
  }
}

}  // namespace ipckit::inspect::detail
