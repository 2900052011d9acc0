// A mapped shared-state object: header, reader-slot table and buffers. Internal. Owns the
// mapping (unmapped on destruction); shared by the writer, reader, draft and snapshot handles
// taken from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/home_process.hpp"
#include "core/process_identity.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/shared_state/options.hpp"
#include "shared_state/layout.hpp"
#include "shared_state/parse.hpp"

namespace ipckit::shared_state::detail {

using ipckit::detail::is_alive;
using ipckit::detail::ProcessIdentity;
using ipckit::detail::self_identity;

class Region {
 public:
  // Creates /dev/shm/NAME with the calling process as its writer, published only once fully
  // initialised (temporary name + renameat2(RENAME_NOREPLACE)).
  // Errors: EINVAL, EEXIST, ENOSPC, EACCES.
  [[nodiscard]] static Result<std::shared_ptr<Region>> create(std::string_view name,
                                                              std::size_t table_size,
                                                              const SharedStateOptions& options);
  // Maps an existing object after checking its header. Errors: EINVAL, ENOENT, EACCES, EPROTO.
  [[nodiscard]] static Result<std::shared_ptr<Region>> open(std::string_view name);

  // posix::check_name(name, NameKind::kSharedState, operation) (ipckit/posix/name.hpp).
  // Returns the name without the leading slash.
  [[nodiscard]] static Result<std::string> check_name(
      std::string_view name, std::string_view operation = "open shared state");

  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region();

  [[nodiscard]] Header& header() const noexcept { return *header_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The process that mapped the object, to which every handle taken from it belongs.
  [[nodiscard]] const ipckit::detail::HomeProcess& home() const noexcept { return home_; }
  // REQUIRES: index < geometry().buffer_count.
  [[nodiscard]] std::byte* buffer(std::uint32_t index) const noexcept {
    return base_ + geometry_.buffers_offset + geometry_.buffer_stride * index;
  }
  // REQUIRES: i < geometry().reader_slots.
  [[nodiscard]] ReaderSlot& slot(std::size_t i) const noexcept { return slots_[i]; }

  // Reads `published` and checks its index against the geometry. Errors: EPROTO.
  [[nodiscard]] Result<std::uint64_t> published(std::memory_order order) const;

  // Takes a free reader slot for the calling process (pins cleared). Frees the slots of dead
  // readers when the table is full. Errors: EBUSY (every slot held by a live reader).
  [[nodiscard]] Result<std::size_t> claim_slot();
  // Clears the slot's pins and frees it; wakes a writer waiting for a buffer.
  void release_slot(std::size_t i) noexcept;

  // The buffers pinned by registered readers (a conservative superset: see layout.hpp).
  [[nodiscard]] std::uint64_t pinned_mask() const noexcept;
  // Frees the slots of dead readers that pin any buffer in `mask`. Returns true if one was freed.
  // Costs a /proc read per candidate slot: slow paths only.
  bool reclaim_dead(std::uint64_t mask) noexcept;

 private:
  Region(std::string name, std::byte* base, Geometry g);
  std::string name_;
  std::byte* base_;
  Geometry geometry_;
  Header* header_;
  ReaderSlot* slots_;
  ipckit::detail::HomeProcess home_;
};

}  // namespace ipckit::shared_state::detail
