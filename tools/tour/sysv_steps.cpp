// Tour steps 110-140: System V shared memory, the article's race and its semaphore fix, and
// System V message queues.
//
// Every object a step creates is private to this run: segments and sets use IPC_PRIVATE or a
// key derived from the run's unique name (never the article's ftok("/etc/hostname", 903), so a
// user's shmwrite/shmread is never disturbed), and a scope guard removes them, and kills and
// reaps any child, on every return path.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/message_queue.hpp"
#include "ipckit/sysv/sem_lock.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "tour/line_experiment.hpp"
#include "tour/support.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {
namespace {

using namespace ipckit::sysv;

constexpr std::size_t kSegSize = 4096;  // the article's SEG_SIZE

// Creates a kSegSize segment (mode 0600) under a key derived from the run's unique name, so that
// an unrelated process could find it by key as the article's shmread does. Tries other keys when
// one is taken (EEXIST), and never uses IPC_PRIVATE or the article's key.
Result<std::pair<Key, SharedMemory>> create_keyed_segment(const Tour& t) {
  const auto article = Key::from_path("/etc/hostname", 903);
  for (int attempt = 0;; ++attempt) {
    const Key key(static_cast<key_t>(fnv1a(t.unique_name(fmt::format("shm-{}", attempt)))));
    if (key.is_private() || (article && key == *article)) continue;
    auto shm = SharedMemory::create(key, kSegSize, 0600, Exclusive::kYes);
    if (shm) return std::pair{key, *shm};
    if (shm.error().code() != EEXIST || attempt >= 16) return std::unexpected(shm.error());
  }
}

std::string stat_row(const ShmStat& s, ShmId id) {
  return fmt::format("{:<10} {:<8} {:<5o} {:<5} {:<6} {:<7} {}", s.key.hex(), id.value, s.mode,
                     s.size, s.nattch, s.cpid, s.lpid);
}

constexpr std::string_view kStatHeader = "key        shmid    perms bytes nattch cpid    lpid";

// ---------------------------------------------------------------------------------------------
// 110: shared memory.

bool shared_memory_step(Tour& t) {
  constexpr std::string_view kHello = "Hello, IPC world!";
  t.say(
      "System V shared memory is the article's first mechanism: memory pages that several "
      "processes map into their address spaces at once. A segment is named by a numeric key "
      "(the article's programs use ftok(\"/etc/hostname\", 903)); shmget() turns the key into an "
      "id, shmat() maps the segment, shmdt() unmaps it. We play the article's shmwrite and "
      "shmread with a key made for this tour run, so we cannot disturb anyone else's segment.");

  auto made = create_keyed_segment(t);
  if (!made) return failed(t, "create a segment", made.error());
  const Key key = made->first;
  const SharedMemory shm = made->second;
  bool removed = false;
  ScopeExit cleanup([&] {
    if (!removed) (void)shm.remove();
  });
  t.show("shmget({}, {}, IPC_CREAT | IPC_EXCL | 0600)  ->  shmid {}", key.hex(), kSegSize,
         shm.id().value);

  {
    auto seg = shm.attach(Access::kReadWrite);
    if (!seg) return failed(t, "attach the segment", seg.error());
    std::strncpy(static_cast<char*>(seg->data()), std::string(kHello).c_str(), kSegSize);
    t.show("shmat(shmid {}, NULL, 0); strncpy(seg, \"{}\", {}); shmdt(seg)", shm.id().value, kHello,
           kSegSize);
    if (auto r = seg->detach(); !r) return failed(t, "detach the segment", r.error());
  }
  t.say(
      "The writer has detached: no process maps the segment now (nattch 0), yet the kernel "
      "keeps it and its bytes. Unlike malloc() memory it outlives every process that used it, "
      "until someone removes it. Here is what `ipcs -m` and `ipcs -m -p` would list for it (we "
      "ask the kernel directly, with shmctl(IPC_STAT)):");
  auto before = shm.stat();
  if (!before) return failed(t, "stat the segment", before.error());
  output(kStatHeader);
  output(stat_row(*before, shm.id()));
  bool ok =
      t.check(before->nattch == 0 && before->size == kSegSize && before->mode == 0600 &&
                  before->cpid == ::getpid(),
              fmt::format("the segment is {} bytes, mode 600, created by this process (pid {}), "
                          "attached nowhere",
                          kSegSize, ::getpid()));

  t.say(
      "Now a separate process (forked, standing in for shmread) looks the segment up by its "
      "key, attaches it read-only (SHM_RDONLY) and prints what it finds:");
  t.show("shmget({}, {}, 0); shmat(shmid {}, NULL, SHM_RDONLY); printf(\"%s\\n\", seg)", key.hex(),
         kSegSize, shm.id().value);
  Pipe pipe;
  if (!pipe.ok()) return failed(t, "create a pipe", Error::from_errno("pipe2", ""));
  Child reader;
  // The child reports "ok <nattch> <read-only 0/1> <text>", or "error <message>".
  const bool started = reader.start([&] {
    pipe.close_read();
    auto found = SharedMemory::open(key, kSegSize);
    if (!found) return pipe.put("error " + found.error().message()) ? 1 : 2;
    auto seg = found->attach(Access::kReadOnly);
    if (!seg) return pipe.put("error " + seg.error().message()) ? 1 : 2;
    auto st = found->stat();
    if (!st) return pipe.put("error " + st.error().message()) ? 1 : 2;
    // Safety: a read-only mapping of kSegSize bytes; strnlen stays inside it.
    const char* chars = static_cast<const char*>(seg->data());
    const std::string text(chars, strnlen(chars, kSegSize));
    return pipe.put(fmt::format("ok {} {} {}", st->nattch, seg->read_only() ? 1 : 0, text)) ? 0 : 2;
  });
  if (!started) return failed(t, "fork a reader", Error::from_errno("fork", ""));
  const pid_t reader_pid = reader.pid();
  pipe.close_write();
  const std::string report = pipe.get_all();
  const int rc = reader.wait_for(milliseconds(5000));
  if (rc != 0 || !report.starts_with("ok ")) {
    t.check(false, fmt::format("the reader process failed (exit code {}): {}", rc, report));
    return false;
  }

  std::uint64_t nattch = 0;
  int read_only = 0;
  const char* end = report.data() + report.size();
  auto r1 = std::from_chars(report.data() + 3, end, nattch);
  auto r2 = std::from_chars(r1.ptr + (r1.ptr < end ? 1 : 0), end, read_only);
  const std::string_view text =
      r2.ptr < end ? std::string_view(r2.ptr + 1, static_cast<std::size_t>(end - r2.ptr - 1))
                   : std::string_view();
  output(text);
  ok = t.check(text == kHello,
               fmt::format("the reader got \"{}\", the text the writer left", kHello)) &&
       ok;
  ok = t.check(read_only == 1 && nattch == 1,
               "while it read, the reader's read-only attachment was the segment's only one "
               "(nattch 1)") &&
       ok;

  auto after = shm.stat();
  if (!after) return failed(t, "stat the segment", after.error());
  t.say(
      "The reader has exited, and the kernel detached it. lpid, the last process to attach or "
      "detach, is now the reader:");
  output(kStatHeader);
  output(stat_row(*after, shm.id()));
  ok = t.check(after->nattch == 0 && after->lpid == reader_pid,
               fmt::format("nattch is back to 0 and lpid is the reader's pid ({})", reader_pid)) &&
       ok;

  t.say(
      "Finally we remove the segment: shmctl(IPC_RMID) from code, `ipcrm -M <key>` from a "
      "shell. Its key no longer finds anything:");
  t.show("shmctl(shmid {}, IPC_RMID, NULL)", shm.id().value);
  if (auto r = shm.remove(); !r) return failed(t, "remove the segment", r.error());
  removed = true;
  auto gone = SharedMemory::open(key);
  ok = t.check(!gone && gone.error().code() == ENOENT,
               fmt::format("shmget({}, 0, 0) now fails with ENOENT: no segment has that key{}",
                           key.hex(),
                           gone ? fmt::format(" (but it found shmid {})", gone->id().value)
                           : gone.error().code() != ENOENT
                               ? fmt::format(" (but: {})", gone.error().message())
                               : "")) &&
       ok;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 120 and 130: the article's line-copy experiment, without and with a semaphore lock.

constexpr std::uint32_t kLines = 20000;      // lines the writer tries to copy
constexpr milliseconds kWriterBudget{1000};  // the writer stops early after this
constexpr milliseconds kHardLimit{5000};     // the step gives up after this

// Copies the NUL-terminated text at `src` (at most `size` bytes) into `out`, one byte at a time
// as printf("%s") does. Safety: `src` maps at least `size` bytes; another process may be
// writing them, which is the point: volatile makes every pass really read the shared bytes.
void copy_text(const volatile char* src, std::size_t size, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < size; ++i) {
    const char c = src[i];
    if (c == '\0') break;
    out.push_back(c);
  }
}

struct Experiment {
  std::uint32_t written = 0;   // lines the writer copied into the segment
  long long writer_ms = 0;     // how long that took
  std::uint64_t reads = 0;     // times the reader copied the text out
  std::uint64_t torn = 0;      // reads whose checksum did not match
  std::uint32_t seen = 0;      // distinct intact lines the reader got
  std::string torn_example;    // the first torn read, for the narration
  std::string intact_example;  // an intact read, for the narration
};

// Runs the experiment: a forked writer copies kLines lines into a fresh segment as fast as it
// can (stopping after kWriterBudget), while this process reads in a loop until the writer is
// done. With `lock`, the writer holds lock_exclusive() around each strncpy and the reader
// lock_shared() around each copy. Every object is removed before returning.
Result<Experiment> run_experiment(bool lock) {
  auto shm = SharedMemory::create(Key::private_key(), kSegSize, 0600, Exclusive::kYes);
  if (!shm) return std::unexpected(shm.error());
  ScopeExit remove_shm([&] { (void)shm->remove(); });
  std::optional<SemaphoreSet> set;
  ScopeExit remove_set([&] {
    if (set) (void)set->remove();
  });
  if (lock) {
    auto made = SemaphoreSet::create(Key::private_key(), 2, {}, 0600, Exclusive::kYes);
    if (!made) return std::unexpected(made.error());
    set = *made;
  }
  const std::optional<SemLock> sem = set ? std::optional<SemLock>(SemLock(*set)) : std::nullopt;

  auto view = shm->attach(Access::kReadOnly);
  if (!view) return std::unexpected(view.error());

  Pipe pipe;  // the writer's report: "<lines written> <milliseconds>"
  Pipe go;    // closed by the reader once it reads, so that the writer starts against a reader
  if (!pipe.ok() || !go.ok()) return std::unexpected(Error::from_errno("pipe2", ""));
  Child writer;
  const bool started = writer.start([&] {
    pipe.close_read();
    go.close_write();
    auto seg = shm->attach(Access::kReadWrite);
    if (!seg) return 2;
    (void)go.get_all();  // returns at end of file: the reader is reading
    char* dst = static_cast<char*>(seg->data());
    const auto start = Clock::now();
    std::uint32_t i = 1;
    for (; i <= kLines; ++i) {
      const std::string line = make_line(i);
      if (sem) {
        auto held = sem->lock_exclusive();
        if (!held) return 3;
        std::strncpy(dst, line.c_str(), kSegSize);
        if (!held->unlock()) return 4;
      } else {
        std::strncpy(dst, line.c_str(), kSegSize);
      }
      if (i % 256 == 0 && Clock::now() - start > kWriterBudget) break;
    }
    const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
    return pipe.put(fmt::format("{} {}", std::min(i, kLines), ms)) ? 0 : 5;
  });
  if (!started) return std::unexpected(Error::from_errno("fork", "writer"));
  pipe.close_write();
  go.close_read();

  Experiment ex;
  const auto deadline = Clock::now() + kHardLimit;
  const volatile char* src = static_cast<const volatile char*>(view->data());
  std::uint32_t last = 0;
  std::string text;
  text.reserve(kSegSize);
  for (bool done = false; !done;) {
    // Check first, read after: the read made once the writer is gone sees its last line.
    done = (ex.reads % 16 == 0 && writer.exited()) || Clock::now() > deadline;
    if (sem) {
      auto held = sem->lock_shared();
      if (!held) return std::unexpected(held.error());
      copy_text(src, kSegSize, text);
      if (auto r = held->unlock(); !r) return std::unexpected(r.error());
    } else {
      copy_text(src, kSegSize, text);
    }
    if (ex.reads++ == 0) go.close_write();
    const ReadResult r = classify(text);
    if (r.kind == ReadResult::kTorn) {
      if (ex.torn++ == 0) ex.torn_example = text;
    } else if (r.kind == ReadResult::kIntact && r.number > last) {
      last = r.number;
      ++ex.seen;
      if (ex.intact_example.empty() && text.size() > 40) ex.intact_example = text;
    }
  }
  const int rc = writer.wait_for(milliseconds(0));
  if (rc != 0) {
    return fail(ECHILD, "writer", "", fmt::format("the writer process failed (exit code {})", rc));
  }
  const std::string report = pipe.get_all();
  const char* end = report.data() + report.size();
  auto [p, ec] = std::from_chars(report.data(), end, ex.written);
  if (ec != std::errc() || p == end) return fail(EPROTO, "writer", "", "no report from the writer");
  std::from_chars(p + 1, end, ex.writer_ms);
  return ex;
}

// "000042 the quick brown fox..." cut to fit a line of narration.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 64;
  return s.size() <= kMax ? fmt::format("\"{}\"", s) : fmt::format("\"{}...\"", s.substr(0, kMax));
}

