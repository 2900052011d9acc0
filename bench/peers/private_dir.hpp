// A directory only this Link uses, for the socket files of a peer's ipc:// transport (docs/bench.md
// "Hygiene"): made by mkdtemp(3) under $TMPDIR (or /tmp), so concurrent rounds never share a
// path, and removed with everything in it when the Link goes away, also after a failed round.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "ipckit/core/error.hpp"

namespace ipckit::bench {

class PrivateDir {
 public:
  // mkdtemp(3) of "<tmp>/ipckit-bench-<tag>.XXXXXX".
  static Result<PrivateDir> make(const std::string& tag) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/ipckit-bench-" + tag + ".XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return fail_errno("mkdtemp", pattern);
    return PrivateDir(pattern);
  }
  PrivateDir(PrivateDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  PrivateDir& operator=(PrivateDir&&) = delete;
  ~PrivateDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  explicit PrivateDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace ipckit::bench
