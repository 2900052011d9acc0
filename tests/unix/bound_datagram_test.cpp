// BoundDatagram: a datagram socket bound to a path the way UnixListener binds one (same lock,
// same takeover), so racing starters of any type leave exactly one owner of the path.
#include "ipckit/unix/bound_datagram.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ipckit/unix/listener.hpp"
#include "support/child.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::Child;
using test::code_of;
using test::exists;
using test::make_stale;
using test::NoFdLeak;
using test::TmpPath;

TEST(BoundDatagram, ReceivesAndRemovesItsFilesOnClose) {
  NoFdLeak leak;
  TmpPath tmp;
  auto d = BoundDatagram::bind(tmp.address, {.mode = 0600, .pass_credentials = true});
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->file_path(), tmp.path);
  EXPECT_TRUE(exists(tmp.lock));
  auto sender = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(sender && sender->send_to(std::as_bytes(std::span("hi", 2)), tmp.address));
  std::array<std::byte, 8> buf{};
  auto got = d->socket().receive(buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 2u);
  ASSERT_TRUE(d->close());
  EXPECT_FALSE(exists(tmp.path));
  EXPECT_FALSE(exists(tmp.lock));
}

TEST(BoundDatagram, StaleFileIsReplacedAndALiveOneFailsWithEaddrinuse) {
  NoFdLeak leak;
  TmpPath tmp;
  make_stale(tmp.path, SocketType::kDatagram);
  auto first = BoundDatagram::bind(tmp.address);
  ASSERT_TRUE(first) << first.error().message();
  auto second = BoundDatagram::bind(tmp.address);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EADDRINUSE);
  EXPECT_EQ(second.error().message(),
            fmt::format("bind({0}): a live process is bound to {0}", tmp.path));
  // A stream listener finds the live datagram socket too, and a datagram binder a listener.
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address)), EADDRINUSE);
  EXPECT_TRUE(exists(tmp.lock));
}

TEST(BoundDatagram, AbstractNameInUseFailsWithEaddrinuse) {
  NoFdLeak leak;
  auto name = *UnixAddress::parse("@" + test::unique_name("dg"));
  auto first = BoundDatagram::bind(name);
  ASSERT_TRUE(first);
  EXPECT_EQ(code_of(BoundDatagram::bind(name)), EADDRINUSE);
  EXPECT_EQ(code_of(BoundDatagram::bind(UnixAddress::unnamed())), EINVAL);
}

TEST(BoundDatagram, ForkChildDestroyingItsCopyLeavesTheFiles) {
  NoFdLeak leak;
  TmpPath tmp;
  auto d = BoundDatagram::bind(tmp.address);
  ASSERT_TRUE(d);
  Child child([&] {
    (void)d->close();
    return exists(tmp.path) ? 0 : 1;
  });
  EXPECT_EQ(child.wait(), 0);
  EXPECT_TRUE(exists(tmp.path));
}

// Starters of the given types, released at once on one stale path: exactly one binds, the
// others fail with EADDRINUSE, and once the winner is gone nothing is left behind. Before the
// datagram binder took the lock, two starters both "won" about once in 60 rounds.
void race(const std::vector<SocketType>& types, int rounds) {
  TmpPath tmp;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(round);
    make_stale(tmp.path, SocketType::kDatagram);
    int go[2], results[2], done[2];
    ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(results, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(done, O_CLOEXEC), 0);
    Fd go_r(go[0]), go_w(go[1]), res_r(results[0]), res_w(results[1]), done_r(done[0]),
        done_w(done[1]);
    std::vector<std::unique_ptr<Child>> children;
    for (SocketType type : types) {
      children.push_back(std::make_unique<Child>([&, type] {
        go_w.reset();
        done_w.reset();
        char c = 0;
        if (::read(go_r.get(), &c, 1) != 1) return 1;
        int code = 0;
        std::optional<BoundDatagram> d;
        std::optional<UnixListener> l;
        if (type == SocketType::kDatagram) {
          auto r = BoundDatagram::bind(tmp.address);
          code = code_of(r);
          if (r) d.emplace(std::move(*r));
        } else {
          auto r = UnixListener::bind(tmp.address);
          code = code_of(r);
          if (r) l.emplace(std::move(*r));
        }
        if (::write(res_w.get(), &code, sizeof(code)) != sizeof(code)) return 2;
        (void)::read(done_r.get(), &c, 1);  // hold the path until the parent has every result
        return 0;
      }));
    }
    const std::string release(types.size(), 'g');
    ASSERT_EQ(::write(go_w.get(), release.data(), release.size()),
              static_cast<ssize_t>(types.size()));
    int winners = 0;
    int in_use = 0;
    std::string codes;
    for (std::size_t i = 0; i < types.size(); ++i) {
      int code = -1;
      ASSERT_EQ(::read(res_r.get(), &code, sizeof(code)), static_cast<ssize_t>(sizeof(code)));
      if (code == 0) ++winners;
      if (code == EADDRINUSE) ++in_use;
      codes += std::string(code == 0 ? "ok" : ::strerrorname_np(code)) + " ";
    }
    SCOPED_TRACE("results: " + codes);
    done_w.reset();
    for (auto& c : children)
      EXPECT_EQ(c->wait(), 0);
    ASSERT_EQ(winners, 1);
    ASSERT_EQ(in_use, static_cast<int>(types.size()) - 1);
    ASSERT_FALSE(exists(tmp.path));  // the winner removed it on exit
    ASSERT_FALSE(exists(tmp.lock));
  }
}

TEST(BoundDatagram, RacingDatagramStartersOnAStalePathExactlyOneWins) {
  NoFdLeak leak;
  race({SocketType::kDatagram, SocketType::kDatagram, SocketType::kDatagram, SocketType::kDatagram},
       20);
}

TEST(BoundDatagram, RacingDatagramAndStreamStartersExactlyOneWinsAndNoLockIsLeft) {
  NoFdLeak leak;
  race({SocketType::kDatagram, SocketType::kStream}, 20);
}

}  // namespace
}  // namespace ipckit::uds
