#include "harness/mechanisms/channel_link.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <utility>

#include <fmt/core.h>

#include "harness/janitor.hpp"
#include "ipckit/channel.hpp"

namespace ipckit::bench {
namespace {

using channel::Channel;
using channel::ChannelOptions;
using channel::Producers;
using channel::Receiver;
using channel::Reservation;
using channel::Sender;
using channel::WaitMode;
using channel::WaitPolicy;

// The largest ring the bench creates (the channel's own limit is 16 GiB).
constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;

struct ModeSpec {
  WaitPolicy policy;
  bool peek = false;     // receive in place: peek + release
  bool reserve = false;  // send in place: reserve + commit
};

std::optional<ModeSpec> mode_spec(std::string_view mode) {
  const WaitPolicy busy{.mode = WaitMode::kBusyPoll};
  if (mode == "busy-poll") return ModeSpec{busy};
  if (mode == "spin-then-block") return ModeSpec{WaitPolicy{}};
  if (mode == "block") return ModeSpec{WaitPolicy{.mode = WaitMode::kBlock}};
  if (mode == "busy-poll-peek") return ModeSpec{busy, true};
  if (mode == "busy-poll-zero-copy") return ModeSpec{busy, true, true};
  return std::nullopt;
}

// A ring of at least 1 MiB that holds four messages of `size` (max_message is capacity / 4).
std::size_t ring_capacity(std::size_t size) {
  return std::max(std::size_t{1} << 20, std::bit_ceil(4 * (size + 64)));
}

std::string unique_name(std::string_view direction) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("ipckit-bench-{}-{}-{}", ::getpid(), counter.fetch_add(1), direction);
}

class ChannelEndpoint final : public Endpoint {
 public:
  ChannelEndpoint(ModeSpec spec, std::size_t size, std::optional<Channel> out_channel,
                  std::optional<Sender> out, std::optional<Channel> in_channel,
                  std::optional<Receiver> in)
      : spec_(spec),
        out_buffer_(size),
        out_channel_(std::move(out_channel)),
        out_(std::move(out)),
        in_channel_(std::move(in_channel)),
        in_(std::move(in)) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (!out_) return fail(EINVAL, "prepare", "channel", "this end does not send");
    if (!spec_.reserve) {
      if (out_buffer_.size() < size) out_buffer_.resize(size);
      return std::span<std::byte>(out_buffer_.data(), size);
    }
    reservation_.reset();  // an unsent one publishes nothing
    auto space = out_->reserve(size);
    if (!space) return std::unexpected(space.error());
    reservation_.emplace(std::move(*space));
    return reservation_->data();
  }

  Result<void> send(std::size_t size) override {
    if (!out_) return fail(EINVAL, "send", "channel", "this end does not send");
    if (!spec_.reserve) return out_->send(std::span<const std::byte>(out_buffer_.data(), size));
    if (!reservation_) return fail(EINVAL, "send", "channel", "nothing prepared");
    auto committed = reservation_->commit(size);
    reservation_.reset();
    return committed;
  }

  Result<std::span<const std::byte>> receive() override {
    if (!in_) return fail(EINVAL, "receive", "channel", "this end does not receive");
    if (spec_.peek) {
      in_->release();  // the previous message, if the caller did not release it
      return in_->peek();
    }
    if (in_buffer_.size() < in_->max_message()) in_buffer_.resize(in_->max_message());
    auto got = in_->recv(std::span<std::byte>(in_buffer_));
    if (!got) return std::unexpected(got.error());
    return std::span<const std::byte>(in_buffer_.data(), *got);
  }

  void release() override {
    if (in_ && spec_.peek) in_->release();
  }

 private:
  ModeSpec spec_;
  // Copy modes: the message being sent, and the one received (B answers before it checks).
  std::vector<std::byte> out_buffer_, in_buffer_;
  // Declared before the handles so that the handles go first.
  std::optional<Channel> out_channel_;
  std::optional<Sender> out_;
  std::optional<Channel> in_channel_;
  std::optional<Receiver> in_;
  std::optional<Reservation> reservation_;  // zero-copy: between prepare() and send()
};

