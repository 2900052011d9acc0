#include "ipckit/channel/channel.hpp"

#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "channel/header_copy.hpp"
#include "channel/segment.hpp"
#include "channel/side_lock.hpp"
#include "channel/streams.hpp"

namespace ipckit::channel {

using detail::Segment;

bool ChannelInfo::stale() const noexcept {
  if (creator_alive) return false;
  for (const auto& p : participants) {
    if (p.alive) return false;
  }
  return true;
}

Channel::Channel(std::shared_ptr<Segment> segment, std::size_t slot)
    : segment_(std::move(segment)), slot_(slot) {}

Channel::Channel(Channel&& other) noexcept
    : segment_(std::move(other.segment_)), slot_(other.slot_) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    if (segment_ && segment_->home().here_exactly()) segment_->detach(slot_);
    segment_ = std::move(other.segment_);
    slot_ = other.slot_;
  }
  return *this;
}

Channel::~Channel() {
  // A fork child's copy only unmaps: the slot is the parent's.
  if (segment_ && segment_->home().here_exactly()) segment_->detach(slot_);
}

Result<Channel> Channel::create(std::string_view name, const ChannelOptions& options) {
  auto segment = Segment::create(name, options);
  if (!segment) return std::unexpected(segment.error());
  auto slot = (*segment)->attach(0);
  if (!slot) return std::unexpected(slot.error());
  return Channel(std::move(*segment), *slot);
}

Result<Channel> Channel::open(std::string_view name) {
  auto segment = Segment::open(name);
  if (!segment) return std::unexpected(segment.error());
  auto slot = (*segment)->attach(0);
  if (!slot) return std::unexpected(slot.error());
  return Channel(std::move(*segment), *slot);
}

Result<Channel> Channel::create(sysv::Key key, const ChannelOptions& options) {
  auto segment = Segment::create(key, options);
  if (!segment) return std::unexpected(segment.error());
  auto slot = (*segment)->attach(0);
  if (!slot) return std::unexpected(slot.error());
  return Channel(std::move(*segment), *slot);
}

Result<Channel> Channel::open(sysv::Key key) {
  auto segment = Segment::open(key);
  if (!segment) return std::unexpected(segment.error());
  auto slot = (*segment)->attach(0);
  if (!slot) return std::unexpected(slot.error());
  return Channel(std::move(*segment), *slot);
}

Result<void> Channel::unlink(std::string_view name) {
  // Only ever remove a channel: check the header first, so a typo cannot delete someone else's
  // shared-memory object.
  auto copy = detail::copy_header(name);
  if (!copy) return std::unexpected(copy.error());
  const std::string bare = copy->name;
  if (::shm_unlink(("/" + bare).c_str()) != 0) return fail_errno("shm_unlink", bare);
  return {};
}

Result<void> Channel::unlink(sysv::Key key) {
  auto copy = detail::copy_header(key);
  if (!copy) return std::unexpected(copy.error());
  int id = ::shmget(key.value(), 0, 0);
  if (id < 0 || ::shmctl(id, IPC_RMID, nullptr) != 0) return fail_errno("shmctl", key.describe());
  return {};
}

namespace {

// PID_MAX_LIMIT on 64-bit Linux: no pid is larger.
constexpr std::uint32_t kPidMaxLimit = 4u << 20;

// `h` may be a private copy (inspection) or the shared header (info()); either way nothing in it
// is trusted: impossible fields are named in `corrupted`.
ChannelInfo read_info(const detail::Header& h, const detail::Geometry& g, const std::string& name) {
  ChannelInfo info;
  info.name = name;
  info.capacity = g.capacity;
  info.max_message = g.max_message;
  info.producers =
      (g.flags & detail::kFlagMultiProducer) != 0 ? Producers::kMulti : Producers::kSingle;
  info.consumers =
      (g.flags & detail::kFlagMultiConsumer) != 0 ? Consumers::kMulti : Consumers::kSingle;
  info.creator_pid = static_cast<pid_t>(h.creator_pid);
  info.creator_uid = h.creator_uid;
  if (h.creator_pid == 0 || h.creator_pid > kPidMaxLimit) {
    info.corrupted.emplace_back("creator pid");
  } else {
    info.creator_alive = detail::is_alive(
        {static_cast<pid_t>(h.creator_pid), static_cast<std::uint32_t>(h.creator_start_ticks)});
  }
  info.created_unix_ns = static_cast<std::int64_t>(h.created_unix_ns);
  if (info.created_unix_ns <= 0) info.corrupted.emplace_back("creation time");
  info.head = h.consumer.head.load(std::memory_order_acquire);
  info.tail = h.producer.tail.load(std::memory_order_acquire);
  if (!detail::positions_valid(g, info.head, info.tail)) {
    info.corrupted.emplace_back("positions");
    info.tail = info.head;  // report empty rather than an impossible fill level
  }
  for (const auto& p : h.participants) {
    std::uint64_t who = p.who.load(std::memory_order_acquire);
    if (who == 0 || who == detail::kSlotReserved) continue;
    auto id = detail::ProcessIdentity::unpack(who);
    std::uint32_t role = p.role.load(std::memory_order_relaxed);
    const bool plausible = id.pid > 0 && static_cast<std::uint32_t>(id.pid) <= kPidMaxLimit;
    if (!plausible) {
      if (info.corrupted.empty() || info.corrupted.back() != "participants")
        info.corrupted.emplace_back("participants");
      continue;
    }
    info.participants.push_back({id.pid, (role & detail::kRoleProducer) != 0,
                                 (role & detail::kRoleConsumer) != 0, detail::is_alive(id)});
  }
  return info;
}

}  // namespace

