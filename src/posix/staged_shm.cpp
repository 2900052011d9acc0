#include "posix/staged_shm.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <stdio.h>  // renameat2
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <random>
#include <utility>

namespace ipckit::posix::detail {

namespace {

constexpr const char* kShmDir = "/dev/shm/";

}  // namespace

Result<PublishedShm> open_published(std::string_view name, NameKind kind) {
  auto checked = check_name(name, kind);
  if (!checked) return std::unexpected(std::move(checked.error()));
  PublishedShm shm{.name = checked->substr(1), .fd = {}, .size = 0};
  shm.fd.reset(::shm_open(("/" + shm.name).c_str(), O_RDWR | O_CLOEXEC, 0));
  if (!shm.fd) return fail_errno("shm_open", shm.name);
  struct stat st {};
  if (::fstat(shm.fd.get(), &st) != 0) return fail_errno("fstat", shm.name);
  shm.size = static_cast<std::size_t>(st.st_size);
  return shm;
}

StagedShm::StagedShm(Fd fd, std::string name, std::string temporary, std::string operation)
    : fd_(std::move(fd)),
      name_(std::move(name)),
      temporary_(std::move(temporary)),
      operation_(std::move(operation)) {}

StagedShm::StagedShm(StagedShm&& other) noexcept
    : fd_(std::move(other.fd_)),
      name_(std::move(other.name_)),
      temporary_(std::move(other.temporary_)),
      operation_(std::move(other.operation_)),
      base_(std::exchange(other.base_, nullptr)),
      size_(other.size_),
      published_(std::exchange(other.published_, true)) {}  // the moved-from owns no name

StagedShm::~StagedShm() {
  if (base_ != nullptr) ::munmap(base_, size_);
  if (!published_) ::shm_unlink(("/" + temporary_).c_str());
}

Result<StagedShm> StagedShm::create(std::string name, std::size_t size, mode_t mode,
                                    std::string operation) {
  std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
  std::string temporary = fmt::format("{}.creating-{}-{:x}", name, ::getpid(), rng());
  Fd fd(::shm_open(("/" + temporary).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("shm_open", name);
  // From here on the destructor unlinks the temporary on every failure.
  StagedShm staged(std::move(fd), std::move(name), std::move(temporary), std::move(operation));
  const int raw = staged.fd_.get();
  if (::fchmod(raw, mode & 07777) != 0 || ::ftruncate(raw, static_cast<off_t>(size)) != 0)
    return fail_errno(staged.operation_, staged.name_);
  if (int rc = ::posix_fallocate(raw, 0, static_cast<off_t>(size)); rc != 0) {
    return fail(rc, "posix_fallocate", staged.name_,
                rc == ENOSPC ? fmt::format("/dev/shm has no room for {} bytes", size) : "");
  }
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, raw, 0);
  if (base == MAP_FAILED) return fail_errno("mmap", staged.name_);
  staged.base_ = base;
  staged.size_ = size;
  return staged;
}

void* StagedShm::release_mapping() noexcept {
  return std::exchange(base_, nullptr);
}

Result<void> StagedShm::publish() {
  const std::string from = kShmDir + temporary_;
  const std::string to = kShmDir + name_;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0)
    return fail_errno(operation_, name_);
  published_ = true;
  return {};
}

}  // namespace ipckit::posix::detail
