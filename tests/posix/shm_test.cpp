#include "ipckit/posix/shm.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit::posix {
namespace {

using test::ScopeExit;

// Every test: no descriptor leaks, nothing left in /dev/shm (support/posix_names_test.hpp).
class PosixShm : public test::PosixNamesTest {};

// "/ipckit-test-<pid>-<n>-<suffix>".
std::string fresh_name(const std::string& suffix) {
  return "/" + test::unique_name(suffix);
}

// Unlinks `name` when the scope ends (only names this test created).
auto unlinked_at_exit(std::string name) {
  return ScopeExit([name = std::move(name)] { (void)SharedMemoryObject::unlink(name); });
}

using test::code_of;

// The /dev/shm entry behind a name, by path: what `ls -l /dev/shm` shows.
struct stat stat_entry(const std::string& name) {
  struct stat st {};
  if (::stat(("/dev/shm" + name).c_str(), &st) != 0) st.st_mode = 0;
  return st;
}

bool entry_exists(const std::string& name) {
  struct stat st {};
  return ::stat(("/dev/shm" + name).c_str(), &st) == 0;
}

static_assert(!std::is_copy_constructible_v<SharedMemoryObject>);
static_assert(std::is_nothrow_move_constructible_v<SharedMemoryObject>);
static_assert(!std::is_copy_constructible_v<Mapping>);
static_assert(std::is_nothrow_move_constructible_v<Mapping>);
static_assert(!std::is_copy_constructible_v<ShmNameOwner>);

TEST_F(PosixShm, CreateMakesZeroFilledObjectOfRequestedSize) {
  const std::string name = fresh_name("create");
  auto shm = SharedMemoryObject::create(name, 10000);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_TRUE(shm->created());
  EXPECT_EQ(shm->name(), name);
  EXPECT_EQ(shm->access(), ShmAccess::kReadWrite);
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->size, 10000u);
  auto map = shm->map(ShmAccess::kReadOnly);
  ASSERT_TRUE(map) << map.error().message();
  ASSERT_EQ(map->size(), 10000u);
  for (std::byte b : map->bytes())
    ASSERT_EQ(b, std::byte{0});
}

TEST_F(PosixShm, NameWithoutLeadingSlashIsNormalisedToSlashName) {
  const std::string bare = test::unique_name("bare");
  auto shm = SharedMemoryObject::create(bare, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit("/" + bare);
  EXPECT_EQ(shm->name(), "/" + bare);
  EXPECT_TRUE(entry_exists("/" + bare));
  auto opened = SharedMemoryObject::open("/" + bare);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->stat()->inode, shm->stat()->inode);
}

TEST_F(PosixShm, DescriptorsAreCloseOnExec) {
  const std::string name = fresh_name("cloexec");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto opened = SharedMemoryObject::open(name, ShmAccess::kReadOnly);
  ASSERT_TRUE(opened) << opened.error().message();
  auto owner = shm->own_name();
  ASSERT_TRUE(owner) << owner.error().message();
  owner->release();
  EXPECT_NE(::fcntl(shm->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(opened->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(PosixShm, CreateExclusiveFailsWithEexistWhenNameExists) {
  const std::string name = fresh_name("excl");
  auto first = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = unlinked_at_exit(name);
  auto second = SharedMemoryObject::create(name, 4096);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "shm_open(" + name + "): File exists");
}

TEST_F(PosixShm, CreateNonExclusiveOpensExistingGrowsItButNeverShrinksOrChmods) {
  const std::string name = fresh_name("nonexcl");
  auto first = SharedMemoryObject::create(name, 8192, 0640);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = unlinked_at_exit(name);
  auto smaller = SharedMemoryObject::create(name, 4096, 0600, Exclusive::kNo);
  ASSERT_TRUE(smaller) << smaller.error().message();
  EXPECT_FALSE(smaller->created());
  EXPECT_EQ(first->stat()->size, 8192u);
  EXPECT_EQ(first->stat()->mode, 0640u);
  auto larger = SharedMemoryObject::create(name, 16384, 0600, Exclusive::kNo);
  ASSERT_TRUE(larger) << larger.error().message();
  EXPECT_FALSE(larger->created());
  EXPECT_EQ(first->stat()->size, 16384u);
}

TEST_F(PosixShm, CreateNonExclusiveCreatesWhenNameIsFree) {
  const std::string name = fresh_name("nonexcl-new");
  auto shm = SharedMemoryObject::create(name, 4096, 0600, Exclusive::kNo);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_TRUE(shm->created());
}

TEST_F(PosixShm, OpenFailsWithEnoentWhenNameIsMissing) {
  const std::string name = fresh_name("missing");
  auto shm = SharedMemoryObject::open(name);
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), ENOENT);
  EXPECT_EQ(shm.error().message(), "shm_open(" + name + "): No such file or directory");
}

TEST_F(PosixShm, BadNamesFailWithEinvalBeforeAnySyscall) {
  const std::string inner = "/" + test::unique_name("a") + "/b";
  for (const std::string& bad :
       {std::string(""), std::string("/"), inner, std::string("a/b"), std::string("//a"),
        std::string("/."), std::string(".."), std::string("/a\0b", 4)}) {
    auto created = SharedMemoryObject::create(bad, 4096);
    ASSERT_FALSE(created) << "accepted '" << bad << "'";
    EXPECT_EQ(created.error().code(), EINVAL) << bad;
    auto opened = SharedMemoryObject::open(bad);
    ASSERT_FALSE(opened) << bad;
    EXPECT_EQ(opened.error().code(), EINVAL) << bad;
    auto unlinked = SharedMemoryObject::unlink(bad);
    ASSERT_FALSE(unlinked) << bad;
    EXPECT_EQ(unlinked.error().code(), EINVAL) << bad;
  }
  auto shm = SharedMemoryObject::create(inner, 4096);
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().message(),
            "shm_open(" + inner + "): invalid name: '/' is allowed only as the first character");
  EXPECT_EQ(SharedMemoryObject::open("").error().message(), "shm_open: invalid name: empty");
}

