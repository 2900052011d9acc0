#include "ipckit/posix/semaphore.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "ipckit/posix/shm.hpp"
#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit::posix {
namespace {

using namespace std::chrono_literals;
using test::ScopeExit;
using Clock = std::chrono::steady_clock;

// Every test: no descriptor leaks, nothing left in /dev/shm (support/posix_names_test.hpp).
class PosixSemaphore : public test::PosixNamesTest {};

std::string fresh_name(const std::string& suffix) {
  return "/" + test::unique_name(suffix);
}

auto unlinked_at_exit(std::string name) {
  return ScopeExit([name = std::move(name)] { (void)NamedSemaphore::unlink(name); });
}

using test::code_of;

int value_of(const NamedSemaphore& sem) {
  auto v = sem.value();
  return v ? *v : -1;
}

// A forked child running `fn` concurrently with the caller; join() reaps it and returns its exit
// code (128 + signal if it died of one). The destructor kills and reaps a child not yet joined.
class Child {
 public:
  template <class F>
  explicit Child(F fn) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) ::_exit(fn());
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)join();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  [[nodiscard]] bool started() const { return pid_ > 0; }
  int join() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// While alive, SIGALRM arrives every `period` with a handler installed without SA_RESTART, so
// blocking calls in this thread fail with EINTR unless the library restarts them. The no-op
// handler stays installed afterwards: a signal still in flight (sanitizers defer delivery) must
// not find SIGALRM's default action, which kills the process.
class SignalStorm {
 public:
  explicit SignalStorm(std::chrono::microseconds period) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { delivered.fetch_add(1, std::memory_order_relaxed); };
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ::sigaction(SIGALRM, &sa, nullptr);
    itimerval tv{};
    tv.it_interval.tv_usec = static_cast<suseconds_t>(period.count());
    tv.it_value = tv.it_interval;
    ::setitimer(ITIMER_REAL, &tv, nullptr);
  }
  ~SignalStorm() {
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
  }
  SignalStorm(const SignalStorm&) = delete;
  SignalStorm& operator=(const SignalStorm&) = delete;

  // Signals handled so far, by any storm: proves the waits really were interrupted.
  static inline std::atomic<int> delivered{0};
};

static_assert(!std::is_copy_constructible_v<NamedSemaphore>);
static_assert(std::is_nothrow_move_constructible_v<NamedSemaphore>);
static_assert(!std::is_copy_constructible_v<UnnamedSemaphore>);
static_assert(!std::is_move_constructible_v<UnnamedSemaphore>);

TEST_F(PosixSemaphore, CreateThenOpenSharesTheCount) {
  const std::string name = fresh_name("sem");
  auto created = NamedSemaphore::create(name, 3);
  ASSERT_TRUE(created) << created.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_TRUE(created->created());
  EXPECT_EQ(created->name(), name);
  auto opened = NamedSemaphore::open(name.substr(1));  // "name" means "/name"
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_FALSE(opened->created());
  EXPECT_EQ(opened->name(), name);
  EXPECT_EQ(value_of(*opened), 3);
  ASSERT_TRUE(opened->wait());
  EXPECT_EQ(value_of(*created), 2);
  struct stat st {};
  EXPECT_EQ(::stat(("/dev/shm/sem." + name.substr(1)).c_str(), &st), 0);
}

TEST_F(PosixSemaphore, CreateExclusiveFailsWithEexistWhenNameExists) {
  const std::string name = fresh_name("excl");
  auto first = NamedSemaphore::create(name);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = unlinked_at_exit(name);
  auto second = NamedSemaphore::create(name);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "sem_open(" + name + "): File exists");
}

TEST_F(PosixSemaphore, CreateNonExclusiveOpensExistingWithoutResettingTheCount) {
  const std::string name = fresh_name("nonexcl");
  auto first = NamedSemaphore::create(name, 5);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = unlinked_at_exit(name);
  auto second = NamedSemaphore::create(name, 0, 0600, Exclusive::kNo);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_FALSE(second->created());
  EXPECT_EQ(value_of(*second), 5);
}

