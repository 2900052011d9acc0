// The static remove(id) and remove(key) of SharedMemory, SemaphoreSet and MessageQueue: what
// `ipckit rm sysv-shm:ID` and `sysv-shm-key:KEY` (and ipcrm) need, for each of the three kinds.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "ipckit/sysv/message_queue.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

using test::code_of;

// How a test makes an object of each kind, with `mode`, under a fresh key.
struct Shm {
  using Handle = SharedMemory;
  static Result<SharedMemory> create(Key key, mode_t mode) {
    return SharedMemory::create(key, 4096, mode);
  }
  static constexpr const char* kWhat = "no shared memory segment has this id";
};
struct Sem {
  using Handle = SemaphoreSet;
  static Result<SemaphoreSet> create(Key key, mode_t mode) {
    return SemaphoreSet::create(key, 1, {}, mode);
  }
  static constexpr const char* kWhat = "no semaphore set has this id";
};
struct Msg {
  using Handle = MessageQueue;
  static Result<MessageQueue> create(Key key, mode_t mode) {
    return MessageQueue::create(key, mode);
  }
  static constexpr const char* kWhat = "no message queue has this id";
};

template <class Kind>
class SysvRemoveById : public ::testing::Test {};
using Kinds = ::testing::Types<Shm, Sem, Msg>;
TYPED_TEST_SUITE(SysvRemoveById, Kinds);

// Removes `h` when the scope ends, also when an assertion returns early (ENOENT if gone).
template <class Handle>
auto removed_at_exit(Handle h) {
  return test::ScopeExit([h] { (void)h.remove(); });
}

TYPED_TEST(SysvRemoveById, RemovesTheObjectOfThatId) {
  using Handle = typename TypeParam::Handle;
  const Key key = test::unique_key();
  auto made = TypeParam::create(key, 0600);
  ASSERT_TRUE(made) << made.error().message();
  auto guard = removed_at_exit(*made);
  ASSERT_TRUE(Handle::remove(made->id()));
  EXPECT_EQ(code_of(Handle::open(key)), ENOENT);
}

TYPED_TEST(SysvRemoveById, RemovesTheObjectOfThatKey) {
  using Handle = typename TypeParam::Handle;
  const Key key = test::unique_key();
  auto made = TypeParam::create(key, 0600);
  ASSERT_TRUE(made) << made.error().message();
  auto guard = removed_at_exit(*made);
  ASSERT_TRUE(Handle::remove(key));
  EXPECT_EQ(code_of(Handle::open(key)), ENOENT);
}

TYPED_TEST(SysvRemoveById, IdOfNoObjectFailsWithEnoentNamingTheId) {
  using Handle = typename TypeParam::Handle;
  auto made = TypeParam::create(test::unique_key(), 0600);
  ASSERT_TRUE(made) << made.error().message();
  auto guard = removed_at_exit(*made);
  ASSERT_TRUE(Handle::remove(made->id()));
  auto again = Handle::remove(made->id());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ENOENT);
  EXPECT_EQ(again.error().object(), made->id().describe());
  EXPECT_EQ(again.error().detail(), TypeParam::kWhat);
}

TYPED_TEST(SysvRemoveById, KeyOfNoObjectFailsWithEnoentNamingTheKey) {
  using Handle = typename TypeParam::Handle;
  const Key key = test::unique_key();
  auto r = Handle::remove(key);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().object(), key.describe());
  EXPECT_EQ(code_of(Handle::remove(Key::private_key())), EINVAL);
}

TYPED_TEST(SysvRemoveById, SomeoneElsesObjectFailsWithEpermAndStays) {
  using Handle = typename TypeParam::Handle;
  const Key key = test::unique_key();
  auto made = TypeParam::create(key, 0666);  // nobody may use it, but not remove it
  ASSERT_TRUE(made) << made.error().message();
  auto guard = removed_at_exit(*made);
  const auto id = made->id();
  test::Child by_id([&] { return code_of(Handle::remove(id)); }, /*as_nobody=*/true);
  EXPECT_EQ(by_id.wait(), EPERM);
  test::Child by_key([&] { return code_of(Handle::remove(key)); }, /*as_nobody=*/true);
  EXPECT_EQ(by_key.wait(), EPERM);
  EXPECT_TRUE(Handle::from_id(id));
}

// Removing needs ownership, not read permission: the owner of a mode 0000 object removes it by
// id, where from_id(id) (an IPC_STAT) is refused.
TYPED_TEST(SysvRemoveById, OwnerRemovesByIdWithoutReadPermission) {
  using Handle = typename TypeParam::Handle;
  const Key key = test::unique_key();
  test::Child owner(
      [&] {
        auto made = TypeParam::create(key, 0);
        if (!made) return 100;
        if (code_of(Handle::from_id(made->id())) != EACCES) return 101;
        return code_of(Handle::remove(made->id()));
      },
      /*as_nobody=*/true);
  const int code = owner.wait();
  if (code != 0) (void)Handle::remove(key);  // never leave it behind
  EXPECT_EQ(code, 0);
  EXPECT_EQ(code_of(Handle::open(key)), ENOENT);
}

}  // namespace
}  // namespace ipckit::sysv
