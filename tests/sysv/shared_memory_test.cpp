#include "ipckit/sysv/shared_memory.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

using test::ScopeExit;

// Removes `shm` when the scope ends, also when an assertion returns early.
auto removed_at_exit(SharedMemory shm) {
  return ScopeExit([shm] { (void)shm.remove(); });
}

using test::code_of;

// The segment's attachment count, or a value no test expects when stat() fails.
std::uint64_t nattch(const SharedMemory& shm) {
  auto st = shm.stat();
  return st ? st->nattch : ~std::uint64_t{0};
}

bool is_einval_or_eidrm(int code) {
  return code == EINVAL || code == EIDRM;
}

TEST(SysvSharedMemory, CreateThenOpenFindsTheSameSegment) {
  const Key key = test::unique_key();
  auto created = SharedMemory::create(key, 4096);
  ASSERT_TRUE(created) << created.error().message();
  auto guard = removed_at_exit(*created);
  auto opened = SharedMemory::open(key);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->id(), created->id());
}

TEST(SysvSharedMemory, CreateExclusiveFailsWithEexistWhenKeyExists) {
  const Key key = test::unique_key();
  auto first = SharedMemory::create(key, 4096);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = removed_at_exit(*first);
  auto second = SharedMemory::create(key, 4096);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "shmget(" + key.describe() + "): File exists");
}

TEST(SysvSharedMemory, CreateNonExclusiveOpensTheExistingSegment) {
  const Key key = test::unique_key();
  auto first = SharedMemory::create(key, 4096);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = removed_at_exit(*first);
  auto second = SharedMemory::create(key, 100, 0600, Exclusive::kNo);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->id(), first->id());
}

TEST(SysvSharedMemory, CreateNonExclusiveLargerThanExistingFailsWithEinval) {
  const Key key = test::unique_key();
  auto first = SharedMemory::create(key, 100);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = removed_at_exit(*first);
  auto second = SharedMemory::create(key, 4096, 0600, Exclusive::kNo);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EINVAL);
}

TEST(SysvSharedMemory, CreateWithSizeZeroFailsWithEinval) {
  auto shm = SharedMemory::create(test::unique_key(), 0);
  if (shm) (void)shm->remove();
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), EINVAL);
}

TEST(SysvSharedMemory, CreateWithBitsOutsidePermissionsFailsWithEinval) {
  auto shm = SharedMemory::create(test::unique_key(), 4096, IPC_CREAT | 0600);
  if (shm) (void)shm->remove();
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), EINVAL);
}

TEST(SysvSharedMemory, CreateWithPrivateKeyMakesDistinctSegments) {
  auto a = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(a) << a.error().message();
  auto guard_a = removed_at_exit(*a);
  auto b = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(b) << b.error().message();
  auto guard_b = removed_at_exit(*b);
  EXPECT_NE(a->id(), b->id());
}

TEST(SysvSharedMemory, OpenOfMissingKeyFailsWithEnoent) {
  const Key key = test::unique_key();
  auto shm = SharedMemory::open(key);
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), ENOENT);
  EXPECT_EQ(shm.error().message(), "shmget(" + key.describe() + "): No such file or directory");
}

TEST(SysvSharedMemory, OpenWithMinSizeLargerThanSegmentFailsWithEinval) {
  const Key key = test::unique_key();
  auto created = SharedMemory::create(key, 4096);
  ASSERT_TRUE(created) << created.error().message();
  auto guard = removed_at_exit(*created);
  EXPECT_TRUE(SharedMemory::open(key, 4096));
  auto too_big = SharedMemory::open(key, 4097);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code(), EINVAL);
}

TEST(SysvSharedMemory, OpenOfPrivateKeyFailsWithEinvalInsteadOfCreating) {
  auto shm = SharedMemory::open(Key::private_key(), 4096);
  if (shm) (void)shm->remove();
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), EINVAL);
}

TEST(SysvSharedMemory, FromIdFindsALiveSegment) {
  auto created = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(created) << created.error().message();
  auto guard = removed_at_exit(*created);
  auto found = SharedMemory::from_id(created->id());
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, *created);
}

TEST(SysvSharedMemory, FromIdOfRemovedSegmentFailsWithEinvalOrEidrm) {
  auto created = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_TRUE(created->remove());
  auto found = SharedMemory::from_id(created->id());
  ASSERT_FALSE(found);
  EXPECT_PRED1(is_einval_or_eidrm, found.error().code());
  EXPECT_EQ(found.error().operation(), "shmctl");
  EXPECT_EQ(found.error().object(), created->id().describe());
}

