#include "ipckit/posix/shm.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/syscall.hpp"
#include "ipckit/posix/name.hpp"
#include "posix/unlink_if_failed.hpp"

namespace ipckit::posix {

namespace {

constexpr mode_t kPermissionBits = 0777;
// glibc puts shm_open(3) objects here (hard-wired since glibc 2.34).
constexpr std::string_view kShmDir = "/dev/shm";
// How often create(kNo) retries when the name vanishes between O_EXCL and the plain open.
constexpr int kCreateAttempts = 64;

bool fits_off_t(std::size_t n) {
  return n <= static_cast<std::uintmax_t>(std::numeric_limits<off_t>::max());
}

// shm_open with O_CREAT|O_EXCL, falling back (kNo) to a plain open. Sets `created`.
Result<Fd> open_or_create(const std::string& name, mode_t mode, Exclusive exclusive,
                          bool& created) {
  constexpr int kFlags = O_RDWR | O_CLOEXEC;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    Fd fd(::shm_open(name.c_str(), kFlags | O_CREAT | O_EXCL, mode));
    if (fd) {
      created = true;
      return fd;
    }
    if (errno != EEXIST || exclusive == Exclusive::kYes) return fail_errno("shm_open", name);
    fd.reset(::shm_open(name.c_str(), kFlags, 0));
    if (fd) {
      created = false;
      return fd;
    }
    if (errno != ENOENT) return fail_errno("shm_open", name);
    // Unlinked by someone between our two calls: try to create it again.
  }
  return fail(EAGAIN, "shm_open", name, "the name keeps appearing and disappearing");
}

Result<struct stat> fstat_raw(FdView fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat", name);
  return st;
}

// True when /dev/shm/<name> is the object open as `fd`.
Result<bool> name_refers_to(const std::string& name, FdView fd) {
  auto mine = fstat_raw(fd, name);
  if (!mine) return std::unexpected(std::move(mine.error()));
  const std::string path = std::string(kShmDir) + name;
  struct stat now {};
  if (::stat(path.c_str(), &now) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("stat", path);
  }
  return now.st_dev == mine->st_dev && now.st_ino == mine->st_ino;
}

}  // namespace

// ---- SharedMemoryObject ----