// Inspection reads a private copy of the header (header_copy.hpp): no mapping that a hostile
// ftruncate could turn into SIGBUS, read permission only, and no participant slot taken.
Result<ChannelInfo> Channel::inspect(std::string_view name) {
  auto copy = detail::copy_header(name);
  if (!copy) return std::unexpected(copy.error());
  return read_info(*copy->header, copy->geometry, copy->name);
}

Result<ChannelInfo> Channel::inspect(sysv::Key key) {
  auto copy = detail::copy_header(key);
  if (!copy) return std::unexpected(copy.error());
  return read_info(*copy->header, copy->geometry, copy->name);
}

ChannelInfo Channel::info() const {
  return read_info(segment_->header(), segment_->geometry(), segment_->name());
}
const std::string& Channel::name() const noexcept {
  return segment_->name();
}
std::size_t Channel::capacity() const noexcept {
  return segment_->geometry().capacity;
}
std::size_t Channel::max_message() const noexcept {
  return segment_->geometry().max_message;
}

Result<Sender> Channel::sender(const WaitPolicy& policy) const {
  if (!segment_->home().here()) return segment_->home().refuse("attach sender", segment_->name());
  auto& h = segment_->header();
  const bool multi = (segment_->geometry().flags & detail::kFlagMultiProducer) != 0;
  if (!multi) {
    pid_t holder = 0;
    if (detail::try_take_side(h.producer_side.owner, detail::self_identity().pack(), holder) != 0) {
      return fail(EBUSY, "attach sender", segment_->name(),
                  fmt::format("single-producer channel already has a producer (pid {})", holder));
    }
  }
  // Free the slots of dead producers first, so that whether this one starts a new stream does
  // not depend on whether someone noticed their death yet; then count in before registering, so
  // a receiver that sees this producer registered also sees the stream it starts.
  (void)segment_->any_alive(detail::kRoleProducer);
  const bool maybe_break =
      detail::join_producers(h, h.attaches.producers.load(std::memory_order_seq_cst));
  auto slot = segment_->attach(detail::kRoleProducer);
  if (!slot) {
    detail::leave_producers(h);
    if (!multi)
      detail::give_side(h.producer_side.owner, h.producer_turn, detail::self_identity().pack());
    return std::unexpected(slot.error());
  }
  return Sender(segment_, *slot, policy, maybe_break);
}

Result<Receiver> Channel::receiver(const WaitPolicy& policy, ReceiveMode mode) const {
  if (!segment_->home().here()) return segment_->home().refuse("attach receiver", segment_->name());
  auto& h = segment_->header();
  const bool multi = (segment_->geometry().flags & detail::kFlagMultiConsumer) != 0;
  if (!multi) {
    pid_t holder = 0;
    if (detail::try_take_side(h.consumer_side.owner, detail::self_identity().pack(), holder) != 0) {
      return fail(EBUSY, "attach receiver", segment_->name(),
                  fmt::format("single-consumer channel already has a consumer (pid {})", holder));
    }
  }
  auto slot = segment_->attach(detail::kRoleConsumer);
  if (!slot) {
    if (!multi)
      detail::give_side(h.consumer_side.owner, h.consumer_lock, detail::self_identity().pack());
    return std::unexpected(slot.error());
  }
  return Receiver(segment_, *slot, policy, mode);
}

}  // namespace ipckit::channel