TEST_F(PosixSemaphore, OpenFailsWithEnoentWhenNameIsMissing) {
  const std::string name = fresh_name("missing");
  auto sem = NamedSemaphore::open(name);
  ASSERT_FALSE(sem);
  EXPECT_EQ(sem.error().code(), ENOENT);
  EXPECT_EQ(sem.error().message(), "sem_open(" + name + "): No such file or directory");
  auto unlinked = NamedSemaphore::unlink(name);
  ASSERT_FALSE(unlinked);
  EXPECT_EQ(unlinked.error().code(), ENOENT);
}

TEST_F(PosixSemaphore, BadNamesFailWithEinval) {
  const std::string inner = "/" + test::unique_name("a") + "/b";
  for (const std::string& bad : {std::string(""), std::string("/"), inner, std::string("//a"),
                                 std::string("/.."), std::string("a\0b", 3)}) {
    EXPECT_EQ(code_of(NamedSemaphore::create(bad)), EINVAL) << bad;
    EXPECT_EQ(code_of(NamedSemaphore::open(bad)), EINVAL) << bad;
    EXPECT_EQ(code_of(NamedSemaphore::unlink(bad)), EINVAL) << bad;
  }
  EXPECT_EQ(NamedSemaphore::open(inner).error().message(),
            "sem_open(" + inner + "): invalid name: '/' is allowed only as the first character");
}

TEST_F(PosixSemaphore, NameLongerThan251BytesFailsWithEnametoolong) {
  std::string longest = fresh_name("long");
  longest.resize(1 + 251, 'x');  // "sem." + 251 bytes = NAME_MAX
  auto ok = NamedSemaphore::create(longest);
  ASSERT_TRUE(ok) << ok.error().message();
  auto guard = unlinked_at_exit(longest);
  EXPECT_EQ(code_of(NamedSemaphore::create(longest + "x")), ENAMETOOLONG);
  EXPECT_EQ(code_of(NamedSemaphore::open(longest + "x")), ENAMETOOLONG);
}

TEST_F(PosixSemaphore, InitialValueAboveSemValueMaxFailsWithEinval) {
  const std::string name = fresh_name("toobig");
  auto sem = NamedSemaphore::create(name, kSemValueMax + 1u);
  ASSERT_FALSE(sem);
  EXPECT_EQ(sem.error().code(), EINVAL);
  EXPECT_EQ(code_of(NamedSemaphore::open(name)), ENOENT);
}

TEST_F(PosixSemaphore, CreateAppliesModeExactlyWhateverTheUmask) {
  const mode_t old_umask = ::umask(077);
  ScopeExit restore([old_umask] { ::umask(old_umask); });
  for (const mode_t mode : {mode_t{0666}, mode_t{0640}, mode_t{0600}}) {
    const std::string name = fresh_name("mode");
    auto sem = NamedSemaphore::create(name, 0, mode);
    ASSERT_TRUE(sem) << sem.error().message();
    auto guard = unlinked_at_exit(name);
    struct stat st {};
    ASSERT_EQ(::stat(("/dev/shm/sem." + name.substr(1)).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode);
  }
  EXPECT_EQ(code_of(NamedSemaphore::create(fresh_name("badmode"), 0, 01666)), EINVAL);
}

TEST_F(PosixSemaphore, OtherUserIsDeniedAPrivateSemaphoreWithEacces) {
  const std::string name = fresh_name("private");
  auto sem = NamedSemaphore::create(name, 1, 0600);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(NamedSemaphore::open(name)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody(
                [&] { return code_of(NamedSemaphore::create(name, 0, 0600, Exclusive::kNo)); }),
            EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(NamedSemaphore::unlink(name)); }), EACCES);
  EXPECT_EQ(value_of(*sem), 1);
}

TEST_F(PosixSemaphore, WaitInOneProcessIsReleasedByPostInAnother) {
  const std::string ping = fresh_name("ping");
  const std::string pong = fresh_name("pong");
  auto a = NamedSemaphore::create(ping);
  ASSERT_TRUE(a) << a.error().message();
  auto guard_a = unlinked_at_exit(ping);
  auto b = NamedSemaphore::create(pong);
  ASSERT_TRUE(b) << b.error().message();
  auto guard_b = unlinked_at_exit(pong);
  Child child([&] {
    auto in = NamedSemaphore::open(ping);
    auto out = NamedSemaphore::open(pong);
    if (!in || !out) return 1;
    for (int i = 0; i < 100; ++i) {
      if (!in->wait() || !out->post()) return 2;
    }
    return 0;
  });
  ASSERT_TRUE(child.started());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(a->post());
    auto r = b->wait_for(10s);
    ASSERT_TRUE(r) << r.error().message();
  }
  EXPECT_EQ(child.join(), 0);
  EXPECT_EQ(value_of(*a), 0);
  EXPECT_EQ(value_of(*b), 0);
}

