// Tour steps 150-180: the POSIX side of the article's mechanisms: shared memory, named
// semaphores and message queues, and FIFOs.
//
// Every object is named after this run (Tour::unique_name; the FIFO sits in a fresh directory
// /tmp/ipckit-tour-<pid>-fifo-XXXXXX) and removed by a scope guard on every return path; every
// child process is killed and reaped by its Child guard. The steps take a few tens of ms.
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/fifo.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "ipckit/posix/shm.hpp"
#include "tour/support.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {
namespace {

using namespace ipckit::posix;

// An `ls -l`-like line for a file: type and permission bits, size, path.
std::string ls_line(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("{}: {}", path, std::strerror(errno));
  std::string perms = S_ISFIFO(st.st_mode) ? "p" : "-";
  const char* const kBits = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    perms += (st.st_mode & (0400u >> i)) != 0 ? kBits[i] : '-';
  return fmt::format("{} uid {} {:>6} {}", perms, st.st_uid, st.st_size, path);
}

bool gone(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) != 0 && errno == ENOENT;
}

// ---------------------------------------------------------------------------------------------
// 150: shared memory.

bool posix_shm_step(Tour& t) {
  constexpr std::size_t kSize = 4096;
  constexpr std::string_view kText = "Hello from POSIX shared memory!";
  t.say(
      "POSIX shared memory does what a System V segment does, through a file-like interface: "
      "shm_open() turns a name into a descriptor, ftruncate() gives the object its size, "
      "mmap() maps it. The name is a string, not a number from ftok(), and on Linux the object "
      "is a file in /dev/shm (a tmpfs), so ls shows it.");
  const std::string name = "/" + t.unique_name("shm");
  const std::string path = "/dev/shm" + name;
  auto shm = SharedMemoryObject::create(name, kSize, 0600, Exclusive::kYes);
  if (!shm) return failed(t, "create the object", shm.error());
  bool unlinked = false;
  ScopeExit cleanup([&] {
    if (!unlinked) (void)SharedMemoryObject::unlink(name);
  });
  t.show("fd = shm_open(\"{}\", O_CREAT | O_EXCL | O_RDWR, 0600); ftruncate(fd, {})", name, kSize);
  t.show("ls -l {}", path);
  output(ls_line(path));
  struct stat st {};
  bool ok = t.check(::stat(path.c_str(), &st) == 0 && st.st_size == static_cast<off_t>(kSize) &&
                        (st.st_mode & 0777) == 0600,
                    fmt::format("{} exists: {} bytes, mode 600", path, kSize));

  auto map = shm->map(ShmAccess::kReadWrite);
  if (!map) return failed(t, "map the object", map.error());
  std::memcpy(map->data(), kText.data(), kText.size());
  t.show("p = mmap(NULL, {}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); strcpy(p, \"{}\")", kSize,
         kText);
  t.say(
      "A forked child, standing in for an unrelated process, opens the object by its name "
      "read-only, maps it with PROT_READ, and reports what it finds:");
  t.show("child: shm_open(\"{}\", O_RDONLY); mmap(..., PROT_READ, MAP_SHARED, ...)", name);
  Pipe pipe;
  if (!pipe.ok()) return failed(t, "create a pipe", Error::from_errno("pipe2", ""));
  Child reader;
  const bool started = reader.start([&] {
    pipe.close_read();
    auto peer = SharedMemoryObject::open(name, ShmAccess::kReadOnly);
    if (!peer) return pipe.put("error " + peer.error().message()) ? 1 : 2;
    auto view = peer->map(ShmAccess::kReadOnly);
    if (!view) return pipe.put("error " + view.error().message()) ? 1 : 2;
    // Safety: a read-only mapping of kSize bytes; strnlen stays inside it.
    const char* chars = static_cast<const char*>(view->data());
    return pipe.put("ok " + std::string(chars, strnlen(chars, kSize))) ? 0 : 2;
  });
  if (!started) return failed(t, "fork a reader", Error::from_errno("fork", ""));
  pipe.close_write();
  const std::string report = pipe.get_all();
  const int rc = reader.wait_for(milliseconds(5000));
  output(report.starts_with("ok ") ? report.substr(3) : report);
  ok = t.check(rc == 0 && report == "ok " + std::string(kText),
               fmt::format("the child read \"{}\" through its own mapping", kText)) &&
       ok;

  t.show("shm_unlink(\"{}\")", name);
  if (auto r = SharedMemoryObject::unlink(name); !r) return failed(t, "unlink", r.error());
  unlinked = true;
  ok = t.check(gone(path), fmt::format("{} is gone", path)) && ok;
  const std::string_view still(static_cast<const char*>(map->data()), kText.size());
  ok = t.check(still == kText,
               "our mapping still reads the text: unlinking removes the name, and the memory "
               "goes when the last descriptor and mapping of it are gone") &&
       ok;
  t.say(
      "Like a System V segment, the object outlives every process until it is removed (or the "
      "machine reboots); unlike one, it is removed by name, as a file is: shm_unlink() is "
      "unlink() in /dev/shm.");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 160: named semaphores.

bool posix_semaphore_step(Tour& t) {
  t.say(
      "POSIX semaphores are, as the article puts it, somewhat simpler to use than System V "
      "ones. Compare taking a freshly made semaphore, System V first, then POSIX:");
  t.show(
      "id = semget(key, 1, IPC_CREAT | 0600); union semun a = {{.val = 0}}; semctl(id, 0, "
      "SETVAL, a); struct sembuf op = {{0, -1, 0}}; semop(id, &op, 1)");
  t.show("sem = sem_open(\"/name\", O_CREAT | O_EXCL, 0600, 0); sem_wait(sem)");
  t.say(
      "One call creates and initialises it (a System V set is zeros until semctl runs, and a "
      "peer can see it in between), one waits, one posts: no sets, no arrays of operations, no "
      "union semun to declare yourself. What POSIX lacks is SEM_UNDO: a process that dies after "
      "sem_wait() leaves the count taken for good.");
  const std::string name = "/" + t.unique_name("sem");
  const std::string path = "/dev/shm/sem." + name.substr(1);
  auto sem = NamedSemaphore::create(name, 0, 0600, Exclusive::kYes);
  if (!sem) return failed(t, "create the semaphore", sem.error());
  bool unlinked = false;
  ScopeExit cleanup([&] {
    if (!unlinked) (void)NamedSemaphore::unlink(name);
  });
  t.show("ls -l {}", path);
  output(ls_line(path));
  bool ok = t.check(!gone(path), "glibc keeps a named semaphore as the file /dev/shm/sem.NAME");

  t.say("A forked child opens the semaphore by name and waits on it; the parent posts once.");
  Child waiter;
  const bool started = waiter.start([&] {
    auto mine = NamedSemaphore::open(name);
    if (!mine) return 2;
    auto took = mine->wait_for(std::chrono::seconds(5));
    return took ? 0 : took.error().code() == ETIMEDOUT ? 3 : 4;
  });
  if (!started) return failed(t, "fork a waiter", Error::from_errno("fork", ""));
  ::usleep(20000);  // let the child block in sem_wait (nothing to check: the post works anyway)
  t.show("child: sem_wait(sem)   # blocks: the count is 0");
  t.show("parent: sem_post(sem)");
  if (auto r = sem->post(); !r) return failed(t, "post", r.error());
  const int rc = waiter.wait_for(milliseconds(5000));
  ok = t.check(rc == 0,
               "the child's sem_wait returned once the parent posted, and took the count") &&
       ok;
  auto value = sem->value();
  ok = t.check(value && *value == 0, "the count is back to 0") && ok;

  auto again = sem->try_wait();
  t.show("sem_trywait(sem)  ->  {}", again && !*again ? "EAGAIN" : "?");
  ok =
      t.check(again && !*again, "at 0, sem_trywait fails at once with EAGAIN instead of waiting") &&
      ok;
  auto timed = sem->wait_for(milliseconds(20));
  t.show("sem_clockwait(sem, CLOCK_MONOTONIC, now + 20 ms)  ->  {}",
         timed                               ? "took one?"
         : timed.error().code() == ETIMEDOUT ? "ETIMEDOUT"
                                             : "?");
  ok = t.check(!timed && timed.error().code() == ETIMEDOUT,
               "a timed wait gives up with ETIMEDOUT") &&
       ok;

  t.show("sem_close(sem); sem_unlink(\"{}\")", name);
  if (auto r = sem->close(); !r) return failed(t, "close", r.error());
  if (auto r = NamedSemaphore::unlink(name); !r) return failed(t, "unlink", r.error());
  unlinked = true;
  ok = t.check(gone(path), fmt::format("{} is gone", path)) && ok;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 170: message queues.

bool posix_mqueue_step(Tour& t) {
  t.say(
      "A POSIX message queue keeps whole messages, like a System V one, but orders them by "
      "priority instead of letting the receiver pick a type: mq_receive() always returns the "
      "oldest message of the highest priority. Its size is fixed when it is made: here at most "
      "3 messages of at most 64 bytes.");
  const std::string name = "/" + t.unique_name("mq");
  auto q = MessageQueue::create(
      name, {.mode = 0600, .limits = MqLimits{.max_messages = 3, .message_size = 64}});
  if (!q) return failed(t, "create the queue", q.error());
  bool unlinked = false;
  ScopeExit cleanup([&] {
    if (!unlinked) (void)MessageQueue::unlink(name);
  });
  t.show("mq_open(\"{}\", O_CREAT | O_EXCL | O_RDWR, 0600, {{.mq_maxmsg = 3, .mq_msgsize = 64}})",
         name);

  struct Sent {
    std::string_view text;
    unsigned priority;
  };
  constexpr Sent kSent[] = {{"routine", 1}, {"urgent", 9}, {"normal", 5}};
  for (const Sent& m : kSent) {
    if (auto r = q->send(m.text, m.priority); !r) return failed(t, "send", r.error());
    t.show("mq_send(q, \"{}\", {}, {})", m.text, m.text.size(), m.priority);
  }
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto m = q->receive();
    if (!m) return failed(t, "receive", m.error());
    t.show("mq_receive(q, buf, 64, &prio)  ->  \"{}\", priority {}", m->text(), m->priority);
    order.emplace_back(m->text());
  }
  bool ok = t.check(order == std::vector<std::string>{"urgent", "normal", "routine"},
                    "highest priority first: urgent (9), normal (5), routine (1)");

  t.say(
      "When the queue is full, mq_send() waits for room, or with mq_timedsend() until a "
      "deadline. A descriptor opened with O_NONBLOCK fails at once instead:");
  auto nb = MessageQueue::open(name, MqAccess::kWriteOnly, MqBlocking::kNonBlock);
  if (!nb) return failed(t, "open non-blocking", nb.error());
  for (int i = 1; i <= 3; ++i) {
    if (auto r = nb->send(fmt::format("filler {}", i)); !r) return failed(t, "fill", r.error());
  }
  auto full = nb->send("one too many");
  t.show("mq_send(q_nonblock, \"one too many\", 12, 0)  ->  {}", full ? "sent?"
                                                                 : full.error().code() == EAGAIN
                                                                     ? "EAGAIN"
                                                                     : full.error().message());
  ok = t.check(!full && full.error().code() == EAGAIN,
               "the fourth message on a 3-message queue fails with EAGAIN") &&
       ok;
  auto attrs = q->attributes();
  ok = t.check(attrs && attrs->messages == 3, "mq_getattr: mq_curmsgs is 3, the queue is full") &&
       ok;

  t.say(
      "Queues have no ipcs: the only list of them is the mqueue filesystem, where each queue "
      "is a file whose content reads QSIZE:... NOTIFY:... It shows the queues of the IPC "
      "namespace of whoever mounted it.");
  auto mount = mqueue_mount_point();
  if (!mount) {
    t.say(
        "It is not mounted here, so `ls /dev/mqueue` shows nothing. As root: mkdir -p "
        "/dev/mqueue && mount -t mqueue none /dev/mqueue (many distributions mount it at boot; "
        "`ipckit mq stat NAME` reads the same numbers from the queue itself).");
  } else {
    auto listing = list_queues_at(*mount);
    const MqEntry* ours = nullptr;
    if (listing) {
      for (const auto& e : listing->queues)
        if (e.name == name) ours = &e;
    }
    if (ours != nullptr) {
      t.show("cat {}{}", *mount, name);
      // The kernel's own format (ipc/mqueue.c, mqueue_read_file).
      output(fmt::format("QSIZE:{:<10} NOTIFY:{:<5} SIGNO:{:<5} NOTIFY_PID:{:<6}", ours->bytes,
                         ours->notify, ours->notify_signo, ours->notify_pid));
      t.say("QSIZE is the bytes of the {} queued messages; no process asked to be notified.",
            ours->messages);
    } else {
      t.say(
          "Our queue is not in {}: that mount belongs to another IPC namespace (this tour may "
          "run under unshare --ipc).",
          *mount);
    }
  }

  t.show("mq_unlink(\"{}\")", name);
  if (auto r = MessageQueue::unlink(name); !r) return failed(t, "unlink", r.error());
  unlinked = true;
  auto after = MessageQueue::open(name);
  ok = t.check(!after && after.error().code() == ENOENT,
               "the name is gone, and with it the three messages nobody received") &&
       ok;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// 180: FIFOs.

bool fifo_step(Tour& t) {
  t.say(
      "A FIFO is a pipe with a name in the file system: mkfifo() makes it, and unrelated "
      "processes open it like a file, one to write and one to read. The bytes go through the "
      "kernel, never to disk, as a stream with no message boundaries.");
  std::string dir = fmt::format("/tmp/{}-XXXXXX", t.unique_name("fifo"));
  if (::mkdtemp(dir.data()) == nullptr)
    return failed(t, "make a directory", Error::from_errno("mkdtemp", dir));
  const std::string path = dir + "/pipe";
  bool removed = false;
  ScopeExit cleanup([&] {
    if (!removed) (void)Fifo::remove(path);
    ::rmdir(dir.c_str());
  });
  if (auto r = Fifo::make(path, 0600); !r) return failed(t, "mkfifo", r.error());
  t.show("mkfifo(\"{}\", 0600)", path);
  output(ls_line(path));

  auto lonely = Fifo::open(path, FifoEnd::kWrite, FifoBlocking::kNonBlock);
  t.show("open(\"{}\", O_WRONLY | O_NONBLOCK)  ->  {}", path,
         lonely                           ? "a descriptor?"
         : lonely.error().code() == ENXIO ? "ENXIO"
                                          : "?");
  bool ok = t.check(!lonely && lonely.error().code() == ENXIO,
                    "with no reader, a non-blocking writer's open fails with ENXIO (a blocking "
                    "one would wait for a reader)");

  auto reader = Fifo::open(path, FifoEnd::kRead, FifoBlocking::kNonBlock);
  if (!reader) return failed(t, "open the read end", reader.error());
  const std::string kLines = "first line\nsecond line\n";
  Child writer;
  const bool started = writer.start([&] {
    auto w = Fifo::open(path, FifoEnd::kWrite);
    if (!w) return 2;
    return w->write_all(std::as_bytes(std::span(kLines))) ? 0 : 3;
  });
  if (!started) return failed(t, "fork a writer", Error::from_errno("fork", ""));
  t.show("writer (child): open(\"{}\", O_WRONLY); write(\"first line\\nsecond line\\n\"); exit",
         path);
  t.show("reader: read() until it returns 0");

  // poll() waits for the writer's bytes, or for its leaving: before any writer opened, a read
  // would return 0 at once, which is not the end of anything yet.
  std::string got;
  bool eof = false;
  const auto deadline = Clock::now() + milliseconds(5000);
  while (!eof && Clock::now() < deadline) {
    pollfd p{reader->fd().get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    auto n = reader->read(std::as_writable_bytes(std::span(buf)));
    if (!n && n.error().code() == EAGAIN) continue;
    if (!n) return failed(t, "read", n.error());
    if (*n == 0) eof = true;
    got.append(buf, *n);
  }
  const int rc = writer.wait_for(milliseconds(5000));
  for (std::string_view rest = got; !rest.empty();) {
    const auto nl = rest.find('\n');
    output(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  ok = t.check(rc == 0 && got == kLines, "the reader got the writer's bytes, in order") && ok;
  ok = t.check(eof, "once the writer exited, read() returned 0: end of file") && ok;
  t.say(
      "With several writers, each write() of at most PIPE_BUF ({} bytes on Linux) arrives "
      "whole, never interleaved with another writer's bytes; larger writes may be split.",
      kPipeBuf);

  t.show("unlink(\"{}\")", path);
  if (auto r = Fifo::remove(path); !r) return failed(t, "remove", r.error());
  removed = true;
  ok = t.check(gone(path),
               "the FIFO's name is gone (the open read end keeps working until "
               "closed)") &&
       ok;
  return ok;
}

}  // namespace

IPCKIT_TOUR_STEP(150, "POSIX shared memory: shm_open, ftruncate, mmap", posix_shm_step);
IPCKIT_TOUR_STEP(160, "POSIX semaphores: one name, one counter, simpler than System V",
                 posix_semaphore_step);
IPCKIT_TOUR_STEP(170, "POSIX message queues: messages in priority order", posix_mqueue_step);
IPCKIT_TOUR_STEP(180, "FIFOs: named pipes between unrelated processes", fifo_step);

}  // namespace ipckit::tour
