// ipckit::shared_state::Snapshot: one complete version of a shared state's table, read in place.
//
// While a Snapshot lives, its buffer is pinned: the writer will not reuse it, so table() stays
// exactly the version() it was published as. Destroying the Snapshot unpins it. Hold snapshots
// briefly: each distinct version pinned at once takes one of the object's buffers away from the
// writer, and with every spare buffer pinned the writer waits (see SharedStateOptions::buffers).
// If the process dies, its pins are reclaimed by the writer (the reader is recognised as dead by
// its pid and start time).
//
// Ownership: table() is valid while the Snapshot lives. The Snapshot keeps the object mapped and
// its reader slot registered even if its SharedStateReader is destroyed first.
//
// Thread safety: a Snapshot may be read from any number of threads, and destroyed on any thread
// (not concurrently with its own use). Move-only; moving is noexcept.
//
// fork(): the pin belongs to the parent. A child's copy unpins nothing when destroyed, and its
// table() stays intact only as long as the parent holds the Snapshot: take a new one in the
// child (from a reader opened there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ipckit::shared_state {

namespace detail {
struct ReaderState;
}

class Snapshot {
 public:
  // The table, read-only: table_size bytes. Empty for a moved-from Snapshot.
  [[nodiscard]] std::span<const std::byte> table() const noexcept { return table_; }
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }

  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&& other) noexcept;
  ~Snapshot();  // unpins

 private:
  friend class SharedStateReader;
  Snapshot(std::shared_ptr<detail::ReaderState> state, std::uint32_t index, std::uint64_t version,
           std::span<const std::byte> table) noexcept;
  void release() noexcept;

  std::shared_ptr<detail::ReaderState> state_;
  std::uint32_t index_ = 0;
  std::uint64_t version_ = 0;
  std::span<const std::byte> table_;
};

}  // namespace ipckit::shared_state
