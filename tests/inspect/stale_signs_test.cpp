// The signs `rm --stale` reads besides the listing (stale_signs.hpp).
#include "ipckit/inspect/stale_signs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "ipckit/sysv/message_queue.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::inspect {
namespace {

using test::Child;
using test::ScopeExit;

std::string shm_path(const std::string& name) {
  return "/dev/shm/" + name;
}

// The kernel's answer covers processes we cannot see: a mapping or an open descriptor anywhere.
TEST(StaleSigns, OpenElsewhereSeesMappingsAndDescriptors) {
  const std::string name = test::unique_name("lease");
  const int fd = ::shm_open(("/" + name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ScopeExit unlink([&] { ::shm_unlink(("/" + name).c_str()); });
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  void* map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  ::close(fd);
  auto mapped = open_elsewhere(shm_path(name));  // our own mapping counts
  ASSERT_TRUE(mapped) << mapped.error().message();
  EXPECT_TRUE(*mapped);
  ::munmap(map, 4096);
  auto unmapped = open_elsewhere(shm_path(name));
  ASSERT_TRUE(unmapped) << unmapped.error().message();
  EXPECT_FALSE(*unmapped);
  EXPECT_EQ(open_elsewhere(shm_path(name + "-none")).error().code(), ENOENT);
}

// Issue 10 item 8: a thread blocked in msgrcv on a queue is found, by queue id.
TEST(StaleSigns, FindsAThreadBlockedInMsgrcv) {
  const sysv::Key key = test::unique_key();
  auto q = sysv::MessageQueue::create(key);
  ASSERT_TRUE(q) << q.error().message();
  ScopeExit remove([&] { (void)q->remove(); });
  const int id = q->id().value;
  EXPECT_FALSE(msgrcv_waiters().waiting_on(id));
  Child waiter([&] { return test::code_of(q->receive()); });
  EXPECT_TRUE(test::eventually([&] { return msgrcv_waiters().waiting_on(id); }));
  // (complete may be false: a sandbox's own pid 1 can be unreadable even to root.)
  const auto found = msgrcv_waiters();
  EXPECT_EQ(found.complete, found.why.empty());
  ASSERT_TRUE(q->send(1, "wake"));
  EXPECT_EQ(waiter.wait(), 0);
}

TEST(StaleSigns, ParsesCreatingLeftoverNames) {
  const auto l = parse_creating_leftover("orders.creating-4242-9f3a");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->channel, "orders");
  EXPECT_EQ(l->creator, 4242);
  EXPECT_EQ(parse_creating_leftover("a.b.creating-7-1")->channel, "a.b");
  for (const char* no : {"orders", "orders.creating-", "orders.creating-x-1", ".creating-1-1",
                         "orders.creating-1-", "orders.creating-1-zz", "orders.creating--1-1"})
    EXPECT_FALSE(parse_creating_leftover(no)) << no;
}

// Issue 10 item 9: a process in a pid namespace of its own cannot see the others that share
// /dev/shm and the IPC namespace, and says so.
TEST(StaleSigns, ProcessViewIsPartialInAChildPidNamespace) {
  const auto here = process_view();
  EXPECT_EQ(here.complete, here.why.empty());
  const int status = test::run_in_child([] {
    if (::unshare(CLONE_NEWPID) != 0) return 77;
    Child inner([] {
      const auto view = process_view();
      return !view.complete && view.why.find("pid namespace") != std::string::npos ? 0 : 1;
    });
    return inner.wait();
  });
  if (status == 77) GTEST_SKIP() << "cannot run here: unshare(CLONE_NEWPID) refused";
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace ipckit::inspect