TEST(SysvSharedMemory, AttachOfRemovedIdFailsWithEinvalOrEidrm) {
  auto created = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_TRUE(created->remove());
  auto attachment = created->attach();
  ASSERT_FALSE(attachment);
  EXPECT_PRED1(is_einval_or_eidrm, attachment.error().code());
  EXPECT_EQ(attachment.error().operation(), "shmat");
  EXPECT_EQ(attachment.error().object(), "id " + std::to_string(created->id().value));
}

TEST(SysvSharedMemory, RemoveTwiceFailsWithEinvalOrEidrm) {
  auto created = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(created) << created.error().message();
  ASSERT_TRUE(created->remove());
  auto again = created->remove();
  ASSERT_FALSE(again);
  EXPECT_PRED1(is_einval_or_eidrm, again.error().code());
}

TEST(SysvSharedMemory, AttachMapsTheWholeZeroFilledSegment) {
  auto shm = SharedMemory::create(Key::private_key(), 10000);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  EXPECT_TRUE(attachment->attached());
  EXPECT_FALSE(attachment->read_only());
  EXPECT_EQ(attachment->size(), 10000u);
  EXPECT_EQ(attachment->id(), shm->id());
  EXPECT_EQ(attachment->bytes().data(), attachment->data());
  EXPECT_EQ(attachment->bytes().size(), 10000u);
  EXPECT_TRUE(
      std::ranges::all_of(attachment->bytes(), [](std::byte b) { return b == std::byte{0}; }));
}

TEST(SysvSharedMemory, DataWrittenThroughOneAttachmentIsVisibleInAnother) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto writer = shm->attach();
  ASSERT_TRUE(writer) << writer.error().message();
  auto reader = shm->attach(Access::kReadOnly);
  ASSERT_TRUE(reader) << reader.error().message();
  EXPECT_TRUE(reader->read_only());
  EXPECT_NE(reader->data(), writer->data());
  std::memcpy(writer->data(), "hello", 6);
  EXPECT_STREQ(static_cast<const char*>(reader->data()), "hello");
}

TEST(SysvSharedMemory, DataIsSharedAcrossFork) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto parent = shm->attach();
  ASSERT_TRUE(parent) << parent.error().message();
  std::memcpy(parent->data(), "from parent", 12);
  const int status = test::run_in_child([&] {
    // The inherited attachment and a fresh one both see the parent's write.
    auto fresh = shm->attach();
    if (!fresh) return 1;
    if (std::strcmp(static_cast<const char*>(fresh->data()), "from parent") != 0) return 2;
    std::memcpy(parent->data(), "from child", 11);
    return 0;
  });
  ASSERT_EQ(status, 0);
  EXPECT_STREQ(static_cast<const char*>(parent->data()), "from child");
}

TEST(SysvSharedMemory, WritingThroughAReadOnlyAttachmentFaults) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  const int status = test::run_in_child([&] {
    auto reader = shm->attach(Access::kReadOnly);
    if (!reader) return 1;
    ::signal(SIGSEGV, SIG_DFL);  // sanitizers catch SIGSEGV; we want the plain fault
    static_cast<volatile char*>(reader->data())[0] = 'x';
    return 0;
  });
  EXPECT_EQ(status, 128 + SIGSEGV);
}

TEST(SysvSharedMemory, StatReportsCreatorSizeModeAndOwner) {
  const Key key = test::unique_key();
  auto shm = SharedMemory::create(key, 12345, 0640);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->key, key);
  EXPECT_EQ(st->size, 12345u);
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->uid, ::geteuid());
  EXPECT_EQ(st->gid, ::getegid());
  EXPECT_EQ(st->cuid, ::geteuid());
  EXPECT_EQ(st->cgid, ::getegid());
  EXPECT_EQ(st->cpid, ::getpid());
  EXPECT_EQ(st->nattch, 0u);
  EXPECT_EQ(st->atime, 0);
  EXPECT_NE(st->ctime, 0);
  EXPECT_FALSE(st->removed);
}

TEST(SysvSharedMemory, StatCountsAttachmentsAndTracksLastAttacher) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  {
    auto a = shm->attach();
    auto b = shm->attach(Access::kReadOnly);
    ASSERT_TRUE(a && b);
    auto st = shm->stat();
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(st->nattch, 2u);
    EXPECT_EQ(st->lpid, ::getpid());
    EXPECT_NE(st->atime, 0);
    // A forked child holds its own copies of both attachments while it lives.
    const int status = test::run_in_child([&] {
      auto in_child = shm->stat();
      return in_child && in_child->nattch == 4 ? 0 : 1;
    });
    EXPECT_EQ(status, 0);
  }
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->nattch, 0u);
  EXPECT_NE(st->dtime, 0);
}

