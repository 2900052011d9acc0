// ipckit::shared_state::SharedStateReader: a reader of a shared state.
//
// A reader takes Snapshots: each is one complete published version of the table, read in place
// (no copy), never a mix of two versions. Taking one costs two atomic read-modify-writes on the
// reader's own slot and never waits for the writer; the writer never waits for readers as long
// as a spare buffer is free (see SharedStateOptions::buffers). wait_newer() sleeps until the
// writer publishes a version newer than a given one.
//
// Each reader holds a slot in the object (its pid and start time, and the mask of buffers it
// pins) from open() until the reader and all its Snapshots are destroyed. If the process dies,
// the writer reclaims its slot and pins.
//
// A dead writer: readers keep reading the last published version; wait_newer keeps waiting
// (until its timeout) for a new writer to take over. writer_alive() tells the two apart.
//
// Thread safety: a SharedStateReader may be used from several threads at once (snapshot() takes
// a process-local mutex; wait_newer() and version() take none). Move-only; moving is noexcept; a
// moved-from handle may only be destroyed or assigned to.
//
// fork(): the reader slot and its pins stay with the process that opened the reader. In a
// child, an inherited reader's snapshot() and read() fail with EBUSY, and destroying it or its
// Snapshots (returning from main, exit() with a static handle) only unmaps: the parent's pins
// hold. Open a new reader in the child. snapshot() checks a counter that pthread_atfork bumps in
// every child (one load, no system call); destructors also compare getpid(). version(),
// wait_newer() and the accessors only read, and work anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/shared_state/options.hpp"
#include "ipckit/shared_state/snapshot.hpp"

namespace ipckit::shared_state {

class SharedStateReader {
 public:
  // Maps an existing shared state (shm_open) and registers a reader slot.
  // Errors: ENOENT (no such object), EACCES (readers need read and write permission), EPROTO
  // (not an ipckit shared state, another layout version, or a truncated or corrupted header),
  // EBUSY (all max_readers slots are held by live readers), EINVAL (bad name).
  [[nodiscard]] static Result<SharedStateReader> open(std::string_view name);

  // Pins the published version and returns it. Never waits for the writer: it retries only if a
  // new version is published in the few nanoseconds between reading and pinning.
  // Errors: EPROTO (the object's published word is corrupted), EBUSY (this reader was inherited
  // across fork()).
  [[nodiscard]] Result<Snapshot> snapshot();

  // snapshot(), then fn(table, version), then unpin. `fn` must not keep the span.
  // Returns: the version read. Errors: those of snapshot().
  [[nodiscard]] Result<std::uint64_t> read(
      const std::function<void(std::span<const std::byte> table, std::uint64_t version)>& fn);

  // Waits until the published version is greater than `version`, for at most `timeout` (spins
  // ~50 us, then sleeps on a futex). Returns at once if it already is.
  // Returns: the published version (> `version`). Errors: ETIMEDOUT.
  [[nodiscard]] Result<std::uint64_t> wait_newer(std::uint64_t version,
                                                 Timeout timeout = kForever) const;

  // The published version now (0 before the first update).
  [[nodiscard]] std::uint64_t version() const noexcept;
  // True if a live process holds the writer role (reads /proc: not for hot paths).
  [[nodiscard]] bool writer_alive() const;
  [[nodiscard]] std::size_t table_size() const noexcept;
  [[nodiscard]] std::size_t buffers() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;

  SharedStateReader(SharedStateReader&&) noexcept;
  SharedStateReader& operator=(SharedStateReader&&) noexcept;
  ~SharedStateReader();

 private:
  explicit SharedStateReader(std::shared_ptr<detail::ReaderState> state) noexcept;
  std::shared_ptr<detail::ReaderState> state_;
};

}  // namespace ipckit::shared_state
