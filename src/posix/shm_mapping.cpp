#include <sys/mman.h>

#include <cerrno>
#include <utility>

#include "ipckit/posix/mapping.hpp"

namespace ipckit::posix {

Mapping::~Mapping() {
  reset();
}

Mapping::Mapping(Mapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      read_only_(std::exchange(other.read_only_, false)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    reset();
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    read_only_ = std::exchange(other.read_only_, false);
  }
  return *this;
}

void Mapping::reset() noexcept {
  if (addr_ != nullptr) ::munmap(addr_, size_);  // nothing useful to do with a failure here
  addr_ = nullptr;
  size_ = 0;
  read_only_ = false;
}

Result<void> Mapping::unmap() {
  if (addr_ == nullptr) return fail(EINVAL, "munmap", "", "nothing mapped");
  void* addr = std::exchange(addr_, nullptr);
  const int rc = ::munmap(addr, std::exchange(size_, 0));
  const int saved = errno;
  read_only_ = false;
  if (rc != 0) return fail(saved, "munmap", "");
  return {};
}

}  // namespace ipckit::posix
