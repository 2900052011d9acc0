// ipckit::bridge::Ledger: what a destination bridge has committed into its channel, per source.
//
// The ledger is the POSIX shared memory object /dev/shm/ipckit-bridge.<channel>
// (Ledger::object_name), next to the channel it describes, so that it survives the bridge in's
// crash and restart as the channel itself does, and is lost with it at reboot. One bridge in holds
// it at a time (flock on the object; a dead holder's lock goes with it): a second one gets EBUSY.
//
// Exactly-once into the channel is a two-step record around each send (docs/bridge.md):
//   begin(i, start, sender.position());  send;  commit(i, start);
// A crash between the two leaves the record pending; the next holder settles it with
// recover(published tail): the message went in exactly when the channel's published position
// passed the position recorded before the send. That holds when the bridge in is the channel's
// only producer (a single-producer channel guarantees it while the bridge runs).
//
// Contents are plain stores by the one holder; every value a reader sees was written whole.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::bridge {

struct LedgerSource {
  std::string name;
  std::uint64_t incarnation = 0;
  std::uint64_t last = 0;        // start of the last message committed, or kNone
  std::uint64_t committed = 0;   // messages committed since the entry was made
  std::uint64_t duplicates = 0;  // retransmitted messages dropped since the entry was made
  bool pending = false;          // a send was under way and has not been settled
};

class Ledger {
 public:
  inline static constexpr std::size_t kSources = 256;

  // "ipckit-bridge.<label>", where label is the channel name without its leading '/', or
  // "sysv-0x<key>" for a System V channel.
  [[nodiscard]] static std::string object_name(std::string_view channel_label);

  // Opens the ledger of `channel_label`, making it (mode `mode`) if missing, and takes it.
  // `channel_incarnation` is the destination channel's (wire.hpp source_incarnation): when the
  // ledger was made for another incarnation of the channel, a pending send is counted as not
  // delivered and the committed positions are kept. Errors: EBUSY (another live process holds
  // it), EPROTO (the object is not a bridge ledger), and those of shm_open.
  [[nodiscard]] static Result<Ledger> take(std::string_view channel_label,
                                           std::uint64_t channel_incarnation, mode_t mode = 0600);
  // Reads a ledger without taking it (ipckit bridge stat). ENOENT when there is none.
  [[nodiscard]] static Result<std::vector<LedgerSource>> read(std::string_view channel_label);
  // Removes the ledger object: EBUSY while a bridge in holds it, EPROTO (and nothing removed)
  // when the object is not a bridge ledger, ENOENT when there is none.
  [[nodiscard]] static Result<void> remove(std::string_view channel_label);

  // Settles a send that a crash interrupted (see above). Call once, after take(), with the
  // destination channel's published position (ChannelInfo::tail).
  void recover(std::uint64_t published_tail) noexcept;

  // The entry of source `name` in `incarnation`, made if missing. When the entry belongs to
  // another incarnation of the source channel, it starts again (nothing committed).
  // ENOSPC when kSources entries are in use; EINVAL for an empty or too long name.
  [[nodiscard]] Result<std::size_t> source(std::string_view name, std::uint64_t incarnation);
  [[nodiscard]] std::uint64_t last(std::size_t entry) const noexcept;
  void begin(std::size_t entry, std::uint64_t start, std::uint64_t position) noexcept;
  void commit(std::size_t entry, std::uint64_t start) noexcept;
  void count_duplicate(std::size_t entry) noexcept;
  [[nodiscard]] std::vector<LedgerSource> sources() const;

  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

 private:
  struct Mapping;
  explicit Ledger(std::unique_ptr<Mapping> mapping);
  std::unique_ptr<Mapping> mapping_;
};

}  // namespace ipckit::bridge
