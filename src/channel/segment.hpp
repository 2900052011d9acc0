// A mapped channel segment (POSIX or System V) and the participant table in its header.
// Internal. Owns the mapping: unmapped (or detached) on destruction. Shared by the Channel,
// Sender and Receiver handles taken from it.
//
// A POSIX segment is guarded against its file shrinking (bus_guard.hpp): once an access found
// the file truncated, truncated() is true for good, the missing pages read as zeros, and every
// Sender/Receiver call on the segment fails with EPROTO. (System V segments cannot shrink.)
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "channel/layout.hpp"
#include "channel/parse.hpp"
#include "core/home_process.hpp"
#include "core/process_identity.hpp"
#include "ipckit/channel/options.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::channel::detail {

using ipckit::detail::is_alive;
using ipckit::detail::ProcessIdentity;
using ipckit::detail::self_identity;
using ipckit::detail::self_thread_identity;

class Segment {
 public:
  [[nodiscard]] static Result<std::shared_ptr<Segment>> create(std::string_view name,
                                                               const ChannelOptions& options);
  [[nodiscard]] static Result<std::shared_ptr<Segment>> open(std::string_view name);
  [[nodiscard]] static Result<std::shared_ptr<Segment>> create(sysv::Key key,
                                                               const ChannelOptions& options);
  [[nodiscard]] static Result<std::shared_ptr<Segment>> open(sysv::Key key);

  // posix::check_name(name, NameKind::kChannel, operation) (ipckit/posix/name.hpp).
  // Returns the name without the leading slash.
  [[nodiscard]] static Result<std::string> check_name(std::string_view name,
                                                      std::string_view operation = "open channel");

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  [[nodiscard]] Header& header() const noexcept { return *header_; }
  [[nodiscard]] std::byte* ring() const noexcept { return ring_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The process that mapped the segment, to which every handle taken from it belongs.
  [[nodiscard]] const ipckit::detail::HomeProcess& home() const noexcept { return home_; }

  // True once an access found the segment's file shrunk (the pages past its end now read as
  // private zeros). A relaxed load of process-local memory: cheap enough for every call.
  [[nodiscard]] bool truncated() const noexcept {
    return truncated_.load(std::memory_order_relaxed);
  }
  // The error of an `operation` on a truncated segment: EPROTO.
  [[nodiscard]] std::unexpected<Error> truncated_failure(std::string operation) const;

  // Registers the calling process with `role` (0 for a plain handle). Reclaims slots of dead
  // processes when the table is full. Errors: EBUSY when 64 live handles are registered.
  [[nodiscard]] Result<std::size_t> attach(std::uint32_t role);
  void detach(std::size_t slot) noexcept;
  // True if some slot with `role` is registered (cheap: no liveness check).
  [[nodiscard]] bool any_registered(std::uint32_t role) const noexcept;
  // True if some registered process with `role` is alive; frees the slots of dead ones (but
  // not one whose multi-producer claim is still unpublished: see claims.hpp).
  [[nodiscard]] bool any_alive(std::uint32_t role) const noexcept;

 private:
  [[nodiscard]] bool claim_blocks_tail(const Participant& p) const noexcept;
  Segment(std::string name, void* base, std::size_t size, bool sysv, Geometry g);
  // Takes ownership of a POSIX mapping and guards it (EPROTO/ENFILE: unmapped, not adopted).
  [[nodiscard]] static Result<std::shared_ptr<Segment>> adopt(std::string name, void* base,
                                                              std::size_t size, Geometry g);
  std::string name_;
  void* base_;
  std::size_t size_;
  bool sysv_;
  Geometry geometry_;
  Header* header_;
  std::byte* ring_;
  std::atomic<bool> truncated_{false};
  int guard_ = -1;  // bus_guard ticket of a POSIX mapping
  ipckit::detail::HomeProcess home_;
};

// Initialises a zero-filled header for `g`. The magic is stored last, with release ordering.
void init_header(Header& h, const Geometry& g) noexcept;

}  // namespace ipckit::channel::detail
