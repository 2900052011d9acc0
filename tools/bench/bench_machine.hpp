// The one-line description of the machine a run measured (docs/bench.md "Output"): CPU model,
// online CPUs, kernel. Read from /proc/cpuinfo, sysconf(3) and uname(2); never fails (unknown
// parts read "unknown").
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ipckit::bench {

// "Intel(R) Xeon(R) CPU @ 2.20GHz, 2 CPUs, Linux 6.1.0-18-amd64 x86_64"
[[nodiscard]] std::string describe_machine();

// "0,1" (A's CPU, B's CPU) or "unpinned".
[[nodiscard]] std::string describe_cpus(const std::optional<std::pair<int, int>>& cpus);

}  // namespace ipckit::bench
