#include "ipckit/core/error.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

namespace ipckit {

Error::Error(int code, std::string operation, std::string object, std::string detail)
    : code_(code == 0 ? EIO : code),
      operation_(std::move(operation)),
      object_(std::move(object)),
      detail_(std::move(detail)) {}

Error Error::from_errno(std::string operation, std::string object) {
  return Error(errno, std::move(operation), std::move(object));
}

std::string Error::message() const {
  std::string out = operation_;
  if (!object_.empty()) {
    out += '(';
    out += object_;
    out += ')';
  }
  out += ": ";
  if (!detail_.empty()) {
    out += detail_;
  } else {
    char buf[256];
    // GNU strerror_r returns the message pointer, which may or may not be `buf`.
    out += ::strerror_r(code_, buf, sizeof buf);
  }
  return out;
}

Error Error::with_detail(std::string detail) const {
  Error copy = *this;
  copy.detail_ = std::move(detail);
  return copy;
}

}  // namespace ipckit