TEST_F(PosixShm, NameLongerThanNameMaxFailsWithEnametoolong) {
  std::string longest = fresh_name("long");
  longest.resize(1 + 255, 'x');
  auto ok = SharedMemoryObject::create(longest, 4096);
  ASSERT_TRUE(ok) << ok.error().message();
  auto guard = unlinked_at_exit(longest);
  auto too_long = SharedMemoryObject::create(longest + "x", 4096);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code(), ENAMETOOLONG);
}

TEST_F(PosixShm, CreateAppliesModeExactlyWhateverTheUmask) {
  const mode_t old_umask = ::umask(077);
  ScopeExit restore([old_umask] { ::umask(old_umask); });
  for (const mode_t mode : {mode_t{0666}, mode_t{0640}, mode_t{0604}, mode_t{0}}) {
    const std::string name = fresh_name("mode");
    auto shm = SharedMemoryObject::create(name, 4096, mode);
    ASSERT_TRUE(shm) << shm.error().message();
    auto guard = unlinked_at_exit(name);
    EXPECT_EQ(stat_entry(name).st_mode & 07777, mode);
    EXPECT_EQ(shm->stat()->mode, mode);
  }
}

TEST_F(PosixShm, ModeWithBitsOutside0777FailsWithEinval) {
  const std::string name = fresh_name("badmode");
  auto shm = SharedMemoryObject::create(name, 4096, 04755);
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), EINVAL);
  EXPECT_FALSE(entry_exists(name));
}

TEST_F(PosixShm, OtherUserIsDeniedAPrivateObjectWithEacces) {
  const std::string name = fresh_name("private");
  auto shm = SharedMemoryObject::create(name, 4096, 0600);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(SharedMemoryObject::open(name)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody(
                [&] { return code_of(SharedMemoryObject::open(name, ShmAccess::kReadOnly)); }),
            EACCES);
  EXPECT_EQ(test::run_as_nobody([&] {
              return code_of(SharedMemoryObject::create(name, 4096, 0600, Exclusive::kNo));
            }),
            EACCES);
  // Only the owner (or root) may unlink it: /dev/shm is sticky.
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(SharedMemoryObject::unlink(name)); }), EACCES);
}

TEST_F(PosixShm, OtherUserMayReadButNotWriteA0644Object) {
  const std::string name = fresh_name("readable");
  auto shm = SharedMemoryObject::create(name, 4096, 0644);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_EQ(test::run_as_nobody([&] {
              auto ro = SharedMemoryObject::open(name, ShmAccess::kReadOnly);
              if (!ro) return ro.error().code();
              return code_of(ro->map(ShmAccess::kReadOnly));
            }),
            0);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(SharedMemoryObject::open(name)); }), EACCES);
}

TEST_F(PosixShm, DataWrittenByChildIsSeenThroughParentsMapping) {
  const std::string name = fresh_name("fork");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto parent_view = shm->map(ShmAccess::kReadOnly);
  ASSERT_TRUE(parent_view) << parent_view.error().message();
  const int status = test::run_in_child([&] {
    // The child's own handle and mapping, by name: a second mapping of the same memory.
    auto opened = SharedMemoryObject::open(name);
    if (!opened) return 1;
    auto map = opened->map(ShmAccess::kReadWrite);
    if (!map) return 2;
    std::memcpy(map->data(), "hello from the child", 21);
    return 0;
  });
  ASSERT_EQ(status, 0);
  EXPECT_STREQ(static_cast<const char*>(parent_view->data()), "hello from the child");
}

