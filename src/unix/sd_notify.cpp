#include "ipckit/unix/sd_notify.hpp"

#include <cerrno>
#include <cstdlib>
#include <span>
#include <string>

#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::uds {

Result<bool> sd_notify(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || *env == '\0') return false;
  const std::string_view text = env;
  if (text.front() != '/' && text.front() != '@') {
    return fail(EAFNOSUPPORT, "sd_notify", std::string(text),
                "NOTIFY_SOCKET is neither an absolute path nor an @abstract name");
  }
  auto address = UnixAddress::parse(text);
  if (!address) return std::unexpected(address.error());
  auto socket = UnixSocket::create(SocketType::kDatagram, Blocking::kNo);
  if (!socket) return std::unexpected(socket.error());
  auto sent = socket->send_to(std::as_bytes(std::span(state.data(), state.size())), *address);
  if (!sent) return std::unexpected(sent.error());
  return true;
}

}  // namespace ipckit::uds
