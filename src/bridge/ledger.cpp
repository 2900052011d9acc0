#include "ipckit/bridge/ledger.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "ipckit/bridge/wire.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::bridge {

namespace {

constexpr std::uint64_t kLedgerMagic = 0x314744454c424b49ull;  // "IKBLEDG1"
constexpr std::uint32_t kLedgerVersion = 1;
constexpr std::size_t kNameBytes = 208;

struct Entry {
  char name[kNameBytes];  // NUL-terminated; written before `used`
  std::atomic<std::uint64_t> incarnation;
  std::atomic<std::uint64_t> last;
  std::atomic<std::uint64_t> pending_start;
  std::atomic<std::uint64_t> pending_position;
  std::atomic<std::uint64_t> committed;
  std::atomic<std::uint64_t> duplicates;
  std::atomic<std::uint32_t> pending;  // 1: a send between begin() and commit()
  std::atomic<std::uint32_t> used;     // 1: the entry is made (written last)
};
static_assert(sizeof(Entry) == 264);

struct Layout {
  std::atomic<std::uint64_t> magic;  // written last when made
  std::uint32_t version;
  std::uint32_t sources;
  std::atomic<std::uint64_t> channel_incarnation;
  std::uint64_t reserved[5];
  Entry entries[Ledger::kSources];
};

std::string shm_path(std::string_view channel_label) {
  return "/" + Ledger::object_name(channel_label);
}

}  // namespace

struct Ledger::Mapping {
  Fd fd;
  Layout* layout = nullptr;
  std::string name;
  ~Mapping() {
    if (layout != nullptr) munmap(layout, sizeof(Layout));
  }
};

std::string Ledger::object_name(std::string_view channel_label) {
  while (!channel_label.empty() && channel_label.front() == '/')
    channel_label.remove_prefix(1);
  return fmt::format("ipckit-bridge.{}", channel_label);
}

namespace {

// Maps an open ledger object of the right size and checks its identity.
Result<Layout*> map_layout(int fd, const std::string& name, int prot) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return fail_errno("fstat", name);
  if (static_cast<std::size_t>(st.st_size) != sizeof(Layout)) {
    return fail(EPROTO, "open", name,
                fmt::format("not an ipckit bridge ledger ({} bytes, a ledger has {})", st.st_size,
                            sizeof(Layout)));
  }
  void* at = mmap(nullptr, sizeof(Layout), prot, MAP_SHARED, fd, 0);
  if (at == MAP_FAILED) return fail_errno("mmap", name);
  auto* layout = static_cast<Layout*>(at);
  if (layout->magic.load(std::memory_order_acquire) != kLedgerMagic ||
      layout->version != kLedgerVersion || layout->sources != Ledger::kSources) {
    munmap(at, sizeof(Layout));
    return fail(EPROTO, "open", name, "not an ipckit bridge ledger (wrong magic or version)");
  }
  return layout;
}

}  // namespace

Result<Ledger> Ledger::take(std::string_view channel_label, std::uint64_t channel_incarnation,
                            mode_t mode) {
  auto mapping = std::make_unique<Mapping>();
  mapping->name = "/dev/shm/" + object_name(channel_label);
  const std::string path = shm_path(channel_label);
  mapping->fd = Fd(shm_open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!mapping->fd) return fail_errno("shm_open", mapping->name);
  if (flock(mapping->fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(EBUSY, "take", mapping->name,
                  "another bridge in serves this channel (it holds the ledger)");
    }
    return fail_errno("flock", mapping->name);
  }
  struct stat st {};
  if (fstat(mapping->fd.get(), &st) != 0) return fail_errno("fstat", mapping->name);
  if (st.st_size == 0) {  // made by us just now, or left empty by a holder that died making it
    if (ftruncate(mapping->fd.get(), sizeof(Layout)) != 0) {
      return fail_errno("ftruncate", mapping->name);
    }
    void* at =
        mmap(nullptr, sizeof(Layout), PROT_READ | PROT_WRITE, MAP_SHARED, mapping->fd.get(), 0);
    if (at == MAP_FAILED) return fail_errno("mmap", mapping->name);
    auto* layout = static_cast<Layout*>(at);  // zero-filled by ftruncate
    layout->version = kLedgerVersion;
    layout->sources = kSources;
    layout->channel_incarnation.store(channel_incarnation, std::memory_order_relaxed);
    layout->magic.store(kLedgerMagic, std::memory_order_release);
    munmap(at, sizeof(Layout));
  }
  auto layout = map_layout(mapping->fd.get(), mapping->name, PROT_READ | PROT_WRITE);
  if (!layout) return std::unexpected(layout.error());
  mapping->layout = *layout;
  Ledger ledger(std::move(mapping));
  auto& l = *ledger.mapping_->layout;
  if (l.channel_incarnation.load(std::memory_order_relaxed) != channel_incarnation) {
    // Another incarnation of the channel: its published position says nothing about a send
    // into the old one. Count the pending send as not delivered (docs/bridge.md).
    for (auto& e : l.entries)
      e.pending.store(0, std::memory_order_relaxed);
    l.channel_incarnation.store(channel_incarnation, std::memory_order_relaxed);
  }
  return ledger;
}