// Removes a channel this bench made, and tells the janitor (harness/janitor.hpp).
void unlink_channel(const std::string& name) {
  (void)Channel::unlink(name);
  janitor::forget(janitor::Kind::kPosixShm, "/" + name);
}

class ChannelLink final : public Link {
 public:
  ChannelLink(ModeSpec spec, std::size_t size, std::string forward, std::string backward)
      : spec_(spec), size_(size), forward_(std::move(forward)), backward_(std::move(backward)) {}

  ~ChannelLink() override {
    unlink_channel(forward_);
    if (!backward_.empty()) unlink_channel(backward_);
  }

  // A sends on `forward_` and receives on `backward_` (latency only); B the other way round.
  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const std::string& out_name = role == Role::kA ? forward_ : backward_;
    const std::string& in_name = role == Role::kA ? backward_ : forward_;
    std::optional<Channel> out_channel, in_channel;
    std::optional<Sender> out;
    std::optional<Receiver> in;
    if (!in_name.empty()) {
      auto chan = Channel::open(in_name);
      if (!chan) return std::unexpected(chan.error());
      auto rx = chan->receiver(spec_.policy);
      if (!rx) return std::unexpected(rx.error());
      in_channel.emplace(std::move(*chan));
      in.emplace(std::move(*rx));
    }
    if (!out_name.empty()) {
      auto chan = Channel::open(out_name);
      if (!chan) return std::unexpected(chan.error());
      auto tx = chan->sender(spec_.policy);
      if (!tx) return std::unexpected(tx.error());
      out_channel.emplace(std::move(*chan));
      out.emplace(std::move(*tx));
    }
    return std::make_unique<ChannelEndpoint>(spec_, size_, std::move(out_channel), std::move(out),
                                             std::move(in_channel), std::move(in));
  }

 private:
  ModeSpec spec_;
  std::size_t size_;
  std::string forward_;   // A -> B
  std::string backward_;  // B -> A; empty for throughput
};

}  // namespace

const std::vector<std::string>& channel_modes() {
  static const std::vector<std::string> modes{"busy-poll", "spin-then-block", "block",
                                              "busy-poll-peek", "busy-poll-zero-copy"};
  return modes;
}

std::optional<std::string> channel_cannot(const Cell& cell) {
  if (ring_capacity(cell.size) > kMaxCapacity)
    return fmt::format("messages above {} bytes (a ring of 4 messages)", kMaxCapacity / 4 - 64);
  return std::nullopt;
}

Result<std::unique_ptr<Link>> make_channel_link(const Cell& cell) {
  auto spec = mode_spec(cell.mode);
  if (!spec) return fail(EINVAL, "bench", "channel", fmt::format("no mode '{}'", cell.mode));
  if (cell.size == 0) return fail(EINVAL, "bench", "channel", "message size 0");
  if (auto reason = channel_cannot(cell)) return fail(EMSGSIZE, "bench", "channel", *reason);
  ChannelOptions options{.capacity = ring_capacity(cell.size)};
  if (cell.producers > 1) options.producers = Producers::kMulti;
  // Created here, in the parent, and opened again by each process after fork().
  auto create = [&](std::string_view direction) -> Result<std::string> {
    std::string name = unique_name(direction);
    janitor::remember(janitor::Kind::kPosixShm, "/" + name);
    auto chan = Channel::create(name, options);
    if (!chan) {
      janitor::forget(janitor::Kind::kPosixShm, "/" + name);
      return std::unexpected(chan.error());
    }
    return name;
  };
  auto forward = create("ab");
  if (!forward) return std::unexpected(forward.error());
  std::string backward;
  if (cell.test == Test::kLatency) {
    auto made = create("ba");
    if (!made) {
      unlink_channel(*forward);
      return std::unexpected(made.error());
    }
    backward = std::move(*made);
  }
  return std::make_unique<ChannelLink>(*spec, cell.size, std::move(*forward), std::move(backward));
}

}  // namespace ipckit::bench
