// The temporary objects "NAME.creating-PID-HEX" that Segment::create builds a channel under
// before publishing it with a rename. A creator killed meanwhile (SIGKILL, OOM) leaves one
// behind, full size. Internal.
#pragma once

#include <string>

namespace ipckit::channel::detail {

// Unlinks every /dev/shm/NAME.creating-PID-HEX whose creator PID is not alive and that no
// process (of any pid namespace) has open or mapped, asked with a write lease
// (core/file_lease.hpp): a live creator always holds its descriptor or mapping, so it is never
// removed from under one. Objects we may not lease (another user's, without CAP_LEASE) are kept.
// Best effort: never fails.
void remove_dead_creating_leftovers(const std::string& name) noexcept;

}  // namespace ipckit::channel::detail