TEST(SysvSharedMemory, RemovedSegmentLivesUntilItsLastDetach) {
  const Key key = test::unique_key();
  auto shm = SharedMemory::create(key, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  ASSERT_TRUE(shm->remove());
  std::memcpy(attachment->data(), "still here", 11);
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_TRUE(st->removed);
  EXPECT_TRUE(st->key.is_private());
  EXPECT_EQ(st->nattch, 1u);
  EXPECT_EQ(code_of(SharedMemory::open(key)), ENOENT);
  ASSERT_TRUE(attachment->detach());
  EXPECT_PRED1(is_einval_or_eidrm, code_of(shm->stat()));
}

TEST(SysvSharedMemory, SetModeReplacesPermissionBits) {
  auto shm = SharedMemory::create(Key::private_key(), 4096, 0600);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  ASSERT_TRUE(shm->set_mode(0644));
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->mode, 0644u);
  EXPECT_EQ(st->uid, ::geteuid());
  auto bad = shm->set_mode(01644);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), EINVAL);
}

TEST(SysvSharedMemory, NobodyCannotAttachOrStatAnOwnerOnlySegment) {
  const Key key = test::unique_key();
  auto shm = SharedMemory::create(key, 4096, 0600);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->attach()); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->attach(Access::kReadOnly)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->stat()); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(SharedMemory::from_id(shm->id())); }), EACCES);
  // shmget with flags 0 asks for no permission, so the lookup itself succeeds.
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(SharedMemory::open(key)); }), 0);
}

TEST(SysvSharedMemory, NobodyCanAttachAWorldReadableSegmentOnlyReadOnly) {
  auto shm = SharedMemory::create(Key::private_key(), 4096, 0604);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->attach(Access::kReadOnly)); }), 0);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->attach()); }), EACCES);
}

TEST(SysvSharedMemory, NobodyCannotRemoveOrChangeModeOfAnotherUsersSegment) {
  auto shm = SharedMemory::create(Key::private_key(), 4096, 0666);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->remove()); }), EPERM);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(shm->set_mode(0600)); }), EPERM);
}

TEST(SysvShmAttachment, DestructorDetaches) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  {
    auto attachment = shm->attach();
    ASSERT_TRUE(attachment) << attachment.error().message();
    EXPECT_EQ(nattch(*shm), 1u);
  }
  EXPECT_EQ(nattch(*shm), 0u);
}

TEST(SysvShmAttachment, DetachEmptiesAndASecondDetachFailsWithEinval) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  ASSERT_TRUE(attachment->detach());
  EXPECT_FALSE(attachment->attached());
  EXPECT_EQ(attachment->data(), nullptr);
  EXPECT_EQ(attachment->size(), 0u);
  EXPECT_EQ(nattch(*shm), 0u);
  auto again = attachment->detach();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EINVAL);
}

TEST(SysvShmAttachment, MoveTransfersTheMappingAndDetachesOnce) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  void* const addr = attachment->data();
  {
    ShmAttachment moved(std::move(*attachment));
    EXPECT_EQ(moved.data(), addr);
    EXPECT_EQ(moved.size(), 4096u);
    EXPECT_FALSE(attachment->attached());  // NOLINT(bugprone-use-after-move): specified state
    EXPECT_EQ(nattch(*shm), 1u);
  }
  EXPECT_EQ(nattch(*shm), 0u);
}

TEST(SysvShmAttachment, MoveAssignmentDetachesTheOverwrittenMapping) {
  auto shm = SharedMemory::create(Key::private_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = removed_at_exit(*shm);
  auto a = shm->attach();
  auto b = shm->attach(Access::kReadOnly);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(nattch(*shm), 2u);
  *a = std::move(*b);
  EXPECT_TRUE(a->read_only());
  EXPECT_EQ(nattch(*shm), 1u);
}

static_assert(std::is_nothrow_move_constructible_v<ShmAttachment>);
static_assert(std::is_nothrow_move_assignable_v<ShmAttachment>);
static_assert(!std::is_copy_constructible_v<ShmAttachment>);
static_assert(std::is_trivially_copyable_v<SharedMemory>);

}  // namespace
}  // namespace ipckit::sysv