TEST_F(PosixShm, WriteThroughReadOnlyMappingKillsTheWriterWithSigsegv) {
  const std::string name = fresh_name("rofault");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  const int status = test::run_in_child([&] {
    auto map = shm->map(ShmAccess::kReadOnly);
    if (!map) return 1;
    ::signal(SIGSEGV, SIG_DFL);  // sanitizers catch SIGSEGV; we want the plain fault
    static_cast<volatile char*>(map->data())[0] = 'x';
    return 0;
  });
  EXPECT_EQ(status, 128 + SIGSEGV);
}

TEST_F(PosixShm, ReadWriteMapOfReadOnlyHandleFailsWithEacces) {
  const std::string name = fresh_name("romap");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto ro = SharedMemoryObject::open(name, ShmAccess::kReadOnly);
  ASSERT_TRUE(ro) << ro.error().message();
  EXPECT_EQ(ro->access(), ShmAccess::kReadOnly);
  auto map = ro->map(ShmAccess::kReadWrite);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().code(), EACCES);
  EXPECT_EQ(map.error().operation(), "mmap");
}

TEST_F(PosixShm, MapOfEmptyObjectOrPastTheEndFailsWithEinval) {
  const std::string name = fresh_name("empty");
  auto shm = SharedMemoryObject::create(name, 0);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto empty = shm->map(ShmAccess::kReadWrite);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), EINVAL);
  ASSERT_TRUE(shm->resize(4096));
  EXPECT_EQ(code_of(shm->map(ShmAccess::kReadWrite, 0, 8192)), EINVAL);
  EXPECT_EQ(code_of(shm->map(ShmAccess::kReadWrite, 4096, 1)), EINVAL);
  EXPECT_EQ(code_of(shm->map(ShmAccess::kReadWrite, 0, 0)), EINVAL);
  EXPECT_EQ(code_of(shm->map(ShmAccess::kReadWrite, 1, 100)), EINVAL);  // not page-aligned
  EXPECT_EQ(code_of(shm->map(ShmAccess::kReadWrite, 0, 4096)), 0);
}

TEST_F(PosixShm, ResizeChangesTheObjectButNotExistingMappings) {
  const std::string name = fresh_name("resize");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto before = shm->map(ShmAccess::kReadWrite);
  ASSERT_TRUE(before) << before.error().message();
  static_cast<char*>(before->data())[0] = 'a';
  ASSERT_TRUE(shm->resize(3 * 4096));
  EXPECT_EQ(shm->stat()->size, 3u * 4096);
  EXPECT_EQ(before->size(), 4096u);
  auto after = shm->map(ShmAccess::kReadWrite);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->size(), 3u * 4096);
  EXPECT_EQ(static_cast<char*>(after->data())[0], 'a');
  EXPECT_EQ(static_cast<char*>(after->data())[3 * 4096 - 1], '\0');
  ASSERT_TRUE(shm->resize(100));
  EXPECT_EQ(shm->stat()->size, 100u);
}

TEST_F(PosixShm, ResizeOfReadOnlyHandleFailsWithEinval) {
  const std::string name = fresh_name("roresize");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto ro = SharedMemoryObject::open(name, ShmAccess::kReadOnly);
  ASSERT_TRUE(ro) << ro.error().message();
  auto r = ro->resize(8192);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(shm->stat()->size, 4096u);
}

TEST_F(PosixShm, StatReportsSizeModeOwnerAndTimes) {
  const std::string name = fresh_name("stat");
  auto shm = SharedMemoryObject::create(name, 12345, 0640);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto st = shm->stat();
  ASSERT_TRUE(st) << st.error().message();
  const struct stat entry = stat_entry(name);
  EXPECT_EQ(st->size, 12345u);
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->uid, ::geteuid());
  EXPECT_EQ(st->gid, ::getegid());
  EXPECT_EQ(st->inode, entry.st_ino);
  EXPECT_EQ(st->mtime.tv_sec, entry.st_mtim.tv_sec);
  EXPECT_EQ(st->ctime.tv_sec, entry.st_ctim.tv_sec);
  EXPECT_GT(st->ctime.tv_sec, 0);
  EXPECT_GT(st->atime.tv_sec, 0);
}

TEST_F(PosixShm, UnlinkRemovesTheNameButMappingsStayValid) {
  const std::string name = fresh_name("unlink");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto map = shm->map(ShmAccess::kReadWrite);
  ASSERT_TRUE(map) << map.error().message();
  ASSERT_TRUE(SharedMemoryObject::unlink(name));
  EXPECT_FALSE(entry_exists(name));
  EXPECT_EQ(code_of(SharedMemoryObject::open(name)), ENOENT);
  static_cast<char*>(map->data())[4095] = 'z';  // still mapped, still writable
  EXPECT_EQ(static_cast<char*>(map->data())[4095], 'z');
  auto again = SharedMemoryObject::unlink(name);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ENOENT);
  EXPECT_EQ(again.error().message(), "shm_unlink(" + name + "): No such file or directory");
}

