#include "harness/mechanisms/kernel_common.hpp"

#include <atomic>
#include <fstream>
#include <utility>

namespace ipckit::bench::kernel {

std::string unique_name(std::string_view what) {
  static std::atomic<unsigned> counter{0};
  return "ipckit-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::string(what);
}

std::optional<long> read_proc_long(const std::string& path) {
  std::ifstream in(path);
  long value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

}  // namespace ipckit::bench::kernel
