#include "channel/header_copy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "channel/segment.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::channel::detail {

namespace {

constexpr const char* kTruncated = "segment truncated while in use";

// A value-initialised Header, then its bytes overwritten from `bytes`.
std::unique_ptr<Header> header_from(const void* bytes) {
  auto h = std::make_unique<Header>();
  std::memcpy(static_cast<void*>(h.get()), bytes, sizeof(Header));
  return h;
}

}  // namespace

Result<HeaderCopy> copy_header(std::string_view raw_name) {
  auto name = Segment::check_name(raw_name);
  if (!name) return std::unexpected(name.error());
  Fd fd(::shm_open(("/" + *name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0));
  if (!fd) return fail_errno("shm_open", *name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat", *name);
  if (!S_ISREG(st.st_mode)) return fail(EPROTO, "open channel", *name, "not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) < kHeaderSize) {
    return fail(EPROTO, "open channel", *name,
                st.st_size == 0 ? "not an ipckit channel (empty object)"
                                : "not an ipckit channel (smaller than a header)");
  }
  auto bytes = std::make_unique<std::byte[]>(kHeaderSize);
  std::size_t got = 0;
  while (got < kHeaderSize) {
    const ssize_t n =
        ::pread(fd.get(), bytes.get() + got, kHeaderSize - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("pread", *name);
    if (n == 0) return fail(EPROTO, "open channel", *name, kTruncated);
    got += static_cast<std::size_t>(n);
  }
  // The size after the read: an object that shrank meanwhile is reported, not half-trusted.
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat", *name);
  auto g = parse_header(bytes.get(), static_cast<std::size_t>(st.st_size));
  if (!g) return fail(EPROTO, "open channel", *name, g.error());
  return HeaderCopy{*name, header_from(bytes.get()), *g};
}

Result<HeaderCopy> copy_header(sysv::Key key) {
  const std::string object = key.describe();
  const int id = ::shmget(key.value(), 0, 0);
  if (id < 0) return fail_errno("shmget", object);
  struct shmid_ds ds {};
  if (::shmctl(id, IPC_STAT, &ds) != 0) return fail_errno("shmctl", object);
  const auto size = static_cast<std::size_t>(ds.shm_segsz);
  if (size < kHeaderSize)
    return fail(EPROTO, "open channel", object, "not an ipckit channel (smaller than a header)");
  // System V segments never change size: reading the attach cannot fault.
  void* base = ::shmat(id, nullptr, SHM_RDONLY);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): shmat(2) fails with (void*)-1
  if (base == reinterpret_cast<void*>(-1)) return fail_errno("shmat", object);
  const auto* bytes = static_cast<const std::byte*>(base);
  auto g = parse_header(bytes, size);
  // A creator may still be initialising the header: give it a moment (as Segment::open does).
  for (int i = 0; i < 50 && !g && static_cast<const Header*>(base)->magic.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    g = parse_header(bytes, size);
  }
  if (!g) {
    ::shmdt(base);
    return fail(EPROTO, "open channel", object, g.error());
  }
  (void)static_cast<const Header*>(base)->magic.load(std::memory_order_acquire);
  auto header = header_from(base);
  ::shmdt(base);
  return HeaderCopy{object, std::move(header), *g};
}

}  // namespace ipckit::channel::detail
