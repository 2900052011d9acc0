// ipckit-bench-iceoryx: iceoryx 2.0 zero-copy publish/subscribe (untyped publisher/subscriber).
//
// Lossless as configured (iceoryx drops by default): the publisher waits for a slow subscriber
// (ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER), the subscriber's queue blocks the producer when full
// (QueueFullPolicy::BLOCK_PRODUCER), each end waits until its publisher has its subscriber before
// the round starts, and the subscriber sleeps in a WaitSet until data arrives. A's end waits,
// before going away, until B has unsubscribed, so the end message is never dropped with A's port.
// Zero copy: A writes the message in the loaned chunk; B checks it in place and releases it.
//
// The round's Link starts its own iox-roudi (iceoryx_roudi.hpp) with a mempool config sized for
// the cell, and stops it by pid; each process registers its own runtime (unique name) after
// fork(). The runtimes' socket and lock files (/tmp/<runtime name>[.lock]) are removed by the Link.
#include <iceoryx_hoofs/log/logmanager.hpp>
#include <iceoryx_posh/mepoo/chunk_header.hpp>
#include <iceoryx_posh/popo/untyped_publisher.hpp>
#include <iceoryx_posh/popo/untyped_subscriber.hpp>
#include <iceoryx_posh/popo/wait_set.hpp>
#include <iceoryx_posh/runtime/posh_runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include "harness/peer_main.hpp"
#include "harness/runner.hpp"
#include "iceoryx_roudi.hpp"

namespace ipckit::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The largest message a round can carry: the largest mempool below.
constexpr std::size_t kMaxMessage = std::size_t{1} << 20;
// Room for iceoryx's chunk header in front of every payload.
constexpr std::size_t kHeaderRoom = 128;
constexpr std::chrono::seconds kConnectWait{20};

// Subscriber queue depth for `size`: up to 256 (iceoryx's maximum), at most 16 MiB queued.
std::uint64_t queue_capacity(std::size_t size) {
  return std::clamp<std::uint64_t>((std::uint64_t{16} << 20) / size, 8, 256);
}

// One mempool per payload class; each direction can hold a full queue plus the chunks in hand.
std::string roudi_config() {
  std::string toml = "[general]\nversion = 1\n\n[[segment]]\n\n";
  for (std::size_t payload : {std::size_t{128}, std::size_t{1024}, std::size_t{4096},
                              std::size_t{16384}, std::size_t{65536}, kMaxMessage}) {
    const std::uint64_t count = 2 * (queue_capacity(payload) + 8);
    toml += "[[segment.mempool]]\nsize = " + std::to_string(payload + kHeaderRoom) +
            "\ncount = " + std::to_string(count) + "\n\n";
  }
  return toml;
}

std::unexpected<Error> iox_fail(std::string operation, const std::string& what,
                                std::string detail) {
  return fail(EIO, std::move(operation), what, std::move(detail));
}

iox::capro::ServiceDescription service(const std::string& instance, const char* direction) {
  return {"ipckit-bench", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, instance.c_str()),
          iox::capro::IdString_t(iox::cxx::TruncateToCapacity, direction)};
}