TEST_F(PosixShm, MappingMovesOwnershipAndUnmapsOnce) {
  const std::string name = fresh_name("mapmove");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto map = shm->map(ShmAccess::kReadOnly);
  ASSERT_TRUE(map) << map.error().message();
  EXPECT_TRUE(map->read_only());
  Mapping moved = std::move(*map);
  EXPECT_FALSE(map->mapped());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(moved.mapped());
  ASSERT_TRUE(moved.unmap());
  EXPECT_FALSE(moved.mapped());
  auto twice = moved.unmap();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), EINVAL);
}

TEST_F(PosixShm, NameOwnerUnlinksWhatItCreatedWhenDestroyed) {
  const std::string name = fresh_name("owner");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  {
    auto owner = shm->own_name();
    ASSERT_TRUE(owner) << owner.error().message();
    EXPECT_TRUE(owner->owns());
    EXPECT_EQ(owner->name(), name);
    ShmNameOwner moved = std::move(*owner);  // the moved-from owner must do nothing
    EXPECT_TRUE(entry_exists(name));
  }
  EXPECT_FALSE(entry_exists(name));
}

TEST_F(PosixShm, NameOwnerIsRefusedWithEpermToHandlesThatDidNotCreate) {
  const std::string name = fresh_name("notowner");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  auto opened = SharedMemoryObject::open(name);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(code_of(opened->own_name()), EPERM);
  auto joined = SharedMemoryObject::create(name, 4096, 0600, Exclusive::kNo);
  ASSERT_TRUE(joined) << joined.error().message();
  EXPECT_EQ(code_of(joined->own_name()), EPERM);
  EXPECT_TRUE(entry_exists(name));
}

TEST_F(PosixShm, NameOwnerLeavesAloneAnObjectRecreatedUnderItsName) {
  const std::string name = fresh_name("recreated");
  auto guard = unlinked_at_exit(name);
  auto first = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(first) << first.error().message();
  auto owner = first->own_name();
  ASSERT_TRUE(owner) << owner.error().message();
  ASSERT_TRUE(SharedMemoryObject::unlink(name));
  auto second = SharedMemoryObject::create(name, 8192);  // "someone else's" object
  ASSERT_TRUE(second) << second.error().message();
  auto r = owner->unlink();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_FALSE(owner->owns());
  EXPECT_TRUE(entry_exists(name));
  EXPECT_EQ(stat_entry(name).st_size, 8192);
}

TEST_F(PosixShm, NameOwnerReleaseKeepsTheName) {
  const std::string name = fresh_name("release");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  {
    auto owner = shm->own_name();
    ASSERT_TRUE(owner) << owner.error().message();
    owner->release();
    EXPECT_FALSE(owner->owns());
    EXPECT_EQ(code_of(owner->unlink()), EINVAL);
  }
  EXPECT_TRUE(entry_exists(name));
}

TEST_F(PosixShm, AllocateNowReservesEveryPageAtCreate) {
  const std::string name = fresh_name("alloc");
  constexpr std::size_t kSize = 1 << 20;
  auto shm = SharedMemoryObject::create(name, kSize, 0600, Exclusive::kYes, ShmAllocate::kNow);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = unlinked_at_exit(name);
  struct stat st {};
  ASSERT_EQ(::fstat(shm->fd().get(), &st), 0);
  EXPECT_GE(static_cast<std::size_t>(st.st_blocks) * 512, kSize);
}

TEST_F(PosixShm, AllocateNowFailsWithEnospcWhenDevShmIsTooSmallAndLeavesNothing) {
  struct statvfs fs {};
  ASSERT_EQ(::statvfs("/dev/shm", &fs), 0);
  if (fs.f_blocks == 0) GTEST_SKIP() << "/dev/shm has no size limit";
  const std::size_t too_big = static_cast<std::size_t>(fs.f_blocks) * fs.f_frsize * 2;
  const std::string name = fresh_name("enospc");
  auto guard = unlinked_at_exit(name);
  auto shm = SharedMemoryObject::create(name, too_big, 0600, Exclusive::kYes, ShmAllocate::kNow);
  ASSERT_FALSE(shm);
  EXPECT_EQ(shm.error().code(), ENOSPC);
  EXPECT_EQ(shm.error().operation(), "posix_fallocate");
  EXPECT_FALSE(entry_exists(name));  // the half-made object was unlinked again
}

}  // namespace
}  // namespace ipckit::posix
