// Strong types for System V identifiers: an id returned by shmget/semget/msgget is only
// meaningful to the call family that made it, so each family gets its own type.
#pragma once

#include <string>

namespace ipckit::sysv {

template <class Tag>
struct Id {
  int value = -1;
  constexpr explicit Id(int v = -1) noexcept : value(v) {}
  [[nodiscard]] constexpr bool valid() const noexcept { return value >= 0; }
  // "id 42": the object name used in Error messages.
  [[nodiscard]] std::string describe() const { return "id " + std::to_string(value); }
  friend constexpr bool operator==(Id, Id) = default;
};

using ShmId = Id<struct ShmIdTag>;
using SemId = Id<struct SemIdTag>;
using MsqId = Id<struct MsqIdTag>;

// How a create call treats an existing object with the same key.
enum class Exclusive : bool {
  kNo = false,  // IPC_CREAT: open it if it exists
  kYes = true,  // IPC_CREAT | IPC_EXCL: fail with EEXIST if it exists
};

}  // namespace ipckit::sysv