bool race_step(Tour& t) {
  t.say(
      "The article's experiment: feed a log to `while read LINE; do ./shmwrite \"$LINE\"; done` "
      "and run `while true; do ./shmread; done` in another terminal. Here a forked writer "
      "copies {} numbered lines into one {}-byte segment, strncpy(seg, line, {}) each, as fast "
      "as it can (for at most {} ms), while this process copies the text out in a loop, up to its "
      "NUL, as shmread's printf(\"%s\") does. Nothing coordinates them. Every line ends with a "
      "checksum of its "
      "text, so the reader can tell a torn read (a line that changed while it was being copied) "
      "from an intact one, and the line numbers show which lines it never saw.",
      kLines, kSegSize, kSegSize, kWriterBudget.count());
  auto ex = run_experiment(false);
  if (!ex) return failed(t, "run the experiment", ex.error());
  t.show("writer: strncpy(seg, {}, {})  (x {})", quoted(make_line(1)), kSegSize, ex->written);
  t.say("The writer copied {} lines in {} ms; the reader copied the segment out {} times.",
        ex->written, ex->writer_ms, ex->reads);
  if (ex->torn > 0) {
    t.say(
        "{} of those reads were torn: the writer changed the line while the reader was "
        "copying it, so the reader got the start of one line and the end of another (or a cut "
        "line). The first one was:",
        ex->torn);
    output(quoted(ex->torn_example));
  } else {
    t.say(
        "No read was torn this time. A race need not show on every run (it depends on timing "
        "and on how many CPUs are free), but nothing here prevents it: the article's \"strings "
        "may occasionally appear cut off or mangled\".");
  }
  t.say(
      "{} of the {} lines were never read at all: the writer overwrote them before the reader "
      "came round. Those are lost, with or without tearing.",
      ex->written - ex->seen, ex->written);
  t.say(
      "These numbers are not checked: a race is not something to assert. The next step "
      "removes the torn reads.");
  return true;
}

