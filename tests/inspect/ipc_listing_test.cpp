#include "ipckit/inspect/ipc_listing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "ipckit/channel.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::inspect {
namespace {

using test::ScopeExit;

TypeSet only(ObjectType t) {
  TypeSet s;
  s.add(t);
  return s;
}

template <class Pred>
const IpcObject* find_object(const Listing& l, Pred pred) {
  const auto it = std::find_if(l.objects.begin(), l.objects.end(), pred);
  return it == l.objects.end() ? nullptr : &*it;
}

bool held_by_us(const IpcObject& o) {
  return std::any_of(o.holders.begin(), o.holders.end(),
                     [](const Holder& h) { return h.pid == ::getpid(); });
}

TEST(InspectListing, TypeNamesRoundTrip) {
  for (int i = 0; i < kObjectTypeCount; ++i) {
    const auto t = static_cast<ObjectType>(i);
    EXPECT_EQ(parse_type_name(type_name(t)), t);
  }
  EXPECT_EQ(parse_type_name("sysv"), std::nullopt);
  EXPECT_EQ(type_name(ObjectType::kMqueue), "mqueue");
}

TEST(InspectListing, ParsesProcNetUnixLines) {
  const std::string text =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/x.sock\n"
      "0000000000000000: 00000003 00000000 00000000 0002 03 23457 @abstract\n"
      "0000000000000000: 00000003 00000000 00000000 0005 03 23458\n"
      "0000000000000000: 00000002 00000000 00000000 0000 02 23459\n"
      "garbage line\n";
  const auto s = parse_proc_net_unix(text);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].inode, 23456u);
  EXPECT_EQ(s[0].path, "/run/x.sock");
  EXPECT_EQ(s[0].type, "stream");
  EXPECT_EQ(s[0].state, "listen");
  EXPECT_EQ(s[1].path, "@abstract");
  EXPECT_EQ(s[1].type, "dgram");
  EXPECT_EQ(s[1].state, "connected");
  EXPECT_EQ(s[2].path, "");
  EXPECT_EQ(s[2].type, "seqpacket");
  // A connection not yet accepted (type 0 on some kernels): no type rather than a number that
  // docs/ls-schema.json does not allow.
  EXPECT_EQ(s[3].type, "");
  EXPECT_EQ(s[3].state, "connecting");
}

TEST(InspectListing, PosixShmMappedHereListsThisProcessAsHolder) {
  const std::string name = "/" + test::unique_name("ls-shm");
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ScopeExit cleanup([&] {
    ::close(fd);
    ::shm_unlink(name.c_str());
  });
  ASSERT_EQ(::ftruncate(fd, 8192), 0);
  void* p = ::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  ScopeExit unmap([&] { ::munmap(p, 8192); });
  auto l = list_ipc_objects(only(ObjectType::kPosixShm));
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_object(*l, [&](const IpcObject& x) { return x.name == name; });
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->type, ObjectType::kPosixShm);
  EXPECT_EQ(o->size, 8192u);
  EXPECT_EQ(o->perms, 0600u);
  EXPECT_TRUE(held_by_us(*o));
}

TEST(InspectListing, SysvSegmentAttachedHereListsThisProcessAsHolder) {
  const int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << std::strerror(errno);
  ScopeExit remove([&] { ::shmctl(id, IPC_RMID, nullptr); });
  void* p = ::shmat(id, nullptr, SHM_RDONLY);
  ASSERT_NE(p, reinterpret_cast<void*>(-1));
  ScopeExit detach([&] { ::shmdt(p); });
  auto l = list_ipc_objects(only(ObjectType::kSysvShm));
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_object(*l, [&](const IpcObject& x) { return x.id == id; });
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->nattch, 1u);
  EXPECT_EQ(o->cpid, ::getpid());
  EXPECT_TRUE(o->rss.has_value());
  EXPECT_TRUE(held_by_us(*o));
}

TEST(InspectListing, SocketpairEndsShowInodeStateAndHolder) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ScopeExit close_both([&] {
    ::close(sv[0]);
    ::close(sv[1]);
  });
  struct stat st {};
  ASSERT_EQ(::fstat(sv[0], &st), 0);
  auto l = list_ipc_objects(only(ObjectType::kUnix));
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_object(*l, [&](const IpcObject& x) { return x.inode == st.st_ino; });
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->socket_type, "stream");
  EXPECT_EQ(o->state, "connected");
  EXPECT_TRUE(held_by_us(*o));
}

TEST(InspectListing, FifoHeldOpenIsListedWithItsPath) {
  const std::string path = "/tmp/" + test::unique_name("ls-fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0640), 0) << std::strerror(errno);
  ScopeExit unlink([&] { ::unlink(path.c_str()); });
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ScopeExit close_fd([&] { ::close(fd); });
  auto l = list_ipc_objects(only(ObjectType::kFifo));
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_object(*l, [&](const IpcObject& x) { return x.name == path; });
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->perms, 0640u);
  EXPECT_TRUE(held_by_us(*o));
}

TEST(InspectListing, ChannelIsRecognisedByItsHeader) {
  const std::string name = test::unique_name("ls-chan");
  auto channel = Channel::create(name, {});
  ASSERT_TRUE(channel) << channel.error().message();
  ScopeExit remove([&] { (void)Channel::unlink(name); });
  auto l = list_ipc_objects(TypeSet::all());
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_object(*l, [&](const IpcObject& x) { return x.name == name; });
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->type, ObjectType::kChannel);
  EXPECT_EQ(o->capacity, channel->capacity());
  EXPECT_EQ(o->used, 0u);
  EXPECT_EQ(o->stale, false);
  EXPECT_TRUE(held_by_us(*o));
  // Not listed a second time as plain POSIX shared memory.
  EXPECT_EQ(std::count_if(l->objects.begin(), l->objects.end(),
                          [&](const IpcObject& x) { return x.name.ends_with(name); }),
            1);
}

TEST(InspectListing, ProcessAliveIsFalseForPidZeroAndTrueForUs) {
  EXPECT_FALSE(process_alive(0));
  EXPECT_TRUE(process_alive(::getpid()));
}

}  // namespace
}  // namespace ipckit::inspect
