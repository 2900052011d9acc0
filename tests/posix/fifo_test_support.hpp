// Helpers shared by the FIFO tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "support/ipc_test_support.hpp"

namespace ipckit::fifotest {

// A fresh directory /tmp/ipckit-test-<pid>-<n>-fifo-XXXXXX (mkdtemp), removed with everything in
// it when the object goes away. path("x") names a file in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/" + test::unique_name("fifo-XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] bool ok() const { return !dir_.empty(); }
  [[nodiscard]] std::string path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
};

}  // namespace ipckit::fifotest
