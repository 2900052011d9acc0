#include "blocking.hpp"

#include <cmath>

#include "errors.hpp"

namespace ipckit::python {

Deadline::Deadline(std::optional<double> seconds) {
  if (!seconds) return;
  if (std::isnan(*seconds) || *seconds < 0) raise_value_error("timeout must be None or >= 0");
  forever_ = false;
  zero_ = *seconds == 0;
  const auto span = std::chrono::duration<double>(std::min(*seconds, 1e9));
  end_ = std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(span);
}

Timeout Deadline::next_slice() const {
  if (forever_) return kSlice;
  const auto left = end_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return Timeout::zero();
  return std::min<Timeout>(std::chrono::duration_cast<Timeout>(left), kSlice);
}

bool Deadline::passed() const {
  return !forever_ && std::chrono::steady_clock::now() >= end_;
}

}  // namespace ipckit::python
