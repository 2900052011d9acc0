#include "ipckit/shared_state/reader.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

#include "core/waiting.hpp"
#include "shared_state/state.hpp"

namespace ipckit::shared_state {

namespace detail {

ReaderState::~ReaderState() {
  if (region->home().here_exactly()) region->release_slot(slot);  // else: the parent's slot
}

Result<Pinned> ReaderState::pin() {
  if (!region->home().here()) return region->home().refuse("snapshot", region->name());
  std::lock_guard lock(mutex_);
  auto word = region->published(std::memory_order_acquire);
  for (;;) {
    if (!word) return std::unexpected(word.error());
    const std::uint32_t index = index_of(*word);
    add_pin_locked(index);
    // Pin, then re-read (both seq_cst): either the writer's next pin scan sees our pin, or we see
    // its newer publication here and let go. See docs/shared-state.md, "Pinning".
    auto again = region->published(std::memory_order_seq_cst);
    if (again && index_of(*again) == index) return Pinned{index, version_of(*again)};
    drop_pin_locked(index);
    word = std::move(again);
  }
}

void ReaderState::unpin(std::uint32_t index) noexcept {
  if (!region->home().here()) return;  // a fork child's copy: the pin is the parent's
  std::lock_guard lock(mutex_);
  drop_pin_locked(index);
}

void ReaderState::add_pin_locked(std::uint32_t index) noexcept {
  if (local_pins_[index]++ == 0)
    region->slot(slot).pins.fetch_or(std::uint64_t{1} << index, std::memory_order_seq_cst);
}

void ReaderState::drop_pin_locked(std::uint32_t index) noexcept {
  if (--local_pins_[index] != 0) return;
  // Release: our reads of the buffer happen before the writer, seeing the bit clear, rewrites it.
  // seq_cst: the wait protocol (core/waiting.hpp) needs it before the sleeper check.
  region->slot(slot).pins.fetch_and(~(std::uint64_t{1} << index), std::memory_order_seq_cst);
  ipckit::detail::wake_sleepers(region->header().space);
}

}  // namespace detail

SharedStateReader::SharedStateReader(std::shared_ptr<detail::ReaderState> state) noexcept
    : state_(std::move(state)) {}
SharedStateReader::SharedStateReader(SharedStateReader&&) noexcept = default;
SharedStateReader& SharedStateReader::operator=(SharedStateReader&&) noexcept = default;
SharedStateReader::~SharedStateReader() = default;

Result<SharedStateReader> SharedStateReader::open(std::string_view name) {
  auto region = detail::Region::open(name);
  if (!region) return std::unexpected(region.error());
  auto slot = (*region)->claim_slot();
  if (!slot) return std::unexpected(slot.error());
  return SharedStateReader(std::make_shared<detail::ReaderState>(std::move(*region), *slot));
}

Result<Snapshot> SharedStateReader::snapshot() {
  auto pinned = state_->pin();
  if (!pinned) return std::unexpected(pinned.error());
  std::span<const std::byte> table(state_->region->buffer(pinned->index),
                                   state_->region->geometry().table_size);
  return Snapshot(state_, pinned->index, pinned->version, table);
}

Result<std::uint64_t> SharedStateReader::read(
    const std::function<void(std::span<const std::byte>, std::uint64_t)>& fn) {
  auto snap = snapshot();
  if (!snap) return std::unexpected(snap.error());
  fn(snap->table(), snap->version());
  return snap->version();
}

Result<std::uint64_t> SharedStateReader::wait_newer(std::uint64_t version, Timeout timeout) const {
  auto& h = state_->region->header();
  std::uint64_t seen = 0;
  auto newer = [&] {
    seen = detail::version_of(h.published.word.load(std::memory_order_seq_cst));
    return seen > version;
  };
  // No peer check: a dead writer may be replaced, so waiting on is the caller's choice (timeout).
  auto never = [] { return false; };
  int rc = ipckit::detail::wait_until(h.updates, ipckit::detail::SpinPolicy{},
                                      ipckit::detail::deadline_after(timeout), newer, never, never);
  if (rc != 0) {
    return fail(
        rc, "wait for shared state update", state_->region->name(),
        rc == ETIMEDOUT ? fmt::format("no version newer than {} was published", version) : "");
  }
  return seen;
}

std::uint64_t SharedStateReader::version() const noexcept {
  return detail::version_of(
      state_->region->header().published.word.load(std::memory_order_acquire));
}

bool SharedStateReader::writer_alive() const {
  const std::uint64_t owner = state_->region->header().writer.owner.load(std::memory_order_acquire);
  return owner != 0 && detail::is_alive(detail::ProcessIdentity::unpack(owner));
}

std::size_t SharedStateReader::table_size() const noexcept {
  return state_->region->geometry().table_size;
}
std::size_t SharedStateReader::buffers() const noexcept {
  return state_->region->geometry().buffer_count;
}
const std::string& SharedStateReader::name() const noexcept {
  return state_->region->name();
}

// Snapshot.

Snapshot::Snapshot(std::shared_ptr<detail::ReaderState> state, std::uint32_t index,
                   std::uint64_t version, std::span<const std::byte> table) noexcept
    : state_(std::move(state)), index_(index), version_(version), table_(table) {}

Snapshot::Snapshot(Snapshot&& other) noexcept
    : state_(std::move(other.state_)),
      index_(other.index_),
      version_(other.version_),
      table_(std::exchange(other.table_, {})) {}

Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    index_ = other.index_;
    version_ = other.version_;
    table_ = std::exchange(other.table_, {});
  }
  return *this;
}

Snapshot::~Snapshot() {
  release();
}

void Snapshot::release() noexcept {
  if (state_) state_->unpin(index_);
  state_.reset();
  table_ = {};
}

}  // namespace ipckit::shared_state
