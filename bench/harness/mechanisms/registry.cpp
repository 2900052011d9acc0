#include "harness/mechanism.hpp"

namespace ipckit::bench {

std::vector<Mechanism> builtin_mechanisms() {
  std::vector<Mechanism> all = kernel_mechanisms();
  for (auto& m : channel_mechanisms())
    all.push_back(std::move(m));
  all.push_back(memcpy_mechanism());
  return all;
}

}  // namespace ipckit::bench
