// The process-local state behind the shared-state handles. Internal.
//
// A SharedStateWriter and its Draft share one WriterState; a SharedStateReader and its Snapshots
// share one ReaderState. The state lives until the last of them is gone, and only then gives
// back the writer role or the reader slot: a Draft or Snapshot never outlives its registration.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ipckit/core/error.hpp"
#include "shared_state/region.hpp"

namespace ipckit::shared_state::detail {

struct WriterState {
  WriterState(std::shared_ptr<Region> r, std::uint64_t identity) noexcept
      : region(std::move(r)), me(identity) {}
  WriterState(const WriterState&) = delete;
  WriterState& operator=(const WriterState&) = delete;
  ~WriterState();  // gives the writer role back

  // Ok if the writer role still names this process. Errors: EBUSY.
  [[nodiscard]] Result<void> check_role(const char* operation) const;

  std::shared_ptr<Region> region;
  std::uint64_t me;       // packed identity recorded as the writer
  bool drafting = false;  // a Draft is open
};

struct Pinned {
  std::uint32_t index = 0;
  std::uint64_t version = 0;
};

struct ReaderState {
  ReaderState(std::shared_ptr<Region> r, std::size_t s) noexcept : region(std::move(r)), slot(s) {}
  ReaderState(const ReaderState&) = delete;
  ReaderState& operator=(const ReaderState&) = delete;
  ~ReaderState();  // clears the pins and frees the slot

  // Pins the published buffer. Errors: EPROTO (corrupted published word).
  [[nodiscard]] Result<Pinned> pin();
  void unpin(std::uint32_t index) noexcept;

  std::shared_ptr<Region> region;
  std::size_t slot;

 private:
  void add_pin_locked(std::uint32_t index) noexcept;
  void drop_pin_locked(std::uint32_t index) noexcept;

  std::mutex mutex_;
  // Snapshots of each buffer held by this process; the slot's bit is set while non-zero.
  std::array<std::uint32_t, kMaxBuffers> local_pins_{};
};

}  // namespace ipckit::shared_state::detail