TEST_F(PosixSemaphore, WaitIsRestartedAfterSignals) {
  const std::string name = fresh_name("eintr");
  auto sem = NamedSemaphore::create(name);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  Child poster([&] {
    std::this_thread::sleep_for(100ms);
    return code_of(sem->post());
  });
  Result<void> r;
  const int delivered_before = SignalStorm::delivered.load();
  {
    SignalStorm storm(2ms);
    r = sem->wait();
  }
  EXPECT_GT(SignalStorm::delivered.load(), delivered_before);  // TSan coalesces them
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_EQ(poster.join(), 0);
}

TEST_F(PosixSemaphore, TimedWaitFailsWithEtimedoutAfterTheTimeout) {
  const std::string name = fresh_name("timeout");
  auto sem = NamedSemaphore::create(name);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  const auto start = Clock::now();
  auto r = sem->wait_for(50ms);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_EQ(r.error().message(), "sem_clockwait(" + name + "): Connection timed out");
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);
}

TEST_F(PosixSemaphore, TimedWaitKeepsItsDeadlineThroughSignals) {
  const std::string name = fresh_name("deadline");
  auto sem = NamedSemaphore::create(name);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  const auto start = Clock::now();
  Result<void> r;
  const int delivered_before = SignalStorm::delivered.load();
  {
    SignalStorm storm(1ms);
    r = sem->wait_until(start + 100ms);
  }
  EXPECT_GT(SignalStorm::delivered.load(), delivered_before);  // TSan coalesces them
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);  // not EINTR
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 5s);  // a restart with a fresh relative timeout would never end
}

TEST_F(PosixSemaphore, TimedWaitWithPastDeadlineStillTakesAnAvailableCount) {
  const std::string name = fresh_name("past");
  auto sem = NamedSemaphore::create(name, 1);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  EXPECT_TRUE(sem->wait_until(Clock::now() - 1s));
  EXPECT_EQ(code_of(sem->wait_for(-5ms)), ETIMEDOUT);
  EXPECT_EQ(code_of(sem->wait_until(Clock::time_point::min())), ETIMEDOUT);
}

TEST_F(PosixSemaphore, TryWaitReturnsFalseAtZeroAndTrueAfterPost) {
  const std::string name = fresh_name("try");
  auto sem = NamedSemaphore::create(name);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  auto r = sem->try_wait();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(*r);
  ASSERT_TRUE(sem->post());
  EXPECT_EQ(value_of(*sem), 1);
  r = sem->try_wait();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r);
  EXPECT_EQ(value_of(*sem), 0);
}

TEST_F(PosixSemaphore, PostAtSemValueMaxFailsWithEoverflow) {
  const std::string name = fresh_name("overflow");
  auto sem = NamedSemaphore::create(name, kSemValueMax);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  auto r = sem->post();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EOVERFLOW);
  EXPECT_EQ(r.error().operation(), "sem_post");
  EXPECT_EQ(value_of(*sem), static_cast<int>(kSemValueMax));
}

TEST_F(PosixSemaphore, HandleStaysUsableAfterUnlinkAndCloseIsReportedOnce) {
  const std::string name = fresh_name("closed");
  auto sem = NamedSemaphore::create(name);
  ASSERT_TRUE(sem) << sem.error().message();
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(NamedSemaphore::unlink(name));
  EXPECT_TRUE(sem->post());
  EXPECT_EQ(value_of(*sem), 1);
  ASSERT_TRUE(sem->close());
  EXPECT_FALSE(sem->is_open());
  EXPECT_EQ(code_of(sem->close()), EINVAL);
  EXPECT_EQ(code_of(sem->post()), EINVAL);
  EXPECT_EQ(code_of(sem->try_wait()), EINVAL);
}

