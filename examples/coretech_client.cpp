// coretech_client [--abstract] [--count N] [--interval MS] [ADDR]: the article's Unix datagram
// client on libipckit.
//
// Sends random numbers, one per SOCK_DGRAM datagram (as decimal text), to the server at ADDR
// ("/tmp/coretech" by default, "@/tmp/coretech" with --abstract, or any address: "@name" is
// abstract, anything else a path), and prints each number it sent on a line, so that its output
// can be compared with coretech_server's. The client's socket is never bound: datagrams go out
// with sendto(2), as in the article, and nothing can answer.
//
// Differences from the article, on purpose:
//  * --count N stops after N numbers (default: until interrupted), --interval MS sets the pause
//    between them (default 1000; 0 sends as fast as the server takes them: a Unix datagram
//    socket is reliable, and sendto() waits while the server's queue is full);
//  * no broadcast: the article's UDP client enabled SO_BROADCAST, which AF_UNIX does not have;
//  * a missing server is one line on stderr and exit status 1: "sendto(/tmp/coretech): No such
//    file or directory" (no socket file) or "Connection refused" (a file left behind by a dead
//    server, or an abstract name nobody has bound).
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "ipckit/core/error.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"

namespace {

using ipckit::uds::SocketType;
using ipckit::uds::UnixAddress;
using ipckit::uds::UnixSocket;

constexpr std::string_view kDefaultPath = "/tmp/coretech";  // the article's SOCKET_PATH

constexpr std::string_view kUsage =
    "Usage: coretech_client [--abstract] [--count N] [--interval MS] [ADDR]\n"
    "\n"
    "Send random numbers to coretech_server, one per datagram, and print each one sent.\n"
    "ADDR is /tmp/coretech by default; @NAME is an abstract name.\n"
    "\n"
    "Options:\n"
    "  --abstract      put the name in the abstract namespace (default @/tmp/coretech)\n"
    "  --count N       stop after N numbers (default: until interrupted)\n"
    "  --interval MS   milliseconds between numbers (default 1000)\n"
    "  --help          show this help and exit\n";

int fail(const ipckit::Error& e) {
  fmt::print(stderr, "coretech_client: {}\n", e.message());
  return 1;
}

int usage_error(std::string_view what) {
  fmt::print(stderr, "coretech_client: {}\nTry 'coretech_client --help' for more information.\n",
             what);
  return 1;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  bool abstract = false;
  std::optional<std::uint64_t> count;
  std::uint64_t interval_ms = 1000;
  std::optional<std::string> addr_text;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
    if (arg == "--abstract") {
      abstract = true;
    } else if (arg == "--count" || arg == "--interval") {
      if (i + 1 >= argc) return usage_error(fmt::format("{} needs a number", arg));
      const std::string_view value = argv[++i];
      auto n = parse_number(value);
      if (!n || (arg == "--count" && *n == 0)) {
        return usage_error(fmt::format("invalid {} '{}'", arg.substr(2), value));
      }
      if (arg == "--count") {
        count = *n;
      } else {
        interval_ms = *n;
      }
    } else if (arg.size() > 1 && arg.front() == '-') {
      return usage_error(fmt::format("unrecognized option '{}'", arg));
    } else if (addr_text) {
      return usage_error(fmt::format("unexpected argument '{}'", arg));
    } else {
      addr_text = std::string(arg);
    }
  }

  std::string text = addr_text.value_or(std::string(kDefaultPath));
  if (abstract && text.starts_with('@')) text.erase(0, 1);
  auto address = abstract ? UnixAddress::abstract(text) : UnixAddress::parse(text);
  if (!address) return fail(address.error());
  if (address->is_unnamed()) return usage_error("ADDR is empty");

  auto socket = UnixSocket::create(SocketType::kDatagram);
  if (!socket) return fail(socket.error());

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> numbers(0, RAND_MAX);  // what the article's rand() gives
  for (std::uint64_t sent = 0; !count || sent < *count; ++sent) {
    if (sent > 0 && interval_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    const std::string number = std::to_string(numbers(random));
    if (auto r = socket->send_to(std::as_bytes(std::span(number.data(), number.size())), *address);
        !r) {
      return fail(r.error());
    }
    fmt::print("{}\n", number);
    if (std::fflush(stdout) != 0) return fail(ipckit::Error::from_errno("write", "stdout"));
  }
  return 0;
}
