// Unlinking POSIX objects by name, as `ipckit rm posix-shm:/NAME` (posix-sem, mqueue) does it:
// a name that names nothing fails with ENOENT naming it; another user's object fails with
// EACCES (/dev/shm and the mqueue filesystem are sticky) and stays.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "ipckit/posix/mqueue.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "ipckit/posix/shm.hpp"
#include "posix/mqueue_test_support.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit::posix {
namespace {

using test::code_of;

class PosixUnlinkByName : public test::PosixNamesTest {};

// Unlinks `name` with `unlink` when the scope ends (only names this test created).
template <class Unlink>
auto unlinked_at_exit(std::string name, Unlink unlink) {
  return test::ScopeExit([name = std::move(name), unlink] { (void)unlink(name); });
}

// `unlink(name)` of a name that names nothing: ENOENT from `operation`, naming "/name".
template <class Unlink>
void expect_enoent_naming_it(Unlink unlink, const std::string& name, const char* operation) {
  auto r = unlink(name.substr(1));  // given without its slash: reported normalised
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().operation(), operation);
  EXPECT_EQ(r.error().object(), name);
  EXPECT_EQ(r.error().message(),
            std::string(operation) + "(" + name + "): No such file or directory");
}

TEST_F(PosixUnlinkByName, MissingNameFailsWithEnoentNamingIt) {
  const std::string name = "/" + test::unique_name("missing");
  expect_enoent_naming_it(&SharedMemoryObject::unlink, name, "shm_unlink");
  expect_enoent_naming_it(&NamedSemaphore::unlink, name, "sem_unlink");
  expect_enoent_naming_it(&MessageQueue::unlink, name, "mq_unlink");
}

TEST_F(PosixUnlinkByName, AnotherUsersObjectFailsWithEaccesAndStays) {
  const std::string name = "/" + test::unique_name("theirs");
  ASSERT_TRUE(SharedMemoryObject::create(name, 4096, 0666));
  auto shm_guard = unlinked_at_exit(name, &SharedMemoryObject::unlink);
  ASSERT_TRUE(NamedSemaphore::create(name, 0, 0666));
  auto sem_guard = unlinked_at_exit(name, &NamedSemaphore::unlink);
  ASSERT_TRUE(MessageQueue::create(name, mqtest::small(0666)));
  auto mq_guard = unlinked_at_exit(name, &MessageQueue::unlink);

  test::Child nobody(
      [&] {
        if (code_of(SharedMemoryObject::unlink(name)) != EACCES) return 1;
        if (code_of(NamedSemaphore::unlink(name)) != EACCES) return 2;
        if (code_of(MessageQueue::unlink(name)) != EACCES) return 3;
        return 0;
      },
      /*as_nobody=*/true);
  EXPECT_EQ(nobody.wait(), 0);
  EXPECT_TRUE(SharedMemoryObject::open(name));
  EXPECT_TRUE(NamedSemaphore::open(name));
  EXPECT_TRUE(MessageQueue::open(name, MqAccess::kReadOnly));
}

}  // namespace
}  // namespace ipckit::posix
