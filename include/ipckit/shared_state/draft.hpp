// ipckit::shared_state::Draft: the next version of a shared state's table, being written.
//
// A Draft is a buffer that no reader can see: the writer fills table() at leisure, then commit()
// publishes it, in one atomic step, as version(). Readers never see a partly written draft. A
// Draft destroyed without commit() is abandoned: nothing is published and its buffer is reused.
// If the writer process dies while a Draft is open, the same holds: readers keep the last
// published version, and the next writer reuses the buffer.
//
// Ownership: table() is valid while the Draft lives. The Draft keeps the object mapped (and the
// writer role held) even if its SharedStateWriter is destroyed first.
//
// Thread safety: one thread at a time, and not at the same time as its writer's begin()/update().
// Move-only; moving is noexcept.
//
// fork(): a Draft inherited by a child cannot be committed there (EBUSY); destroying it abandons
// nothing of the parent's (see writer.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "ipckit/core/error.hpp"

namespace ipckit::shared_state {

namespace detail {
struct WriterState;
}

class Draft {
 public:
  // The writable table: table_size() bytes. REQUIRES: the Draft is not moved-from.
  [[nodiscard]] std::span<std::byte> table() const noexcept { return table_; }
  // The version commit() will publish: the published version + 1.
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }

  // Publishes the table as version() (one release store), then wakes readers blocked in
  // wait_newer. Consumes the draft: `std::move(draft).commit()`.
  // REQUIRES: the Draft is not moved-from.
  // Returns: the published version.
  // Errors: EBUSY (the writer role now belongs to another process: this handle was inherited
  // across fork(), or the object was tampered with); nothing is published then.
  [[nodiscard]] Result<std::uint64_t> commit() &&;

  Draft(Draft&& other) noexcept;
  Draft& operator=(Draft&& other) noexcept;
  ~Draft();  // abandons an uncommitted draft

 private:
  friend class SharedStateWriter;
  Draft(std::shared_ptr<detail::WriterState> state, std::uint32_t index, std::uint64_t version,
        std::span<std::byte> table) noexcept;
  void abandon() noexcept;

  std::shared_ptr<detail::WriterState> state_;
  std::uint32_t index_ = 0;
  std::uint64_t version_ = 0;
  std::span<std::byte> table_;
};

}  // namespace ipckit::shared_state
