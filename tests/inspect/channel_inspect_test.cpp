// Inspection that survives a hostile owner: Channel::inspect (and `ipckit ls`, which uses it)
// reads a private copy of the header, with read permission only; impossible fields are named;
// `chan create` removes the leftovers of creators that died.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <vector>

#include "channel/layout.hpp"
#include "ipckit/channel.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::inspect {
namespace {

using test::Child;
using test::ScopeExit;

std::string shm_path(const std::string& name) {
  return "/dev/shm/" + name;
}

// A child that makes the channel's object hostile: shrinks it to 0, grows it back (zeros) and
// rewrites the header, until killed (or a generous bound of rounds).
Child resize_loop(const std::string& name) {
  return Child([name] {
    const int fd = ::open(shm_path(name).c_str(), O_RDWR);
    if (fd < 0) return 1;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return 2;
    std::vector<std::byte> header(channel::detail::kHeaderSize);
    if (::pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()))
      return 3;
    for (int i = 0; i < 2'000'000; ++i) {
      if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, st.st_size) != 0 ||
          ::pwrite(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()))
        return 4;
    }
    return 0;
  });
}

TEST(InspectHostile, ResizedWhileInspectedGivesAnErrorNeverASignal) {
  const std::string name = test::unique_name("hostile");
  channel::ChannelOptions options;
  options.capacity = 64 * 1024;
  {
    // No handle of ours stays mapped while the object is shrunk.
    auto created = Channel::create(name, options);
    ASSERT_TRUE(created) << created.error().message();
  }
  ScopeExit unlink([&] { ::shm_unlink(("/" + name).c_str()); });
  Child hostile = resize_loop(name);
  const int status = test::run_in_child([&] {
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
      auto info = Channel::inspect(name);
      if (info) {
        ++ok;
      } else if (info.error().code() != EPROTO) {
        return 10;
      }
      if (i % 100 == 0) {  // the listing reads the same header, as `ipckit ls` does
        TypeSet channels;
        channels.add(ObjectType::kChannel);
        if (!list_ipc_objects(channels)) return 11;
      }
    }
    return 0;
  });
  EXPECT_EQ(status, 0) << "128 + 7 is SIGBUS";
}

TEST(InspectHostile, TruncatedObjectIsEprotoNotASignal) {
  const std::string name = test::unique_name("shrunk");
  channel::ChannelOptions options;
  options.capacity = 64 * 1024;
  ASSERT_TRUE(Channel::create(name, options));
  ScopeExit unlink([&] { ::shm_unlink(("/" + name).c_str()); });
  ASSERT_EQ(::truncate(shm_path(name).c_str(), 4096 + 4096), 0);
  auto info = Channel::inspect(name);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), EPROTO);
  EXPECT_NE(info.error().message().find("truncated"), std::string::npos) << info.error().message();
}

TEST(InspectReadOnly, OtherUsersInspectA0644Channel) {
  const std::string name = test::unique_name("ro");
  channel::ChannelOptions options;
  options.capacity = 16 * 1024;
  options.mode = 0644;
  ASSERT_TRUE(Channel::create(name, options));
  ScopeExit unlink([&] { ::shm_unlink(("/" + name).c_str()); });
  const sysv::Key key = test::unique_key();
  ASSERT_TRUE(Channel::create(key, options));
  ScopeExit unlink_key([&] { (void)Channel::unlink(key); });
  EXPECT_EQ(test::run_as_nobody([&] { return test::code_of(Channel::inspect(name)); }), 0);
  EXPECT_EQ(test::run_as_nobody([&] { return test::code_of(Channel::inspect(key)); }), 0);
  // Without read permission it is still EACCES, not a crash.
  ASSERT_EQ(::chmod(shm_path(name).c_str(), 0600), 0);
  EXPECT_EQ(test::run_as_nobody([&] { return test::code_of(Channel::inspect(name)); }), EACCES);
}

TEST(InspectCorrupted, ImpossibleFieldsAreNamed) {
  const std::string name = test::unique_name("corrupt");
  channel::ChannelOptions options;
  options.capacity = 16 * 1024;
  ASSERT_TRUE(Channel::create(name, options));
  ScopeExit unlink([&] { ::shm_unlink(("/" + name).c_str()); });
  const int fd = ::open(shm_path(name).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const std::uint32_t bad_pid = 0xffffffffu;
  const std::uint64_t zero = 0, far_tail = 0x100000000ull;
  using channel::detail::Header;
  EXPECT_EQ(::pwrite(fd, &bad_pid, sizeof bad_pid, offsetof(Header, creator_pid)), 4);
  EXPECT_EQ(::pwrite(fd, &zero, sizeof zero, offsetof(Header, created_unix_ns)), 8);
  EXPECT_EQ(::pwrite(fd, &far_tail, sizeof far_tail, offsetof(Header, producer)), 8);
  ::close(fd);
  auto info = Channel::inspect(name);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->corrupted,
            (std::vector<std::string>{"creator pid", "creation time", "positions"}));
  EXPECT_EQ(info->used(), 0u);
}

// A `chan create` killed midway leaves NAME.creating-PID-HEX; the next create of NAME removes it
// once PID is dead, and never while PID lives or anyone holds it.
TEST(CreatingLeftovers, NextCreateRemovesOnlyThoseOfDeadCreators) {
  const std::string name = test::unique_name("leftover");
  Child dead([] { return 0; });
  const pid_t dead_pid = dead.pid();
  ASSERT_EQ(dead.wait(), 0);
  Child alive([] {
    ::pause();
    return 0;
  });
  const std::string of_dead = name + ".creating-" + std::to_string(dead_pid) + "-1a2b";
  const std::string of_live = name + ".creating-" + std::to_string(alive.pid()) + "-3c4d";
  const std::string held = name + ".creating-" + std::to_string(dead_pid) + "-5e6f";
  int held_fd = -1;
  ScopeExit cleanup([&] {
    if (held_fd >= 0) ::close(held_fd);
    for (const auto& f : {of_dead, of_live, held, name})
      ::shm_unlink(("/" + f).c_str());
  });
  for (const auto& f : {of_dead, of_live, held}) {
    const int fd = ::shm_open(("/" + f).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0) << f;
    ASSERT_EQ(::ftruncate(fd, 8192), 0);
    if (f == held) {
      held_fd = fd;  // stays open: someone still uses it
    } else {
      ::close(fd);
    }
  }
  auto created = Channel::create(name);
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_NE(::access(shm_path(of_dead).c_str(), F_OK), 0) << "dead creator's leftover kept";
  EXPECT_EQ(::access(shm_path(of_live).c_str(), F_OK), 0) << "live creator's object removed";
  EXPECT_EQ(::access(shm_path(held).c_str(), F_OK), 0) << "an object someone holds removed";
}

}  // namespace
}  // namespace ipckit::inspect
