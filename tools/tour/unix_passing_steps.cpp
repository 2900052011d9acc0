// Tour steps 345-350: what only Unix sockets can carry: the peer's credentials (SO_PEERCRED)
// and open descriptors (SCM_RIGHTS), the latter as Postfix's postscreen hands a client's
// connection to an smtpd process.
//
// Sockets are bound to abstract names of this run (@/tmp/ipckit-tour-<pid>-...), so no file is
// made; every Child guard kills and reaps its child on every return path.
#include <fmt/core.h>
#include <grp.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/credentials.hpp"
#include "ipckit/unix/fd_passing.hpp"
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

constexpr auto kLimit = std::chrono::seconds(2);  // no wait in these steps may last longer
constexpr uid_t kNobody = 65534;

// The target of /proc/self/fd/N ("socket:[1234]"), or "" if it cannot be read.
std::string fd_link(int fd) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(fmt::format("/proc/self/fd/{}", fd), ec);
  return ec ? std::string() : target.string();
}

// How many of this process's descriptors refer to `link` ("socket:[1234]").
int descriptors_for(const std::string& link) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code ec2;
    if (std::filesystem::read_symlink(entry.path(), ec2) == link) ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// 345: SO_PEERCRED.

bool peer_credentials_step(Tour& t) {
  t.say(
      "Unix sockets work only on one machine, so the kernel can tell each side who the other "
      "is. SO_PEERCRED gives the pid, uid and gid the peer had when it connected: no peer can "
      "forge them. ipckit's UnixListener checks them against an access policy; on an abstract "
      "name, which has no file permissions, it accepts only the listener's own user unless "
      "told otherwise. A forked child connects, and the listener reads who it is.");
  auto address = UnixAddress::abstract(tour_path(t, "peercred"));
  if (!address) return failed(t, "make the address", address.error());
  std::vector<uds::Refusal> refusals;
  auto listener = uds::UnixListener::bind(
      *address, {.on_refusal = [&](const uds::Refusal& r) { refusals.push_back(r); }});
  if (!listener) return failed(t, "listen", listener.error());
  if (auto r = listener->socket().set_receive_timeout(kLimit); !r) {
    return failed(t, "set a timeout", r.error());
  }
  t.show("ipckit sock listen -v {}   # policy: {}", address->describe(),
         listener->policy().describe());

  // As root, a stranger (uid 65534) connects first: the policy must turn it away.
  const bool root = ::geteuid() == 0;
  Child stranger;
  Pipe connected;
  if (root) {
    if (!stranger.start([&] {
          connected.close_read();
          if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
              ::setresuid(kNobody, kNobody, kNobody) != 0)
            return 2;
          auto s = UnixSocket::connect_to(*address);
          connected.close_write();  // tells the tour that this connection is in the backlog
          if (!s || !s->set_receive_timeout(kLimit)) return 3;
          std::array<std::byte, 8> buf;
          auto got = s->receive(buf);  // the listener closes it unread: EOF
          return got && *got == 0 ? 0 : 4;
        })) {
      return failed(t, "fork the stranger", Error::from_errno("fork", ""));
    }
    connected.close_write();
    (void)connected.get_all();
  }

  Pipe report;
  Child caller;
  if (!caller.start([&] {
        report.close_read();
        auto s = UnixSocket::connect_to(*address);
        if (!s) return 2;
        auto listener_creds = uds::peer_credentials(*s);  // the listener, as of its listen()
        if (!listener_creds || !*listener_creds) return 3;
        return report.put(fmt::format("{}", (*listener_creds)->pid)) ? 0 : 4;
      })) {
    return failed(t, "fork the caller", Error::from_errno("fork", ""));
  }
  report.close_write();
  auto conn = listener->accept();
  if (!conn) return failed(t, "accept", conn.error());
  output(fmt::format("accept(): peer pid {} uid {} gid {}", conn->peer.pid, conn->peer.uid,
                     conn->peer.gid));
  bool ok = t.check(conn->peer.pid == caller.pid() && conn->peer.uid == ::geteuid() &&
                        conn->peer.gid == ::getegid(),
                    fmt::format("SO_PEERCRED names the child: pid {}, our uid {} and gid {}",
                                caller.pid(), ::geteuid(), ::getegid()));
  const std::string seen = report.get_all();
  ok = t.check(caller.wait_for(milliseconds(2000)) == 0 && seen == std::to_string(::getpid()),
               fmt::format("the child's SO_PEERCRED names the listener: pid {}", ::getpid())) &&
       ok;
  if (root) {
    for (const auto& r : refusals)
      output(r.message());
    ok = t.check(refusals.size() == 1 && refusals[0].peer.uid == kNobody &&
                     stranger.wait_for(milliseconds(2000)) == 0,
                 "a child running as uid 65534 was refused and saw its connection closed") &&
         ok;
  } else {
    t.say("(Run the tour as root to see a connection from another user refused.)");
  }
  t.say(
      "From a shell: `ipckit sock listen -v @name` prints each peer; --allow-uid, --allow-gid "
      "and --allow-any set who may connect.");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 350: SCM_RIGHTS, postscreen style.