Result<std::vector<LedgerSource>> Ledger::read(std::string_view channel_label) {
  auto mapping = std::make_unique<Mapping>();
  mapping->name = "/dev/shm/" + object_name(channel_label);
  const std::string path = shm_path(channel_label);
  mapping->fd = Fd(shm_open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0));
  if (!mapping->fd) return fail_errno("shm_open", mapping->name);
  auto layout = map_layout(mapping->fd.get(), mapping->name, PROT_READ);
  if (!layout) return std::unexpected(layout.error());
  mapping->layout = *layout;
  return Ledger(std::move(mapping)).sources();
}

Result<void> Ledger::remove(std::string_view channel_label) {
  const std::string name = "/dev/shm/" + object_name(channel_label);
  const std::string path = shm_path(channel_label);
  Fd fd(shm_open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0));
  if (!fd) return fail_errno("shm_open", name);
  auto layout = map_layout(fd.get(), name, PROT_READ);  // never remove what is not a ledger
  if (!layout) return std::unexpected(layout.error());
  munmap(*layout, sizeof(Layout));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(EBUSY, "remove", name, "a bridge in serves this channel (it holds the ledger)");
    }
    return fail_errno("flock", name);
  }
  if (shm_unlink(path.c_str()) != 0) return fail_errno("shm_unlink", name);
  return {};
}

Ledger::Ledger(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

void Ledger::recover(std::uint64_t published_tail) noexcept {
  for (auto& e : mapping_->layout->entries) {
    if (e.used.load(std::memory_order_acquire) == 0) continue;
    if (e.pending.load(std::memory_order_acquire) == 0) continue;
    if (published_tail > e.pending_position.load(std::memory_order_relaxed)) {
      e.last.store(e.pending_start.load(std::memory_order_relaxed), std::memory_order_relaxed);
      e.committed.fetch_add(1, std::memory_order_relaxed);
    }
    e.pending.store(0, std::memory_order_release);
  }
}

Result<std::size_t> Ledger::source(std::string_view name, std::uint64_t incarnation) {
  if (name.empty() || name.size() >= kNameBytes || name.find('\0') != std::string_view::npos) {
    return fail(EINVAL, "bridge source", std::string(name),
                fmt::format("a source name has 1 to {} bytes and no NUL", kNameBytes - 1));
  }
  auto& entries = mapping_->layout->entries;
  std::size_t free = kSources;
  for (std::size_t i = 0; i < kSources; ++i) {
    auto& e = entries[i];
    if (e.used.load(std::memory_order_acquire) == 0) {
      if (free == kSources) free = i;
      continue;
    }
    if (name != std::string_view(e.name, strnlen(e.name, kNameBytes))) continue;
    if (e.incarnation.load(std::memory_order_relaxed) != incarnation) {
      // The source channel was made again: its positions start over.
      e.pending.store(0, std::memory_order_relaxed);
      e.last.store(kNone, std::memory_order_relaxed);
      e.committed.store(0, std::memory_order_relaxed);
      e.duplicates.store(0, std::memory_order_relaxed);
      e.incarnation.store(incarnation, std::memory_order_release);
    }
    return i;
  }
  if (free == kSources) {
    return fail(ENOSPC, "bridge source", std::string(name),
                fmt::format("the ledger holds {} sources already", kSources));
  }
  auto& e = entries[free];
  std::memset(e.name, 0, kNameBytes);
  std::memcpy(e.name, name.data(), name.size());
  e.incarnation.store(incarnation, std::memory_order_relaxed);
  e.last.store(kNone, std::memory_order_relaxed);
  e.pending.store(0, std::memory_order_relaxed);
  e.committed.store(0, std::memory_order_relaxed);
  e.duplicates.store(0, std::memory_order_relaxed);
  e.used.store(1, std::memory_order_release);
  return free;
}

std::uint64_t Ledger::last(std::size_t entry) const noexcept {
  return mapping_->layout->entries[entry].last.load(std::memory_order_relaxed);
}

void Ledger::begin(std::size_t entry, std::uint64_t start, std::uint64_t position) noexcept {
  auto& e = mapping_->layout->entries[entry];
  e.pending_start.store(start, std::memory_order_relaxed);
  e.pending_position.store(position, std::memory_order_relaxed);
  e.pending.store(1, std::memory_order_release);  // after what it describes
}

void Ledger::commit(std::size_t entry, std::uint64_t start) noexcept {
  auto& e = mapping_->layout->entries[entry];
  e.last.store(start, std::memory_order_relaxed);
  e.committed.fetch_add(1, std::memory_order_relaxed);
  e.pending.store(0, std::memory_order_release);  // after `last`: a crash between keeps pending
}

void Ledger::count_duplicate(std::size_t entry) noexcept {
  mapping_->layout->entries[entry].duplicates.fetch_add(1, std::memory_order_relaxed);
}

std::vector<LedgerSource> Ledger::sources() const {
  std::vector<LedgerSource> out;
  for (const auto& e : mapping_->layout->entries) {
    if (e.used.load(std::memory_order_acquire) == 0) continue;
    LedgerSource s;
    s.name.assign(e.name, strnlen(e.name, kNameBytes));
    s.incarnation = e.incarnation.load(std::memory_order_relaxed);
    s.last = e.last.load(std::memory_order_relaxed);
    s.committed = e.committed.load(std::memory_order_relaxed);
    s.duplicates = e.duplicates.load(std::memory_order_relaxed);
    s.pending = e.pending.load(std::memory_order_relaxed) != 0;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ipckit::bridge
