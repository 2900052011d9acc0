// A directory only this Link uses, for the socket files of a peer's ipc:// transport (docs/bench.md
// "Hygiene"): made by mkdtemp(3) under $TMPDIR (or /tmp), so concurrent rounds never share a
// path, and removed with everything in it when the Link goes away, also after a failed round.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

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

// Waits until `path` exists (the other end has bound its socket there), at most `wait`, so the
// connecting end's first attempt succeeds instead of waiting out the library's reconnect delay.
inline Result<void> wait_until_exists(const std::filesystem::path& path,
                                      std::chrono::seconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  std::error_code ignored;
  while (!std::filesystem::exists(path, ignored)) {
    if (std::chrono::steady_clock::now() >= until)
      return fail(ETIMEDOUT, "connect", path.string(),
                  "the other end did not bind within " + std::to_string(wait.count()) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

}  // namespace ipckit::bench
