// posix::check_name (ipckit/posix/name.hpp): each rule, and each kind's longest name, checked
// against what Linux and glibc really accept with the raw calls.
#include "ipckit/posix/name.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit {
namespace {

using posix::check_name;
using posix::max_name_length;
using posix::NameKind;

// Every test: no descriptor leaks, nothing left in /dev/shm (support/posix_names_test.hpp).
class PosixName : public test::PosixNamesTest {};

// "/ipckit-test-<pid>-<n>-<tag>xxx...", exactly `length` bytes after the slash.
std::string name_of_length(const std::string& tag, std::size_t length) {
  std::string name = "/" + test::unique_name(tag);
  name.resize(1 + length, 'x');
  return name;
}

TEST_F(PosixName, NormalisesToOneLeadingSlash) {
  EXPECT_EQ(check_name("abc", NameKind::kSharedMemory).value(), "/abc");
  EXPECT_EQ(check_name("/abc", NameKind::kSemaphore).value(), "/abc");
  EXPECT_EQ(check_name("/a.b-c_d", NameKind::kMessageQueue).value(), "/a.b-c_d");
}

TEST_F(PosixName, EmptyFailsWithEinvalSayingEmpty) {
  for (const char* empty : {"", "/"}) {
    auto r = check_name(empty, NameKind::kSharedMemory);
    ASSERT_FALSE(r) << empty;
    EXPECT_EQ(r.error().code(), EINVAL);
    EXPECT_EQ(r.error().detail(), "invalid name: empty");
  }
  EXPECT_EQ(check_name("", NameKind::kSharedMemory).error().message(),
            "shm_open: invalid name: empty");
}

TEST_F(PosixName, SlashAfterTheFirstCharacterFailsWithEinval) {
  for (const char* bad : {"a/b", "/a/b", "//a", "a/", "/a/"}) {
    auto r = check_name(bad, NameKind::kMessageQueue);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
    EXPECT_EQ(r.error().detail(), "invalid name: '/' is allowed only as the first character");
  }
  EXPECT_EQ(check_name("/a/b", NameKind::kMessageQueue).error().message(),
            "mq_open(/a/b): invalid name: '/' is allowed only as the first character");
}

TEST_F(PosixName, DotAndDotDotFailWithEinval) {
  for (const char* bad : {".", "/.", "..", "/.."}) {
    auto r = check_name(bad, NameKind::kSemaphore);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
    EXPECT_EQ(r.error().detail(), "invalid name: '.' and '..' are reserved");
  }
  EXPECT_TRUE(check_name("...", NameKind::kSemaphore));
  EXPECT_TRUE(check_name(".x", NameKind::kSemaphore));
}

TEST_F(PosixName, NulByteFailsWithEinvalAndIsShown) {
  const std::string with_nul("/a\0b", 4);
  auto r = check_name(with_nul, NameKind::kSharedMemory);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), "shm_open(/a\\0b): invalid name: contains a NUL byte");
}

TEST_F(PosixName, OperationIsTheOneGivenOrTheKindsOpenCall) {
  EXPECT_EQ(check_name("a/b", NameKind::kSharedMemory, "shm_unlink").error().operation(),
            "shm_unlink");
  EXPECT_EQ(check_name("a/b", NameKind::kSemaphore).error().operation(), "sem_open");
  EXPECT_EQ(check_name("a/b", NameKind::kChannel).error().operation(), "open channel");
  EXPECT_EQ(check_name("a/b", NameKind::kSharedState).error().operation(), "open shared state");
}

TEST_F(PosixName, MaxLengthsAreNameMaxButSemaphoresLoseGlibcsPrefix) {
  EXPECT_EQ(max_name_length(NameKind::kSharedMemory), std::size_t{NAME_MAX});
  EXPECT_EQ(max_name_length(NameKind::kMessageQueue), std::size_t{NAME_MAX});
  EXPECT_EQ(max_name_length(NameKind::kSemaphore), std::size_t{NAME_MAX} - 4);
  EXPECT_EQ(max_name_length(NameKind::kChannel), 200u);
  EXPECT_EQ(max_name_length(NameKind::kSharedState), 200u);
}

TEST_F(PosixName, EachKindAcceptsItsMaxAndRefusesOneMoreWithEnametoolong) {
  for (const NameKind kind :
       {NameKind::kSharedMemory, NameKind::kSemaphore, NameKind::kMessageQueue, NameKind::kChannel,
        NameKind::kSharedState}) {
    const std::size_t max = max_name_length(kind);
    const std::string longest = name_of_length("max", max);
    EXPECT_EQ(check_name(longest, kind).value(), longest);
    EXPECT_EQ(check_name(longest.substr(1), kind).value(), longest);
    auto too_long = check_name(longest + "x", kind);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().code(), ENAMETOOLONG);
    EXPECT_NE(too_long.error().detail().find(
                  std::to_string(max + 1) + " bytes after the '/', at most " + std::to_string(max)),
              std::string::npos)
        << too_long.error().detail();
  }
  EXPECT_EQ(check_name(name_of_length("sem", 252), NameKind::kSemaphore).error().detail(),
            "invalid name: 252 bytes after the '/', at most 251 for a named semaphore");
}

// The limits are the real ones: the raw calls take a name of the longest length and refuse one
// byte more, so the validator neither refuses a name Linux takes nor lets one through that the
// call would then refuse.
TEST_F(PosixName, ShmOpenTakesExactlyTheLongestShmName) {
  const std::string longest = name_of_length("shm", max_name_length(NameKind::kSharedMemory));
  const int fd = ::shm_open(longest.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ::close(fd);
  EXPECT_EQ(::shm_unlink(longest.c_str()), 0);
  const std::string longer = longest + "x";
  EXPECT_EQ(::shm_open(longer.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
}

TEST_F(PosixName, SemOpenTakesExactlyTheLongestSemaphoreName) {
  const std::string longest = name_of_length("sem", max_name_length(NameKind::kSemaphore));
  sem_t* sem = ::sem_open(longest.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(sem, SEM_FAILED) << std::strerror(errno);
  ::sem_close(sem);
  EXPECT_EQ(::sem_unlink(longest.c_str()), 0);
  const std::string longer = longest + "x";
  EXPECT_EQ(::sem_open(longer.c_str(), O_CREAT | O_EXCL, 0600, 0), SEM_FAILED);
  EXPECT_EQ(errno, ENAMETOOLONG);
}

TEST_F(PosixName, MqOpenTakesExactlyTheLongestQueueName) {
  const std::string longest = name_of_length("mq", max_name_length(NameKind::kMessageQueue));
  mq_attr attr{};
  attr.mq_maxmsg = 1;
  attr.mq_msgsize = 8;
  const mqd_t q = ::mq_open(longest.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
  ASSERT_NE(q, mqd_t(-1)) << std::strerror(errno);
  ::mq_close(q);
  EXPECT_EQ(::mq_unlink(longest.c_str()), 0);
  const std::string longer = longest + "x";
  EXPECT_EQ(::mq_open(longer.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr),
            mqd_t(-1));
  EXPECT_EQ(errno, ENAMETOOLONG);
}

}  // namespace
}  // namespace ipckit