bool semaphore_step(Tour& t) {
  t.say(
      "The article's fix is a System V semaphore set with two counters: counter 0 counts "
      "readers, counter 1 writers. A reader waits until counter 1 is zero and adds 1 to counter "
      "0, in one atomic semop(); a writer waits until counter 0 is zero and adds 1 to counter "
      "1. Both undo their count when done, and SEM_UNDO makes the kernel undo it for a process "
      "that dies holding it. ipckit::sysv::SemLock is that protocol: the writer takes "
      "lock_exclusive() (the article's writer lock, which also waits for other writers) and the "
      "reader lock_shared(). Same experiment, with the lock around every copy:");
  t.show("writer: semop(wait readers == 0, writers += 1); strncpy(...); semop(writers -= 1)");
  t.show("reader: semop(wait writers == 0, readers += 1); copy; semop(readers -= 1)");
  auto ex = run_experiment(true);
  if (!ex) return failed(t, "run the experiment", ex.error());
  t.say("The writer copied {} lines in {} ms; the reader copied the segment out {} times.",
        ex->written, ex->writer_ms, ex->reads);
  bool ok = t.check(ex->torn == 0, fmt::format("no read was torn: all {} reads had a matching "
                                               "checksum",
                                               ex->reads));
  if (ex->torn > 0) output(quoted(ex->torn_example));
  ok = t.check(ex->seen > 0, fmt::format("the reader got {} intact lines, e.g. {}", ex->seen,
                                         quoted(ex->intact_example))) &&
       ok;
  const std::uint32_t lost = ex->written - ex->seen;
  if (lost > 0) {
    t.say(
        "Yet {} of the {} lines were still never read. The lock makes each copy whole, but the "
        "writer cannot tell whether the reader has seen the current line before it writes the "
        "next: as the article says, \"the reader can still lose some text\". Not losing any "
        "needs the reader to signal back (a second semaphore) or a queue that keeps every "
        "message until it is taken, like the message queue in the next step.",
        lost, ex->written);
  } else {
    t.say(
        "No line was lost this run, but only because of timing: the writer cannot tell "
        "whether the reader has seen the current line before it writes the next, so nothing "
        "stops it from overwriting an unread line (\"the reader can still lose some text\"). "
        "A queue that keeps every message until it is taken, like the message queue in the "
        "next step, does not have that problem.");
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 140: message queues.

bool message_queue_step(Tour& t) {
  t.say(
      "A System V message queue holds whole messages, each with a positive type, until someone "
      "receives them: nothing is overwritten and nothing is torn. The receiver chooses which "
      "message it takes by type. We make a queue with IPC_PRIVATE, a key that always creates a "
      "new object, found afterwards only by its id.");
  auto mq = MessageQueue::create(Key::private_key(), 0600, Exclusive::kYes);
  if (!mq) return failed(t, "create a queue", mq.error());
  bool removed = false;
  ScopeExit cleanup([&] {
    if (!removed) (void)mq->remove();
  });
  t.show("msgget(IPC_PRIVATE, IPC_CREAT | 0600)  ->  msqid {}", mq->id().value);

  auto count = [&]() -> long long {
    auto st = mq->stat();
    return st ? static_cast<long long>(st->messages) : -1;
  };
  bool ok = t.check(count() == 0, "a new queue holds no messages (msg_qnum 0)");

  struct Sent {
    long type;
    std::string_view text;
  };
  constexpr Sent kSent[] = {
      {2, "two: first"}, {3, "three: first"}, {2, "two: second"}, {1, "one"}, {3, "three: second"},
  };
  for (const Sent& m : kSent) {
    if (auto r = mq->send(m.type, m.text, Wait::kNoWait); !r) {
      return failed(t, "send a message", r.error());
    }
    t.show("msgsnd(msqid {}, type {}, \"{}\")", mq->id().value, m.type, m.text);
  }
  ok = t.check(count() == 5, "msg_qnum is now 5: the queue keeps them all") && ok;

  struct Take {
    ReceiveOptions options;
    std::string_view how;  // the msgrcv call, as C
    std::string_view why;  // what the selector means
    long type;             // expected message
    std::string_view text;
  };
  const Take takes[] = {
      {{.type = 0, .wait = Wait::kNoWait},
       "msgtyp 0",
       "type 0 takes the oldest message",
       2,
       "two: first"},
      {{.type = 3, .wait = Wait::kNoWait},
       "msgtyp 3",
       "type 3 takes the oldest of type 3",
       3,
       "three: first"},
      {{.type = -2, .wait = Wait::kNoWait},
       "msgtyp -2",
       "type -2 takes the lowest type up to 2, even past an older type 2: a priority queue",
       1,
       "one"},
      {{.type = 2, .except = true, .wait = Wait::kNoWait},
       "msgtyp 2, MSG_EXCEPT",
       "MSG_EXCEPT with type 2 takes the oldest message NOT of type 2",
       3,
       "three: second"},
  };
  for (const Take& take : takes) {
    auto m = mq->receive(take.options);
    if (!m) return failed(t, fmt::format("receive with {}", take.how), m.error());
    t.show("msgrcv(msqid {}, {})  ->  type {}, \"{}\"", mq->id().value, take.how, m->type,
           m->text());
    ok = t.check(m->type == take.type && m->text() == take.text, take.why) && ok;
  }
  ok = t.check(count() == 1, "msg_qnum is now 1: only \"two: second\" is left") && ok;

  auto none = mq->receive({.type = 3, .wait = Wait::kNoWait});
  t.show("msgrcv(msqid {}, msgtyp 3, IPC_NOWAIT)  ->  {}", mq->id().value,
         none ? "a message?" : none.error().message());
  ok = t.check(!none && none.error().code() == ENOMSG,
               "with no type 3 left, IPC_NOWAIT fails at once with ENOMSG instead of waiting") &&
       ok;

  t.say(
      "Removing the queue discards the message still in it; the id stops working at once. "
      "Like segments, queues outlive their processes until removed.");
  t.show("msgctl(msqid {}, IPC_RMID, NULL)", mq->id().value);
  if (auto r = mq->remove(); !r) return failed(t, "remove the queue", r.error());
  removed = true;
  auto gone = mq->stat();
  ok = t.check(!gone, fmt::format("msgctl(msqid {}, IPC_STAT) now fails{}", mq->id().value,
                                  gone ? "" : fmt::format(" ({})", gone.error().message()))) &&
       ok;
  return ok;
}

}  // namespace

IPCKIT_TOUR_STEP(110, "System V shared memory: the article's shmwrite and shmread",
                 shared_memory_step);
IPCKIT_TOUR_STEP(120, "The race: copying lines through shared memory with no lock", race_step);
IPCKIT_TOUR_STEP(130, "The article's fix: a semaphore lock around every copy", semaphore_step);
IPCKIT_TOUR_STEP(140, "System V message queues: typed messages, chosen by type",
                 message_queue_step);

}  // namespace ipckit::tour