bool descriptor_passing_step(Tour& t) {
  t.say(
      "Unix sockets can carry open file descriptors (SCM_RIGHTS in sendmsg()), even to an "
      "unrelated process. The article's example is Postfix: postscreen accepts an SMTP "
      "client's connection, examines it, and hands it to a real smtpd process, and the client "
      "never notices the change. Here the tour plays postscreen; an smtpd child, started "
      "before the connection exists (so it cannot have inherited it), asks for work over an "
      "abstract socket.");
  auto address = UnixAddress::abstract(tour_path(t, "postscreen"));
  if (!address) return failed(t, "make the address", address.error());
  auto listener = uds::UnixListener::bind(*address);
  if (!listener) return failed(t, "listen", listener.error());
  if (auto r = listener->socket().set_receive_timeout(kLimit); !r) {
    return failed(t, "set a timeout", r.error());
  }

  Child smtpd;
  if (!smtpd.start([&] {
        auto s = UnixSocket::connect_to(*address);
        if (!s || !s->set_receive_timeout(kLimit)) return 2;
        std::array<std::byte, 16> buf;
        auto got = uds::receive_fds(*s, buf, 1);
        if (!got || got->fds.size() != 1) return 3;
        const int client = got->fds[0].get();
        pollfd pfd{client, POLLIN, 0};
        if (::poll(&pfd, 1, 2000) != 1) return 4;
        std::array<char, 128> line;
        const ssize_t n = ::read(client, line.data(), line.size());
        if (n <= 0) return 5;
        const std::string reply = fmt::format(
            "250 smtpd pid {} here, on my fd {} = {}; you said: {}", ::getpid(), client,
            fd_link(client), std::string_view(line.data(), static_cast<std::size_t>(n)));
        return ::write(client, reply.data(), reply.size()) == static_cast<ssize_t>(reply.size())
                   ? 0
                   : 6;
      })) {
    return failed(t, "fork smtpd", Error::from_errno("fork", ""));
  }
  auto conn = listener->accept();
  if (!conn) return failed(t, "accept smtpd's connection", conn.error());

  auto pair = UnixSocket::pair(SocketType::kStream);
  if (!pair) return failed(t, "make the client's connection", pair.error());
  auto& [client_end, server_end] = *pair;
  const std::string link = fd_link(server_end.fd().get());
  t.show("socketpair()   # stands in for accept(): the SMTP client's connection, {}", link);
  constexpr std::string_view kGreeting = "EHLO client.example.org";
  if (auto r = client_end.send(kGreeting); !r) return failed(t, "send the greeting", r.error());
  t.show("client: {}", kGreeting);

  const std::array views{server_end.fd()};
  if (auto r = uds::send_fds(conn->socket, "smtp", views); !r) {
    return failed(t, "send the descriptor", r.error());
  }
  t.show("postscreen: sendmsg(smtpd, \"smtp\", SCM_RIGHTS {{fd {}}}); close(fd {})",
         server_end.fd().get(), server_end.fd().get());
  { auto closing = std::move(server_end); }
  bool ok = t.check(descriptors_for(link) == 0,
                    fmt::format("postscreen has no descriptor left for {}", link));

  if (auto r = client_end.set_receive_timeout(kLimit); !r)
    return failed(t, "set a timeout", r.error());
  std::array<std::byte, 256> buf;
  auto got = client_end.receive(buf);
  if (!got) return failed(t, "read smtpd's reply", got.error());
  const std::string reply(reinterpret_cast<const char*>(buf.data()), *got);
  output(fmt::format("client reads: {}", reply));
  ok = t.check(reply.starts_with(fmt::format("250 smtpd pid {} ", smtpd.pid())) &&
                   reply.find(link) != std::string::npos &&
                   reply.ends_with(fmt::format("you said: {}", kGreeting)),
               fmt::format("smtpd (pid {}) read the greeting and answered through the same "
                           "connection ({}), which it never inherited",
                           smtpd.pid(), link)) &&
       ok;
  ok = t.check(smtpd.wait_for(milliseconds(2000)) == 0, "smtpd exited normally") && ok;
  t.say(
      "The descriptor number differs between the processes; the open socket is the same. "
      "From a shell: `ipckit fd recv @name -- cat` runs cat on a file that `ipckit fd send "
      "@name FILE` opened; docs/fd-passing.md has the library's rules.");
  return ok;
}

}  // namespace

IPCKIT_TOUR_STEP(345, "Who is calling: peer credentials (SO_PEERCRED)", peer_credentials_step);
IPCKIT_TOUR_STEP(350, "Passing a descriptor, as Postfix's postscreen does",
                 descriptor_passing_step);

}  // namespace ipckit::tour
