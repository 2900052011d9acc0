#include "ipckit/shared_state/writer.hpp"

#include <fmt/core.h>

#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "core/waiting.hpp"
#include "ipckit/core/copy.hpp"
#include "shared_state/state.hpp"

namespace ipckit::shared_state {

namespace detail {

WriterState::~WriterState() {
  if (!region->home().here_exactly()) return;  // a fork child's copy: the role is the parent's
  std::uint64_t expected = me;
  region->header().writer.owner.compare_exchange_strong(expected, 0, std::memory_order_release);
}

Result<void> WriterState::check_role(const char* operation) const {
  const std::uint64_t owner = region->header().writer.owner.load(std::memory_order_acquire);
  if (owner != me || self_identity().pack() != me) {
    return fail(
        EBUSY, operation, region->name(),
        fmt::format("the writer role belongs to process {}", ProcessIdentity::unpack(owner).pid));
  }
  return {};
}

namespace {

// A buffer that is neither `published` nor pinned by a registered reader, or -1. Scans the slots
// after our last publication (both seq_cst): either we see a reader's pin, or that reader's
// re-check sees our newer publication and lets go.
int pick_free(const Region& r, std::uint32_t published) noexcept {
  const std::uint32_t n = r.geometry().buffer_count;
  const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  const std::uint64_t free = all & ~(r.pinned_mask() | (std::uint64_t{1} << published));
  if (free == 0) return -1;
  // Round robin from the published buffer: older versions stay intact longest.
  const unsigned next = published + 1;
  const std::uint64_t after = next >= 64 ? 0 : free & (~std::uint64_t{0} << next);
  return std::countr_zero(after != 0 ? after : free);
}

}  // namespace

}  // namespace detail

using detail::index_of;
using detail::version_of;

SharedStateWriter::SharedStateWriter(std::shared_ptr<detail::WriterState> state) noexcept
    : state_(std::move(state)) {}
SharedStateWriter::SharedStateWriter(SharedStateWriter&&) noexcept = default;
SharedStateWriter& SharedStateWriter::operator=(SharedStateWriter&&) noexcept = default;
SharedStateWriter::~SharedStateWriter() = default;

Result<SharedStateWriter> SharedStateWriter::create(std::string_view name, std::size_t table_size,
                                                    const SharedStateOptions& options) {
  auto region = detail::Region::create(name, table_size, options);
  if (!region) return std::unexpected(region.error());
  const std::uint64_t me = detail::self_identity().pack();
  return SharedStateWriter(std::make_shared<detail::WriterState>(std::move(*region), me));
}

Result<SharedStateWriter> SharedStateWriter::open(std::string_view name) {
  auto region = detail::Region::open(name);
  if (!region) return std::unexpected(region.error());
  const std::uint64_t me = detail::self_identity().pack();
  auto& owner = (*region)->header().writer.owner;
  std::uint64_t holder = 0;
  if (!owner.compare_exchange_strong(holder, me, std::memory_order_acq_rel)) {
    // Taken: take it over only from a dead holder (pid gone, or reused with another start time).
    if (detail::is_alive(detail::ProcessIdentity::unpack(holder)) ||
        !owner.compare_exchange_strong(holder, me, std::memory_order_acq_rel)) {
      return fail(
          EBUSY, "open shared state writer", (*region)->name(),
          fmt::format("process {} is the writer", detail::ProcessIdentity::unpack(holder).pid));
    }
  }
  return SharedStateWriter(std::make_shared<detail::WriterState>(std::move(*region), me));
}

Result<Draft> SharedStateWriter::begin(Prefill prefill, Timeout timeout) {
  detail::WriterState& st = *state_;
  detail::Region& region = *st.region;
  if (st.drafting)
    return fail(EALREADY, "begin shared state update", region.name(), "a draft is already open");
  if (auto role = st.check_role("begin shared state update"); !role)
    return std::unexpected(role.error());
  auto current = region.published(std::memory_order_acquire);
  if (!current) return std::unexpected(current.error());
  const std::uint32_t published = index_of(*current);
  if (version_of(*current) >= detail::kMaxVersion)
    return fail(EOVERFLOW, "begin shared state update", region.name());

  int chosen = detail::pick_free(region, published);
  // Every spare buffer is pinned. Dead readers' pins go at once; live ones are waited for, with
  // the dead re-checked every 100 ms.
  if (chosen < 0 && region.reclaim_dead(~std::uint64_t{0}))
    chosen = detail::pick_free(region, published);
  if (chosen < 0) {
    const auto deadline = ipckit::detail::deadline_after(timeout);
    for (;;) {
      int rc = ipckit::detail::wait_until(
          region.header().space, ipckit::detail::SpinPolicy{}, deadline,
          [&] { return (chosen = detail::pick_free(region, published)) >= 0; },
          [&] { return region.reclaim_dead(~std::uint64_t{0}); }, [] { return false; });
      if (rc == 0) break;
      if (rc == ETIMEDOUT) {
        return fail(ETIMEDOUT, "begin shared state update", region.name(),
                    "every buffer but the published one is pinned by a live reader");
      }
      // EPIPE: a dead reader's pins were reclaimed; look again.
      if ((chosen = detail::pick_free(region, published)) >= 0) break;
    }
  }

  const auto index = static_cast<std::uint32_t>(chosen);
  std::span<std::byte> table(region.buffer(index), region.geometry().table_size);
  if (prefill == Prefill::kCurrent)
    copy_bytes(table.data(), region.buffer(published), table.size());
  st.drafting = true;
  return Draft(state_, index, version_of(*current) + 1, table);
}

Result<std::uint64_t> SharedStateWriter::update(
    const std::function<void(std::span<std::byte>, std::uint64_t)>& fill, Prefill prefill,
    Timeout timeout) {
  auto draft = begin(prefill, timeout);
  if (!draft) return std::unexpected(draft.error());
  fill(draft->table(), draft->version());
  return std::move(*draft).commit();
}

std::uint64_t SharedStateWriter::version() const noexcept {
  return version_of(state_->region->header().published.word.load(std::memory_order_acquire));
}
std::size_t SharedStateWriter::table_size() const noexcept {
  return state_->region->geometry().table_size;
}
std::size_t SharedStateWriter::buffers() const noexcept {
  return state_->region->geometry().buffer_count;
}
const std::string& SharedStateWriter::name() const noexcept {
  return state_->region->name();
}

// Draft.

Draft::Draft(std::shared_ptr<detail::WriterState> state, std::uint32_t index, std::uint64_t version,
             std::span<std::byte> table) noexcept
    : state_(std::move(state)), index_(index), version_(version), table_(table) {}

Draft::Draft(Draft&& other) noexcept
    : state_(std::move(other.state_)),
      index_(other.index_),
      version_(other.version_),
      table_(std::exchange(other.table_, {})) {}

Draft& Draft::operator=(Draft&& other) noexcept {
  if (this != &other) {
    abandon();
    state_ = std::move(other.state_);
    index_ = other.index_;
    version_ = other.version_;
    table_ = std::exchange(other.table_, {});
  }
  return *this;
}

Draft::~Draft() {
  abandon();
}

void Draft::abandon() noexcept {
  if (state_) state_->drafting = false;
  state_.reset();
  table_ = {};
}

Result<std::uint64_t> Draft::commit() && {
  std::shared_ptr<detail::WriterState> st = std::move(state_);
  table_ = {};
  st->drafting = false;
  if (auto role = st->check_role("commit shared state update"); !role)
    return std::unexpected(role.error());
  auto& h = st->region->header();
  // seq_cst, not just release: it must be ordered before the pin scan of our next begin().
  h.published.word.store(detail::pack_published(version_, index_), std::memory_order_seq_cst);
  ipckit::detail::wake_sleepers(h.updates);
  return version_;
}

}  // namespace ipckit::shared_state
