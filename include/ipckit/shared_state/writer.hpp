// ipckit::shared_state::SharedStateWriter: the single writer of a shared state.
//
// A shared state is a table of fixed size (say a 64 MiB bitmap) that one writer process
// publishes and any number of reader processes read (see SharedStateReader). Readers always see
// one complete version, never a mix of two, and never block the writer; the writer never blocks
// readers. Each update is a new version: 1, 2, 3... (version 0 is the all-zero table the object
// is created with). The mechanism is multiple buffering; docs/shared-state.md has the byte
// layout and the trade-offs.
//
// The writer role: one live process at a time holds it, recorded in the object as its pid and
// start time. create() takes it; open() takes it when it is free or its holder is dead, and fails
// with EBUSY while a live process holds it. A writer that dies mid-update publishes nothing:
// readers keep the last version, and the next writer continues from it. The role is given back when
// the SharedStateWriter (and any Draft taken from it) is destroyed.
//
// Lifetime: the object (/dev/shm/NAME) outlives every process until SharedState::unlink.
//
// Thread safety: one thread at a time. Move-only; moving is noexcept; a moved-from handle may only
// be destroyed or assigned to.
//
// fork(): the writer role stays with the process that took it. In a child, an inherited writer
// (or Draft) fails begin, update and commit with EBUSY, and destroying it (returning from main,
// exit() with a static handle) only unmaps: the parent keeps the role. Open a new writer in the
// child if it is to write. begin/commit compare the role's owner with the caller (cached
// identity, reset by pthread_atfork); the destructor also compares getpid().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/shared_state/draft.hpp"
#include "ipckit/shared_state/options.hpp"

namespace ipckit::shared_state {

class SharedStateWriter {
 public:
  // Creates /dev/shm/NAME (shm_open, posix_fallocate, renameat2(RENAME_NOREPLACE)) holding
  // options.buffers zero-filled tables of `table_size` bytes, publishes it only once fully
  // initialised, and takes the writer role. Memory: options.buffers * table_size (each rounded up
  // to 4 KiB) plus 4 KiB and 64 bytes per reader slot.
  // REQUIRES: `name` passes posix::check_name(name, NameKind::kSharedState)
  // (ipckit/posix/name.hpp): 1 to 200 bytes, no '/' except an optional leading one.
  // Errors: EINVAL (bad name, table_size 0 or over 1 TiB, buffers outside 2..64, max_readers
  // outside 1..4096), ENAMETOOLONG (name over 200 bytes), EEXIST (the name is taken), ENOSPC
  // (/dev/shm too small), EACCES. See shm_open(3), posix_fallocate(3), rename(2).
  [[nodiscard]] static Result<SharedStateWriter> create(std::string_view name,
                                                        std::size_t table_size,
                                                        const SharedStateOptions& options = {});
  // Maps an existing shared state and takes the writer role, from a dead holder if need be.
  // Errors: ENOENT (no such object), EACCES, EPROTO (not an ipckit shared state, another layout
  // version, or a truncated or corrupted header), EBUSY (a live process is the writer; the
  // error's detail names its pid), EINVAL (bad name).
  [[nodiscard]] static Result<SharedStateWriter> open(std::string_view name);

  // Starts the next version: picks a buffer that is neither published nor pinned by a reader and
  // returns it as a Draft, pre-filled per `prefill` (kCurrent copies the published table: one
  // memcpy of table_size bytes). Waits up to `timeout` when every other buffer is pinned by a live
  // reader; pins left by dead readers are reclaimed (checked at once, then every 100 ms).
  // REQUIRES: no other Draft of this writer is open.
  // Errors: EALREADY (a Draft is open), ETIMEDOUT (every buffer but the published one stayed
  // pinned by live readers), EBUSY (the writer role belongs to another process), EPROTO
  // (corrupted published word), EOVERFLOW (2^56 - 1 versions published).
  [[nodiscard]] Result<Draft> begin(Prefill prefill = Prefill::kCurrent,
                                    Timeout timeout = kForever);

  // begin(), fill(table, next_version), commit(): the whole update in one call. `fill` must not
  // keep the span. Returns the published version. Errors: those of begin() and commit().
  [[nodiscard]] Result<std::uint64_t> update(
      const std::function<void(std::span<std::byte> table, std::uint64_t next_version)>& fill,
      Prefill prefill = Prefill::kCurrent, Timeout timeout = kForever);

  // The published version (0 until the first commit).
  [[nodiscard]] std::uint64_t version() const noexcept;
  [[nodiscard]] std::size_t table_size() const noexcept;
  [[nodiscard]] std::size_t buffers() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;

  SharedStateWriter(SharedStateWriter&&) noexcept;
  SharedStateWriter& operator=(SharedStateWriter&&) noexcept;
  ~SharedStateWriter();

 private:
  explicit SharedStateWriter(std::shared_ptr<detail::WriterState> state) noexcept;
  std::shared_ptr<detail::WriterState> state_;
};

}  // namespace ipckit::shared_state
