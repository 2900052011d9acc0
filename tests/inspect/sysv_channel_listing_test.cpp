// Channels on System V segments in list_ipc_objects(): recognised by their header and listed as
// channels in place of their sysv-shm row; segments of channel size with other content stay
// sysv-shm, whatever bytes they hold.
#include <gtest/gtest.h>
#include <sys/shm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "inspect/sysv_channel_probe.hpp"
#include "ipckit/channel.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::inspect {
namespace {

using test::ScopeExit;

const IpcObject* find_id(const Listing& l, int id) {
  const auto it = std::find_if(l.objects.begin(), l.objects.end(),
                               [&](const IpcObject& o) { return o.id == id; });
  return it == l.objects.end() ? nullptr : &*it;
}

TEST(SysvChannelListing, ChannelSizeIsAHeaderPageAndAPowerOfTwoRing) {
  EXPECT_TRUE(detail::channel_sized(4096 + 4096));
  EXPECT_TRUE(detail::channel_sized(4096 + (std::uint64_t{1} << 20)));
  EXPECT_FALSE(detail::channel_sized(0));
  EXPECT_FALSE(detail::channel_sized(4096));
  EXPECT_FALSE(detail::channel_sized(8192 + 1));
  EXPECT_FALSE(detail::channel_sized(4096 + 12288));
}

TEST(SysvChannelListing, ChannelOnASysvKeyIsListedAsAChannelNotAsSysvShm) {
  const auto key = test::unique_key();
  channel::ChannelOptions options;
  options.capacity = 16384;
  auto channel = Channel::create(key, options);
  ASSERT_TRUE(channel) << channel.error().message();
  ScopeExit remove([&] { (void)Channel::unlink(key); });
  const int id = ::shmget(key.value(), 0, 0);
  ASSERT_GE(id, 0) << std::strerror(errno);

  auto l = list_ipc_objects(TypeSet::all());
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_id(*l, id);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->type, ObjectType::kChannel);
  EXPECT_EQ(o->name, "sysv:" + key.hex());
  EXPECT_EQ(o->key, key.value());
  EXPECT_EQ(o->size, 4096u + 16384u);
  EXPECT_EQ(o->capacity, 16384u);
  EXPECT_EQ(o->used, 0u);
  // This process holds it through `channel`. A listing running in another test process at the
  // same moment attaches channel-sized segments for an instant to read their header (docs/ls.md),
  // so the counts are at least one and this process is among the holders exactly once.
  EXPECT_GE(o->attached, 1u);
  EXPECT_EQ(o->stale, false);
  EXPECT_GE(o->nattch, 1u);
  EXPECT_EQ(std::count_if(o->holders.begin(), o->holders.end(),
                          [](const Holder& h) { return h.pid == ::getpid(); }),
            1);
  EXPECT_EQ(std::count_if(l->objects.begin(), l->objects.end(),
                          [&](const IpcObject& x) { return x.id == id; }),
            1);

  TypeSet shm_only;
  shm_only.add(ObjectType::kSysvShm);
  auto shm = list_ipc_objects(shm_only);
  ASSERT_TRUE(shm) << shm.error().message();
  EXPECT_EQ(find_id(*shm, id), nullptr);
}

// A channel-sized segment that `prepare` wrote is listed as sysv-shm, with no warning about it.
template <class Prepare>
void expect_listed_as_sysv_shm(Prepare prepare) {
  const auto key = test::unique_key();
  constexpr std::size_t kSize = 4096 + 8192;
  const int id = ::shmget(key.value(), kSize, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_GE(id, 0) << std::strerror(errno);
  ScopeExit remove([&] { ::shmctl(id, IPC_RMID, nullptr); });
  void* base = ::shmat(id, nullptr, 0);
  ASSERT_NE(base, reinterpret_cast<void*>(-1)) << std::strerror(errno);
  prepare(static_cast<unsigned char*>(base), kSize);
  ASSERT_EQ(::shmdt(base), 0);

  auto l = list_ipc_objects(TypeSet::all());
  ASSERT_TRUE(l) << l.error().message();
  const auto* o = find_id(*l, id);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->type, ObjectType::kSysvShm);
  EXPECT_EQ(o->size, kSize);
  EXPECT_FALSE(o->capacity.has_value());
  EXPECT_TRUE(std::none_of(l->warnings.begin(), l->warnings.end(),
                           [&](const Error& e) { return e.object() == key.describe(); }));
}

TEST(SysvChannelListing, ChannelSizedSegmentWithGarbageStaysSysvShm) {
  expect_listed_as_sysv_shm([](unsigned char* p, std::size_t size) {
    std::mt19937 random(12345);
    for (std::size_t i = 0; i < size; ++i)
      p[i] = static_cast<unsigned char>(random());
  });
}

TEST(SysvChannelListing, SegmentWithTheMagicButAnotherCapacityStaysSysvShm) {
  expect_listed_as_sysv_shm([](unsigned char* p, std::size_t) {
    const std::uint64_t magic = 0x3148434b43504949ull;
    const std::uint32_t header_size = 4096;
    const std::uint64_t capacity = std::uint64_t{1} << 40;  // not size - 4096
    std::memcpy(p, &magic, sizeof magic);
    std::memcpy(p + 12, &header_size, sizeof header_size);
    std::memcpy(p + 16, &capacity, sizeof capacity);
  });
}

}  // namespace
}  // namespace ipckit::inspect
