// coretech_server [--abstract] [--count N] [ADDR]: the article's Unix datagram server on
// libipckit.
//
// The article adapts a UDP example to AF_UNIX: a SOCK_DGRAM socket bound to SOCKET_PATH
// "/tmp/coretech" receives the random numbers a client sends, and the server prints them. Then
// it makes the name abstract ("@/tmp/coretech" with sun_path[0] set to NUL) so that no file is
// left behind. This program does both: ADDR is "/tmp/coretech" by default, "@/tmp/coretech" with
// --abstract, or any address ("@name" is abstract, anything else a path; --abstract puts ADDR in
// the abstract namespace). Each datagram is printed on a line of its own, as it arrives.
//
// Differences from the article, on purpose:
//  * the server removes its socket file when it exits cleanly (after --count N datagrams, or on
//    SIGINT/SIGTERM), if the file is still the one it bound. The article's server leaves
//    /tmp/coretech behind ("cleaning after yourself is a good habit"), and the next bind() then
//    fails with EADDRINUSE until someone runs rm. A crash (SIGKILL) still leaves the file; this
//    server then refuses to start, naming the file, and never removes a file it did not bind;
//  * --count N stops after N datagrams, so that tests can run it;
//  * every failure is one line on stderr and exit status 1;
//  * the abstract name is passed with its exact length. The kernel takes every byte up to the
//    length it is given, so a sockaddr_un filled with strncpy and passed as sizeof(server)
//    would name "/tmp/coretech" followed by 94 NULs, which no client typing "@/tmp/coretech"
//    would find.
#include <fmt/core.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"

namespace {

using ipckit::uds::SocketType;
using ipckit::uds::UnixAddress;
using ipckit::uds::UnixSocket;

constexpr std::string_view kDefaultPath = "/tmp/coretech";  // the article's SOCKET_PATH

constexpr std::string_view kUsage =
    "Usage: coretech_server [--abstract] [--count N] [ADDR]\n"
    "\n"
    "Receive datagrams (SOCK_DGRAM) on a Unix socket and print each on a line: the random\n"
    "numbers coretech_client sends. ADDR is /tmp/coretech by default; @NAME is an abstract\n"
    "name (no file). The socket file is removed when the server exits, unlike the article's.\n"
    "\n"
    "Options:\n"
    "  --abstract   put the name in the abstract namespace (default @/tmp/coretech)\n"
    "  --count N    exit after N datagrams (default: run until SIGINT or SIGTERM)\n"
    "  --help       show this help and exit\n";

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) {
  g_stop = 1;
}

int fail(const ipckit::Error& e) {
  fmt::print(stderr, "coretech_server: {}\n", e.message());
  return 1;
}

int usage_error(std::string_view what) {
  fmt::print(stderr, "coretech_server: {}\nTry 'coretech_server --help' for more information.\n",
             what);
  return 1;
}

// The socket file this server bound, removed at exit if it is still that file.
class OwnedFile {
 public:
  explicit OwnedFile(std::string path) : path_(std::move(path)) {
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
      valid_ = true;
    }
  }
  ~OwnedFile() {
    struct stat st {};
    if (valid_ && ::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
        st.st_ino == ino_) {
      (void)::unlink(path_.c_str());
    }
  }
  OwnedFile(const OwnedFile&) = delete;
  OwnedFile& operator=(const OwnedFile&) = delete;

 private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool valid_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  bool abstract = false;
  std::optional<std::uint64_t> count;
  std::optional<std::string> addr_text;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
    if (arg == "--abstract") {
      abstract = true;
    } else if (arg == "--count") {
      if (i + 1 >= argc) return usage_error("--count needs a number");
      const std::string_view value = argv[++i];
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n == 0) {
        return usage_error(fmt::format("invalid count '{}' (a positive number)", value));
      }
      count = n;
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
  if (auto r = socket->bind(*address); !r) {
    struct stat st {};
    if (r.error().code() == EADDRINUSE && address->is_path() &&
        ::lstat(address->name().c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return fail(
            r.error().with_detail(fmt::format("{} exists and is not a socket", address->name())));
      }
      return fail(r.error().with_detail(fmt::format(
          "a socket file is already at {}: another server is running, or one was killed before "
          "it could remove it (if none is running: rm {})",
          address->name(), address->name())));
    }
    return fail(r.error());
  }
  std::optional<OwnedFile> file;
  if (address->is_path()) file.emplace(address->name());

  // SIGINT and SIGTERM end the loop below, so that the file is removed: they are blocked except
  // inside ppoll(), which they interrupt (EINTR) after the handler has set g_stop.
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  sigset_t stop_signals;
  sigset_t waiting_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_signals, &waiting_mask);
  sigdelset(&waiting_mask, SIGINT);
  sigdelset(&waiting_mask, SIGTERM);

  std::array<char, 256> buffer;
  for (std::uint64_t received = 0; !count || received < *count;) {
    pollfd pfd{socket->fd().get(), POLLIN, 0};
    if (g_stop != 0) break;
    if (::ppoll(&pfd, 1, nullptr, &waiting_mask) < 0) {
      if (errno == EINTR) continue;
      return fail(ipckit::Error::from_errno("poll", address->describe()));
    }
    auto got = socket->receive(std::as_writable_bytes(std::span(buffer)));
    if (!got) return fail(got.error());
    fmt::print("{}\n", std::string_view(buffer.data(), *got));
    if (std::fflush(stdout) != 0) return fail(ipckit::Error::from_errno("write", "stdout"));
    ++received;
  }
  return 0;
}