class IceoryxEndpoint final : public Endpoint {
 public:
  static Result<std::unique_ptr<Endpoint>> open(const std::string& runtime_name,
                                                const std::string& instance, Role role,
                                                std::size_t size) {
    // iceoryx logs registration at debug level to stderr; the harness's stderr is for errors.
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(
        iox::log::LogLevel::kWarn, iox::log::LogLevelOutput::kHideLogLevel);
    iox::runtime::PoshRuntime::initRuntime(
        iox::RuntimeName_t(iox::cxx::TruncateToCapacity, runtime_name.c_str()));
    auto self = std::unique_ptr<IceoryxEndpoint>(new IceoryxEndpoint(role, instance));
    iox::popo::SubscriberOptions sub_options;
    sub_options.queueCapacity = queue_capacity(size);
    sub_options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    iox::popo::PublisherOptions pub_options;
    pub_options.historyCapacity = 0;
    pub_options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    const char* in = role == Role::kA ? "b-to-a" : "a-to-b";
    const char* out = role == Role::kA ? "a-to-b" : "b-to-a";
    self->subscriber_.emplace(service(instance, in), sub_options);
    self->publisher_.emplace(service(instance, out), pub_options);
    self->waitset_.emplace();
    if (self->waitset_->attachState(*self->subscriber_, iox::popo::SubscriberState::HAS_DATA)
            .has_error())
      return iox_fail("WaitSet::attachState", instance, "cannot attach the subscriber");
    const auto until = Clock::now() + kConnectWait;
    while (!self->publisher_->hasSubscribers() ||
           self->subscriber_->getSubscriptionState() != iox::SubscribeState::SUBSCRIBED) {
      if (Clock::now() >= until)
        return iox_fail(
            "subscribe", instance,
            "the other end did not connect within " + std::to_string(kConnectWait.count()) + " s");
      std::this_thread::sleep_for(1ms);
    }
    return self;
  }
  ~IceoryxEndpoint() override {
    release();
    if (role_ == Role::kA && sent_any_ && publisher_) {
      // B unsubscribes when it is done: until then A's port (and queued chunks) must stay.
      const auto until = Clock::now() + kConnectWait;
      while (publisher_->hasSubscribers() && Clock::now() < until)
        std::this_thread::sleep_for(1ms);
    }
    if (loaned_ != nullptr) publisher_->release(loaned_);
    waitset_.reset();
    subscriber_.reset();
    publisher_.reset();
  }

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (loaned_ != nullptr) publisher_->release(loaned_);
    loaned_ = nullptr;
    auto chunk = publisher_->loan(static_cast<std::uint32_t>(size));
    if (chunk.has_error())
      return iox_fail("UntypedPublisher::loan", instance_,
                      "no chunk of " + std::to_string(size) + " bytes (AllocationError " +
                          std::to_string(static_cast<int>(chunk.get_error())) + ")");
    loaned_ = chunk.value();
    return std::span<std::byte>(static_cast<std::byte*>(loaned_), size);
  }
  Result<void> send(std::size_t size) override {
    if (loaned_ == nullptr)
      return fail(EINVAL, "UntypedPublisher::publish", instance_, "send() without prepare()");
    (void)size;  // the chunk was loaned with exactly this size
    publisher_->publish(loaned_);
    loaned_ = nullptr;
    sent_any_ = true;
    return {};
  }
  Result<std::span<const std::byte>> receive() override {
    release();
    for (;;) {
      auto chunk = subscriber_->take();
      if (!chunk.has_error()) {
        taken_ = chunk.value();
        const auto* header = iox::mepoo::ChunkHeader::fromUserPayload(taken_);
        return std::span<const std::byte>(static_cast<const std::byte*>(taken_),
                                          header->userPayloadSize());
      }
      if (chunk.get_error() != iox::popo::ChunkReceiveResult::NO_CHUNK_AVAILABLE)
        return iox_fail(
            "UntypedSubscriber::take", instance_,
            "ChunkReceiveResult " + std::to_string(static_cast<int>(chunk.get_error())));
      waitset_->wait();  // until HAS_DATA
    }
  }
  void release() override {
    if (taken_ != nullptr) subscriber_->release(taken_);
    taken_ = nullptr;
  }

 private:
  IceoryxEndpoint(Role role, std::string instance) : role_(role), instance_(std::move(instance)) {}

  Role role_;
  std::string instance_;
  std::optional<iox::popo::UntypedPublisher> publisher_;
  std::optional<iox::popo::UntypedSubscriber> subscriber_;
  std::optional<iox::popo::WaitSet<>> waitset_;  // declared after subscriber_: detaches first
  void* loaned_ = nullptr;
  const void* taken_ = nullptr;
  bool sent_any_ = false;
};

// Owns the round's RouDi and the names of its runtimes.
class IceoryxLink final : public Link {
 public:
  IceoryxLink(std::unique_ptr<IceoryxRoudi> roudi, std::size_t size)
      : roudi_(std::move(roudi)), size_(size) {
    static std::atomic<unsigned> counter{0};
    instance_ = "ipckit-bench-iox-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  }
  ~IceoryxLink() override {
    // A process that ended with _exit() leaves its runtime's socket file behind.
    for (const char* role : {"-a", "-b"}) {
      ::unlink(("/tmp/" + instance_ + role).c_str());
      ::unlink(("/tmp/" + instance_ + role + ".lock").c_str());
    }
  }
  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    return IceoryxEndpoint::open(instance_ + (role == Role::kA ? "-a" : "-b"), instance_, role,
                                 size_);
  }

 private:
  std::unique_ptr<IceoryxRoudi> roudi_;  // stopped after the round's processes are gone
  std::size_t size_;
  std::string instance_;  // service instance and runtime name prefix, unique per Link
};

Mechanism iceoryx_mechanism() {
  Mechanism m;
  m.name = "iceoryx";
  m.modes = {"default"};
  m.tests = {Test::kLatency, Test::kThroughput};
  m.note =
      "iceoryx 2.0 untyped publish/subscribe, zero-copy (loan, write in place, publish; take, "
      "check in place, release); lossless: publisher WAIT_FOR_CONSUMER, subscriber queue "
      "BLOCK_PRODUCER, subscriber waits in a WaitSet; its own iox-roudi per round";
  m.max_size = kMaxMessage;
  m.max_size_reason = "the largest mempool chunk of its RouDi config";
  m.cannot = [](const Cell& cell) -> std::optional<std::string> {
    if (cell.size > kMaxMessage)
      return "messages above " + std::to_string(kMaxMessage) +
             " bytes (the largest mempool chunk of its RouDi config)";
    return std::nullopt;
  };
  m.run = [](const Cell& cell, const RoundOptions& options) {
    LinkFactory factory = [&options](const Cell& c) -> Result<std::unique_ptr<Link>> {
      auto roudi = IceoryxRoudi::start(roudi_config(), options.deadline);
      if (!roudi) return std::unexpected(roudi.error());
      return std::make_unique<IceoryxLink>(std::move(*roudi), c.size);
    };
    return run_link_round(factory, cell, options);
  };
  return m;
}

}  // namespace
}  // namespace ipckit::bench

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--probe" &&
      ipckit::bench::IceoryxRoudi::program().empty()) {
    std::fputs("iox-roudi not found (package iceoryx; or set IPCKIT_IOX_ROUDI)\n", stderr);
    return 1;
  }
  return ipckit::bench::peer_main(argc, argv, ipckit::bench::iceoryx_mechanism());
}
