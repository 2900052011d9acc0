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

Mechanism link_mechanism(std::string name, std::string note, LinkFactory make,
                         std::function<std::optional<std::string>(const Cell&)> cannot) {
  Mechanism m;
  m.name = std::move(name);
  m.modes = {"default"};
  m.tests = {Test::kLatency, Test::kThroughput};
  m.max_producers = 1;
  m.note = std::move(note);
  m.cannot = cannot ? std::move(cannot)
                    : [](const Cell&) -> std::optional<std::string> { return std::nullopt; };
  m.run = [make = std::move(make)](const Cell& cell, const RoundOptions& options) {
    return run_link_round(make, cell, options);
  };
  return m;
}

}  // namespace ipckit::bench::kernel