// MAP_SHARED | MAP_ANONYMOUS memory, unmapped when the scope ends.
struct SharedPage {
  SharedPage()
      : addr(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {}
  ~SharedPage() {
    if (addr != MAP_FAILED) ::munmap(addr, 4096);
  }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  std::span<std::byte> bytes() const { return {static_cast<std::byte*>(addr), 4096}; }
  void* addr;
};

TEST_F(PosixSemaphore, UnnamedSemaphoreInSharedAnonymousMemoryWorksAcrossFork) {
  SharedPage page;
  ASSERT_NE(page.addr, MAP_FAILED);
  auto ping = UnnamedSemaphore::init(page.bytes(), 0);
  ASSERT_TRUE(ping) << ping.error().message();
  auto pong = UnnamedSemaphore::init(page.bytes().subspan(64), 0);
  ASSERT_TRUE(pong) << pong.error().message();
  Child child([&] {
    UnnamedSemaphore* in = UnnamedSemaphore::at(page.addr);
    UnnamedSemaphore* out = UnnamedSemaphore::at(page.bytes().subspan(64).data());
    for (int i = 0; i < 100; ++i) {
      if (!in->wait() || !out->post()) return 2;
    }
    return 0;
  });
  ASSERT_TRUE(child.started());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE((*ping)->post());
    auto r = (*pong)->wait_for(10s);
    ASSERT_TRUE(r) << r.error().message();
  }
  EXPECT_EQ(child.join(), 0);
  EXPECT_EQ(*(*ping)->value(), 0);
  EXPECT_TRUE((*ping)->destroy());
  EXPECT_TRUE((*pong)->destroy());
}

TEST_F(PosixSemaphore, UnnamedSemaphoreInSharedMemoryObjectIsReachedByName) {
  const std::string name = fresh_name("shmsem");
  auto shm = SharedMemoryObject::create(name, 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto owner = shm->own_name();
  ASSERT_TRUE(owner) << owner.error().message();
  auto map = shm->map(ShmAccess::kReadWrite);
  ASSERT_TRUE(map) << map.error().message();
  auto sem = UnnamedSemaphore::init(map->bytes(), 0);
  ASSERT_TRUE(sem) << sem.error().message();
  Child child([&] {
    auto peer = SharedMemoryObject::open(name);
    if (!peer) return 1;
    auto peer_map = peer->map(ShmAccess::kReadWrite);  // another address, the same memory
    if (!peer_map) return 2;
    return code_of(UnnamedSemaphore::at(peer_map->data())->post());
  });
  auto r = (*sem)->wait_for(10s);
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_EQ(child.join(), 0);
  EXPECT_TRUE((*sem)->destroy());
}

TEST_F(PosixSemaphore, UnnamedSemaphoreTryAndTimedWaitAndOverflow) {
  SharedPage page;
  ASSERT_NE(page.addr, MAP_FAILED);
  auto sem = UnnamedSemaphore::init(page.bytes(), 0);
  ASSERT_TRUE(sem) << sem.error().message();
  auto took = (*sem)->try_wait();
  ASSERT_TRUE(took) << took.error().message();
  EXPECT_FALSE(*took);
  const auto start = Clock::now();
  auto r = (*sem)->wait_for(50ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_GE(Clock::now() - start, 50ms);
  EXPECT_TRUE((*sem)->destroy());
  auto full = UnnamedSemaphore::init(page.bytes(), kSemValueMax);
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_EQ(code_of((*full)->post()), EOVERFLOW);
  EXPECT_TRUE((*full)->destroy());
}

TEST_F(PosixSemaphore, UnnamedInitRejectsSmallOrMisalignedMemoryAndBigValuesWithEinval) {
  SharedPage page;
  ASSERT_NE(page.addr, MAP_FAILED);
  EXPECT_EQ(code_of(UnnamedSemaphore::init(page.bytes().first(sizeof(sem_t) - 1), 0)), EINVAL);
  EXPECT_EQ(code_of(UnnamedSemaphore::init(page.bytes().subspan(1), 0)), EINVAL);
  EXPECT_EQ(code_of(UnnamedSemaphore::init({}, 0)), EINVAL);
  EXPECT_EQ(code_of(UnnamedSemaphore::init(page.bytes(), kSemValueMax + 1u)), EINVAL);
}

}  // namespace
}  // namespace ipckit::posix
