// Tour steps 310-340: Unix domain sockets as the article shows them: its datagram demo on a
// path and on an abstract name, the socket file a path leaves behind, and the netstat -nx view.
// Peer credentials and descriptor passing are in unix_passing_steps.cpp.
//
// Every path is /tmp/ipckit-tour-<pid>-..., every abstract name @/tmp/ipckit-tour-<pid>-...;
// a scope guard removes every file a step made and every Child guard kills and reaps its child.
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ipckit/unix/address.hpp"
#include "ipckit/unix/listener.hpp"
#include "ipckit/unix/socket.hpp"
#include "tour/support.hpp"
#include "tour/tour.hpp"
#include "tour/unix_support.hpp"

namespace ipckit::tour {
namespace {

using uds::SocketType;
using uds::UnixAddress;
using uds::UnixSocket;

constexpr int kNumbers = 5;

// The article's demo: a forked client sends kNumbers random numbers, one per datagram, to
// `address`, where `server` is bound; the server prints them. Checks that all arrived in order.
bool numbers_flow(Tour& t, const UnixSocket& server, const UnixAddress& address) {
  Pipe sent_pipe;
  if (!sent_pipe.ok()) return failed(t, "create a pipe", Error::from_errno("pipe2", ""));
  Child client;
  if (!client.start([&] {
        sent_pipe.close_read();
        auto socket = UnixSocket::create(SocketType::kDatagram);
        if (!socket) return 2;
        std::mt19937 random(static_cast<unsigned>(::getpid()));
        std::uniform_int_distribution<int> numbers(0, RAND_MAX);
        for (int i = 0; i < kNumbers; ++i) {
          const std::string number = std::to_string(numbers(random));
          if (!socket->send_to(std::as_bytes(std::span(number.data(), number.size())), address))
            return 3;
          if (!sent_pipe.put(number + "\n")) return 4;
        }
        return 0;
      })) {
    return failed(t, "fork the client", Error::from_errno("fork", ""));
  }
  sent_pipe.close_write();
  t.show("coretech_client {}   # sendto() x {}, one random number each", address.describe(),
         kNumbers);
  if (auto r = server.set_receive_timeout(std::chrono::seconds(2)); !r) {
    return failed(t, "set a receive timeout", r.error());
  }
  std::string received;
  for (int i = 0; i < kNumbers; ++i) {
    std::array<std::byte, 64> buffer;
    auto got = server.receive(buffer);
    if (!got) return failed(t, "receive a number", got.error());
    const std::string number(reinterpret_cast<const char*>(buffer.data()), *got);
    output(fmt::format("server: {}", number));
    received += number + "\n";
  }
  const std::string sent = sent_pipe.get_all();
  const int code = client.wait_for(milliseconds(2000));
  return t.check(
      code == 0 && received == sent,
      fmt::format("the server printed the {} numbers the client sent, in order", kNumbers));
}

// Binds a datagram server socket to `address`, shows `bound` (the article's command for it) and
// runs the numbers demo on it. The caller removes a path's socket file.
bool server_demo(Tour& t, const UnixAddress& address, const std::string& bound) {
  auto server = UnixSocket::create(SocketType::kDatagram);
  if (!server) return failed(t, "create the server socket", server.error());
  if (auto r = server->bind(address); !r) return failed(t, "bind the server socket", r.error());
  t.show_text(bound);
  return numbers_flow(t, *server, address);
}

// ---------------------------------------------------------------------------------------------
// 310: the demo on a filesystem path.

bool datagram_path_step(Tour& t) {
  t.say(
      "Unix domain sockets are the article's last mechanism: the socket API of TCP and UDP, "
      "with AF_UNIX instead of AF_INET and a filesystem path instead of an IP address. The "
      "article adapts a UDP example: a server binds a SOCK_DGRAM socket to /tmp/coretech and "
      "prints the random numbers a client sends it. We do the same with a path of our own.");
  const std::string path = tour_path(t, "coretech");
  auto address = UnixAddress::path(path);
  if (!address) return failed(t, "make the address", address.error());
  ScopeExit cleanup([&] { (void)::unlink(path.c_str()); });
  bool ok =
      server_demo(t, *address,
                  fmt::format("socket(AF_UNIX, SOCK_DGRAM, 0); bind(\"{}\")   # coretech_server {}",
                              path, path));
  t.say(
      "A Unix datagram socket is reliable and ordered, unlike UDP: nothing is lost, and a "
      "client whose server is slow waits in sendto() instead of dropping numbers. The "
      "examples/coretech_server and coretech_client programs are this demo as programs.");
  ok = t.check(exists(path), fmt::format("bind() created the socket file {}", path)) && ok;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 320: the same on an abstract name.

bool datagram_abstract_step(Tour& t) {
  t.say(
      "The article's cure for leftover files is the abstract namespace: a name whose first "
      "byte is NUL lives only in the kernel, and goes away with the last socket bound to it. "
      "Tools print the NUL as '@', and so does ipckit: \"@/tmp/coretech\". The path-like name "
      "is only a convention; no file is made.");
  const std::string path = tour_path(t, "abstract");
  auto address = UnixAddress::abstract(path);
  if (!address) return failed(t, "make the address", address.error());
  bool ok = server_demo(
      t, *address,
      fmt::format("bind(\"\\0{}\")   # coretech_server --abstract {}", path, address->describe()));
  ok = t.check(!exists(path), fmt::format("there is no file {}: stat() fails with ENOENT", path)) &&
       ok;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 330: what stays behind.

bool leftovers_step(Tour& t) {
  t.say(
      "What each kind of name leaves when its socket is closed. The article: \"this special "
      "file is left when it exits\". The file is harmless but in the way: nothing listens "
      "behind it (a client gets ECONNREFUSED), and the next bind() to the path fails with "
      "EADDRINUSE until someone removes it. An abstract name is free again at once.");
  const std::string path = tour_path(t, "leftover");
  auto by_path = UnixAddress::path(path);
  auto by_name = UnixAddress::abstract(path);
  if (!by_path || !by_name) return failed(t, "make the addresses", Error(EINVAL, "address", path));
  ScopeExit cleanup([&] { (void)::unlink(path.c_str()); });
  for (const UnixAddress* address : {&*by_path, &*by_name}) {
    auto socket = UnixSocket::create(SocketType::kDatagram);
    if (!socket) return failed(t, "create a socket", socket.error());
    if (auto r = socket->bind(*address); !r) return failed(t, "bind", r.error());
  }  // both sockets are closed here
  t.show("bind(\"{}\"); bind(\"{}\"); close(); close()", by_path->describe(), by_name->describe());
  t.show("ls -ln {}", path);
  output(ls_line(path));
  bool ok = t.check(exists(path), "the path's socket file outlived its socket (mode s...)");

  auto probe = UnixSocket::create(SocketType::kDatagram);
  if (!probe) return failed(t, "create a socket", probe.error());
  auto refused = probe->send_to(std::as_bytes(std::span("42", 2)), *by_path);
  ok = t.check(!refused && refused.error().code() == ECONNREFUSED,
               "sendto() the left-over file fails with ECONNREFUSED: nobody is behind it") &&
       ok;
  auto again = UnixSocket::create(SocketType::kDatagram);
  if (!again) return failed(t, "create a socket", again.error());
  auto in_use = again->bind(*by_path);
  ok = t.check(!in_use && in_use.error().code() == EADDRINUSE,
               "bind() to the path again fails with EADDRINUSE while the file is there") &&
       ok;
  ok = t.check(again->bind(*by_name).has_value(),
               "bind() to the abstract name again succeeds: the name left with its socket") &&
       ok;
  t.show("rm {}", path);
  ok = t.check(::unlink(path.c_str()) == 0 && !exists(path), "rm removes the file") && ok;
  t.say(
      "ipckit's UnixListener (and `ipckit sock listen`) removes its file when it closes, and "
      "replaces a file left by a dead process, after checking with a connect() that nobody is "
      "listening behind it; examples/coretech_server removes its file when it exits.");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 340: netstat -nx, ss -x.

bool listing_step(Tour& t) {
  t.say(
      "Listing Unix sockets. `netstat -nx` and `ss -x` read /proc/net/unix, one line per "
      "socket: its type (STREAM, DGRAM, SEQPACKET), state, inode and name, abstract names "
      "with '@' for the NUL. We bind three sockets (a datagram on a path, a datagram on an "
      "abstract name, a listening stream socket on an abstract name) and find their lines.");
  const std::string path = tour_path(t, "listed");
  auto dgram_path = UnixAddress::path(path);
  auto dgram_name = UnixAddress::abstract(path);
  auto stream_name = UnixAddress::abstract(path + "-stream");
  if (!dgram_path || !dgram_name || !stream_name) {
    return failed(t, "make the addresses", Error(EINVAL, "address", path));
  }
  auto a = UnixSocket::create(SocketType::kDatagram);
  auto b = UnixSocket::create(SocketType::kDatagram);
  if (!a || !b) return failed(t, "create the sockets", (a ? b : a).error());
  if (auto r = a->bind(*dgram_path); !r) return failed(t, "bind", r.error());
  ScopeExit cleanup([&] { (void)::unlink(path.c_str()); });
  if (auto r = b->bind(*dgram_name); !r) return failed(t, "bind", r.error());
  auto listener = uds::UnixListener::bind(*stream_name);
  if (!listener) return failed(t, "listen", listener.error());

  t.show("netstat -nx | grep {}   # the same lines as ss -xa, from /proc/net/unix", path);
  output("Proto RefCnt Flags       Type       State         I-Node   Path");
  bool ok = true;
  const auto rows = proc_net_unix();
  using Listed = std::pair<const UnixSocket*, const UnixAddress*>;
  for (const auto& [socket, address] : {Listed{&*a, &*dgram_path}, Listed{&*b, &*dgram_name},
                                        Listed{&listener->socket(), &*stream_name}}) {
    const auto inode = socket_inode(*socket);
    const UnixRow* row = nullptr;
    for (const auto& r : rows)
      if (r.inode == inode) row = &r;
    if (row != nullptr) output(netstat_line(*row));
    ok = t.check(row != nullptr && row->path == address->to_string(),
                 fmt::format("inode {} is listed as {}", inode, address->describe())) &&
         ok;
  }
  t.say(
      "Everything that starts with '@' is abstract. The listening socket carries the ACC flag "
      "(it accepts connections). `ss -xlp` adds the owning process to each listening socket.");
  return ok;
}

}  // namespace

IPCKIT_TOUR_STEP(310, "Unix datagram sockets: the article's coretech demo on a path",
                 datagram_path_step);
IPCKIT_TOUR_STEP(320, "Abstract socket names: the same demo with no file", datagram_abstract_step);
IPCKIT_TOUR_STEP(330, "What stays behind: a socket file versus an abstract name", leftovers_step);
IPCKIT_TOUR_STEP(340, "Listing Unix sockets: netstat -nx and ss -x", listing_step);

}  // namespace ipckit::tour
