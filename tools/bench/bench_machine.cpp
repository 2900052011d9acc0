#include "bench/bench_machine.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace ipckit::bench {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  // x86: "model name"; arm64: no model name, but "CPU part" etc.; fall back to "unknown CPU".
  while (std::getline(in, line)) {
    for (std::string_view key : {"model name", "Model", "cpu model"}) {
      if (line.rfind(key, 0) != 0) continue;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      const auto first = value.find_first_not_of(" \t");
      if (first == std::string::npos) continue;
      return value.substr(first);
    }
  }
  return "unknown CPU";
}

}  // namespace

std::string describe_machine() {
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  struct utsname u {};
  std::string kernel = "unknown kernel";
  if (::uname(&u) == 0) kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  return fmt::format("{}, {} CPU{}, {}", cpu_model(), cpus, cpus == 1 ? "" : "s", kernel);
}

std::string describe_cpus(const std::optional<std::pair<int, int>>& cpus) {
  if (!cpus) return "unpinned";
  return fmt::format("{},{}", cpus->first, cpus->second);
}

}  // namespace ipckit::bench