Result<SharedMemoryObject> SharedMemoryObject::create(std::string_view name, std::size_t size,
                                                      mode_t mode, Exclusive exclusive,
                                                      ShmAllocate allocate) {
  auto checked = check_name(name, NameKind::kSharedMemory, "shm_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  std::string n = std::move(*checked);
  if ((mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "shm_open", n, fmt::format("mode {:#o} has bits outside 0777", mode));
  }
  if (!fits_off_t(size)) {
    return fail(EFBIG, "ftruncate", n, fmt::format("size {} is above the largest file size", size));
  }
  const auto length = static_cast<off_t>(size);

  bool created = false;
  auto fd = open_or_create(n, mode, exclusive, created);
  if (!fd) return std::unexpected(std::move(fd.error()));
  detail::UnlinkIfFailed undo(n, created, ::shm_unlink);

  if (created) {
    // shm_open applied the umask; set the bits asked for exactly.
    if (::fchmod(fd->get(), mode) != 0) return fail_errno("fchmod", n);
    if (::ftruncate(fd->get(), length) != 0) return fail_errno("ftruncate", n);
  } else {
    auto st = fstat_raw(*fd, n);
    if (!st) return std::unexpected(std::move(st.error()));
    if (st->st_size < length && ::ftruncate(fd->get(), length) != 0) {
      return fail_errno("ftruncate", n);
    }
  }
  if (allocate == ShmAllocate::kNow && size > 0) {
    // posix_fallocate returns the error number instead of setting errno.
    int rc = 0;
    do {  // NOLINT(bugprone-infinite-loop): rc is assigned in the body (clang-tidy 14 misses it)
      rc = ::posix_fallocate(fd->get(), 0, length);
    } while (rc == EINTR);
    if (rc != 0) return fail(rc, "posix_fallocate", n);
  }
  undo.dismiss();
  return SharedMemoryObject(std::move(*fd), std::move(n), ShmAccess::kReadWrite, created);
}

Result<SharedMemoryObject> SharedMemoryObject::open(std::string_view name, ShmAccess access) {
  auto checked = check_name(name, NameKind::kSharedMemory, "shm_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  const int flags = (access == ShmAccess::kReadOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  Fd fd(::shm_open(checked->c_str(), flags, 0));
  if (!fd) return fail_errno("shm_open", *checked);
  return SharedMemoryObject(std::move(fd), std::move(*checked), access, false);
}

Result<void> SharedMemoryObject::unlink(std::string_view name) {
  auto checked = check_name(name, NameKind::kSharedMemory, "shm_unlink");
  if (!checked) return std::unexpected(std::move(checked.error()));
  if (::shm_unlink(checked->c_str()) != 0) return fail_errno("shm_unlink", *checked);
  return {};
}

Result<Mapping> SharedMemoryObject::map(ShmAccess access) const {
  auto st = fstat_raw(fd_, name_);
  if (!st) return std::unexpected(std::move(st.error()));
  if (st->st_size == 0) {
    return fail(EINVAL, "mmap", name_, "the object is empty (size 0): resize() it first");
  }
  return map(access, 0, static_cast<std::size_t>(st->st_size));
}

Result<Mapping> SharedMemoryObject::map(ShmAccess access, std::size_t offset,
                                        std::size_t length) const {
  if (length == 0) return fail(EINVAL, "mmap", name_, "length must be greater than 0");
  auto st = fstat_raw(fd_, name_);
  if (!st) return std::unexpected(std::move(st.error()));
  const auto size = static_cast<std::size_t>(st->st_size);
  if (offset > size || length > size - offset) {
    return fail(EINVAL, "mmap", name_,
                fmt::format("bytes {}..{} are past the object's end ({} bytes)", offset,
                            static_cast<unsigned long long>(offset) + length, size));
  }
  const bool read_only = access == ShmAccess::kReadOnly;
  const int prot = read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  void* addr = ::mmap(nullptr, length, prot, MAP_SHARED, fd_.get(), static_cast<off_t>(offset));
  if (addr == MAP_FAILED) return fail_errno("mmap", name_);
  return Mapping(addr, length, read_only);
}

Result<void> SharedMemoryObject::resize(std::size_t size) const {
  if (!fits_off_t(size)) {
    return fail(EFBIG, "ftruncate", name_,
                fmt::format("size {} is above the largest file size", size));
  }
  if (ipckit::detail::retry_eintr(
          [&] { return ::ftruncate(fd_.get(), static_cast<off_t>(size)); }) != 0) {
    return fail_errno("ftruncate", name_);
  }
  return {};
}

Result<ShmStat> SharedMemoryObject::stat() const {
  auto st = fstat_raw(fd_, name_);
  if (!st) return std::unexpected(std::move(st.error()));
  return ShmStat{
      .size = static_cast<std::size_t>(st->st_size),
      .mode = static_cast<mode_t>(st->st_mode & 07777),
      .uid = st->st_uid,
      .gid = st->st_gid,
      .inode = st->st_ino,
      .atime = st->st_atim,
      .mtime = st->st_mtim,
      .ctime = st->st_ctim,
  };
}

Result<ShmNameOwner> SharedMemoryObject::own_name() const {
  if (!created_) {
    return fail(EPERM, "shm_unlink", name_,
                "this handle opened an existing object; only its creator may own the name");
  }
  Fd dup(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!dup) return fail_errno("fcntl", name_);
  return ShmNameOwner(std::move(dup), name_);
}

// ---- ShmNameOwner ----

ShmNameOwner::~ShmNameOwner() {
  if (owns()) (void)unlink();  // nothing useful to do with a failure here
}

ShmNameOwner& ShmNameOwner::operator=(ShmNameOwner&& other) noexcept {
  if (this != &other) {
    if (owns()) (void)unlink();
    fd_ = std::move(other.fd_);
    name_ = std::move(other.name_);
  }
  return *this;
}

Result<void> ShmNameOwner::unlink() {
  if (!owns()) return fail(EINVAL, "shm_unlink", name_, "this owner owns no name");
  const Fd fd = std::move(fd_);  // owns() is false from here on, whatever happens
  auto same = name_refers_to(name_, fd);
  if (!same) return std::unexpected(std::move(same.error()));
  if (!*same) {
    return fail(ENOENT, "shm_unlink", name_,
                "the name no longer refers to the object this owner created; left alone");
  }
  if (::shm_unlink(name_.c_str()) != 0) return fail_errno("shm_unlink", name_);
  return {};
}

void ShmNameOwner::release() noexcept {
  fd_.reset();
}

}  // namespace ipckit::posix
