// bench_plot_sample OUT.svg [OUT.html]: writes the charts of the hand-built sample report
// (sample_report.hpp), for tests/cli/bench_plot.sh to render in a browser. Exit 0, or 1 with one
// line on stderr when a file cannot be written.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "bench/bench_plot.hpp"
#include "tools/bench_plot/sample_report.hpp"

namespace {

bool write(const char* path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "bench_plot_sample: %s: cannot write: %s\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: bench_plot_sample OUT.svg [OUT.html]\n");
    return 2;
  }
  const auto report = ipckit::bench::testing::sample_report();
  if (!write(argv[1], ipckit::bench::svg(report))) return 1;
  if (argc == 3 && !write(argv[2], ipckit::bench::html(report))) return 1;
  return 0;
}
