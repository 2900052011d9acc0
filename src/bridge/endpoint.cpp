#include "ipckit/bridge/endpoint.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <charconv>

namespace ipckit::bridge {

namespace {

bool loopback_host(std::string_view host) {
  if (host == "localhost" || host == "lo") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24U) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::unexpected<Error> bad(std::string_view text, std::string why) {
  return fail(EINVAL, "endpoint", std::string(text), std::move(why));
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  e.text = std::string(text);
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return bad(text, "not an endpoint: write tcp://HOST:PORT, ipc://PATH or inproc://NAME");
  }
  const std::string_view scheme = text.substr(0, sep);
  const std::string_view rest = text.substr(sep + 3);
  if (scheme == "ipc" || scheme == "inproc") {
    e.scheme = scheme == "ipc" ? Scheme::kIpc : Scheme::kInproc;
    e.local = true;
    if (rest.empty())
      return bad(text, fmt::format("{}:// needs a {}", scheme, scheme == "ipc" ? "path" : "name"));
    return e;
  }
  if (scheme != "tcp") {
    return bad(text, fmt::format("unknown scheme \"{}\": the bridge speaks tcp://, ipc:// and "
                                 "inproc://",
                                 scheme));
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return bad(text, "tcp:// needs HOST:PORT");
  }
  const std::string_view port = rest.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port != "*" &&
      (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)) {
    return bad(text, fmt::format("\"{}\" is not a port (1-65535)", port));
  }
  e.scheme = Scheme::kTcp;
  e.host = std::string(rest.substr(0, colon));
  e.local = loopback_host(e.host);
  return e;
}

Result<void> check_plaintext(const Endpoint& endpoint, bool curve, bool insecure,
                             std::string_view role) {
  if (curve || insecure || endpoint.local) return {};
  return fail(EPERM, std::string(role), endpoint.text,
              fmt::format("{} is not a loopback address: without --curve the bridge carries "
                          "plaintext; give --curve, or --insecure to accept that",
                          endpoint.host));
}

}  // namespace ipckit::bridge
