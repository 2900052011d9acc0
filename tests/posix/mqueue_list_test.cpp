// Finding the mqueue filesystem and listing queues through it. The listing test needs the
// filesystem mounted: it skips when it is not, and tests/cli/mqueue_listing.sh runs it in a
// private mount namespace with the filesystem mounted, so CI always runs it for real.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ipckit/posix/mqueue.hpp"
#include "posix/mqueue_test_support.hpp"

namespace ipckit::posix {
namespace {

using mqtest::small;
using mqtest::unique_queue;
using mqtest::unlinked_at_exit;

// A mounts table with the given contents, in a file removed at scope end.
class MountsFile {
 public:
  explicit MountsFile(const std::string& contents) {
    std::string tmpl = "/tmp/" + test::unique_name("mounts-XXXXXX");
    const int fd = ::mkstemp(tmpl.data());
    if (fd >= 0) {
      ::close(fd);
      path_ = tmpl;
      std::ofstream(path_) << contents;
    }
  }
  ~MountsFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  MountsFile(const MountsFile&) = delete;
  MountsFile& operator=(const MountsFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr const char* kNoMqueue =
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n";

TEST(PosixMqueueMount, MissingMqueueMountFailsWithEnoentSayingHowToMountIt) {
  MountsFile mounts(kNoMqueue);
  ASSERT_FALSE(mounts.path().empty());
  auto dir = mqueue_mount_point(mounts.path());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ENOENT);
  EXPECT_EQ(dir.error().object(), mounts.path());
  const std::string msg = dir.error().message();
  EXPECT_NE(msg.find("no mqueue filesystem is mounted"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mount -t mqueue none /dev/mqueue"), std::string::npos) << msg;
}

TEST(PosixMqueueMount, FindsTheMountPointAndPrefersDevMqueue) {
  MountsFile other(std::string(kNoMqueue) + "none /run/my\\040queues mqueue rw 0 0\n");
  auto dir = mqueue_mount_point(other.path());
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_EQ(*dir, "/run/my queues");  // \040 is a space in /proc/mounts
  MountsFile both(std::string(kNoMqueue) +
                  "none /run/q mqueue rw 0 0\nmqueue /dev/mqueue mqueue rw 0 0\n");
  dir = mqueue_mount_point(both.path());
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_EQ(*dir, "/dev/mqueue");
}

TEST(PosixMqueueMount, UnreadableMountsTableFailsWithItsErrno) {
  auto dir = mqueue_mount_point("/nonexistent/" + test::unique_name("mounts"));
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ENOENT);
  EXPECT_EQ(dir.error().operation(), "open");
}

TEST(PosixMqueueMount, SystemLimitsAreReadFromProc) {
  auto sys = mqueue_system_limits();
  ASSERT_TRUE(sys) << sys.error().message();
  EXPECT_GE(sys->msg_max, 1);
  EXPECT_GE(sys->msgsize_max, 128);
  EXPECT_GE(sys->queues_max, 0);
}

// Runs for real under tests/cli/mqueue_listing.sh (a private mount namespace with the mqueue
// filesystem mounted); skips where nothing is mounted.
TEST(PosixMqueueListing, ListsAQueueWithItsMessageCountBytesAndMode) {
  auto dir = mqueue_mount_point();
  if (!dir) GTEST_SKIP() << dir.error().message();
  const std::string name = unique_queue("listed");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small(0640));
  ASSERT_TRUE(q) << q.error().message();
  ASSERT_TRUE(q->send("abc"));
  ASSERT_TRUE(q->send("defgh", 3));
  ASSERT_TRUE(q->send(""));

  auto listing = list_queues();
  ASSERT_TRUE(listing) << listing.error().message();
  for (const auto& e : listing->errors)
    ADD_FAILURE() << e.message();
  const auto it = std::find_if(listing->queues.begin(), listing->queues.end(),
                               [&](const MqEntry& e) { return e.name == name; });
  ASSERT_NE(it, listing->queues.end()) << name << " not listed under " << *dir;
  EXPECT_EQ(it->messages, 3);
  EXPECT_EQ(it->bytes, 8u);
  EXPECT_EQ(it->max_messages, mqtest::kSmall.max_messages);
  EXPECT_EQ(it->message_size, mqtest::kSmall.message_size);
  EXPECT_EQ(it->mode, 0640u);
  EXPECT_EQ(it->uid, ::geteuid());
  EXPECT_EQ(it->notify_pid, 0);
  EXPECT_TRUE(std::is_sorted(listing->queues.begin(), listing->queues.end(),
                             [](const MqEntry& a, const MqEntry& b) { return a.name < b.name; }));
  // The listing took nothing off the queue.
  EXPECT_EQ(q->attributes()->messages, 3);
}

}  // namespace
}  // namespace ipckit::posix
