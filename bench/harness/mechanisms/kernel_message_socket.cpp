#include "harness/mechanisms/kernel_message_socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "harness/mechanisms/kernel_common.hpp"

namespace ipckit::bench::kernel {
namespace {

constexpr std::size_t kMessagesBuffered = 4;
constexpr std::size_t kPerMessageSlack = 4096;  // skb overhead the kernel charges per message

int buffer_size(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return 0;
  return value;
}

Result<void> grow_buffer(int fd, int option, std::size_t want, const char* name) {
  if (static_cast<std::size_t>(buffer_size(fd, option)) >= want) return {};
  // The kernel doubles the value it is given (for its bookkeeping) and caps it at the sysctl.
  const std::size_t ask = std::min<std::size_t>(want / 2, std::numeric_limits<int>::max());
  const int value = static_cast<int>(ask);
  if (::setsockopt(fd, SOL_SOCKET, option, &value, sizeof value) != 0)
    return fail_errno(std::string("setsockopt(") + name + ")", "AF_UNIX socket");
  return {};
}

const char* type_name(int type) {
  return type == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_SEQPACKET";
}

}  // namespace

Result<std::pair<Fd, Fd>> message_socket_pair(int type, std::size_t size) {
  int sv[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
    return fail_errno(std::string("socketpair(AF_UNIX, ") + type_name(type) + ")", "");
  std::pair<Fd, Fd> pair{Fd(sv[0]), Fd(sv[1])};
  const std::size_t want = kMessagesBuffered * (size + kPerMessageSlack);
  for (const Fd* fd : {&pair.first, &pair.second}) {
    if (auto r = grow_buffer(fd->get(), SO_SNDBUF, want, "SO_SNDBUF"); !r)
      return std::unexpected(r.error());
    if (auto r = grow_buffer(fd->get(), SO_RCVBUF, want, "SO_RCVBUF"); !r)
      return std::unexpected(r.error());
  }
  return pair;
}

std::optional<std::string> message_socket_cannot(int type, std::size_t size,
                                                 const std::string& what) {
  auto pair = message_socket_pair(type, size);
  if (!pair) return what + ": " + pair.error().message();
  std::vector<std::byte> message(size);
  const ssize_t sent = ::send(pair->first.get(), message.data(), size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent == static_cast<ssize_t>(size)) return std::nullopt;
  const int error = sent < 0 ? errno : EMSGSIZE;
  const auto wmem_max = read_proc_long("/proc/sys/net/core/wmem_max");
  return what + ": a " + std::to_string(size) + "-byte message does not fit the socket (" +
         std::strerror(error) + "; SO_SNDBUF is " +
         std::to_string(buffer_size(pair->first.get(), SO_SNDBUF)) +
         " bytes, capped by net.core.wmem_max = " +
         (wmem_max ? std::to_string(*wmem_max) : std::string("?")) + ")";
}

}  // namespace ipckit::bench::kernel
