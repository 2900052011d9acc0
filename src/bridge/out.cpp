#include "ipckit/bridge/out.hpp"

#include <fmt/core.h>

#include <deque>
#include <vector>

#include "bridge/log_line.hpp"
#include "bridge/zmq.hpp"
#include "ipckit/bridge/wire.hpp"

namespace ipckit::bridge {

namespace {

using Clock = std::chrono::steady_clock;
using handoff::LogLevel;

// A message sent and not yet acknowledged.
struct Flight {
  std::uint64_t start;
  std::uint64_t end;
  std::size_t bytes;
  Clock::time_point sent;
};

constexpr std::chrono::milliseconds kHelloBackoffMin{250};
constexpr std::chrono::milliseconds kHelloBackoffMax{5000};
// How long one wait for the source channel lasts when nothing is in flight; also the longest
// a stop request waits.
constexpr std::chrono::milliseconds kIdleWait{100};
// A message at least this large travels alone, straight from the source ring (zero copy): it
// stays in the ring until acknowledged, which is after ZeroMQ wrote it.
constexpr std::size_t kWholeMessage = std::size_t{8} << 10;

void borrowed(void* /*data*/, void* /*hint*/) {}  // the ring owns the bytes

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::uint64_t micros(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

class OutSide {
 public:
  OutSide(const channel::Channel& source, const OutOptions& options, const std::atomic<bool>& stop,
          const LogSink& log, OutStats& stats)
      : source_(source),
        options_(options),
        stop_(stop),
        log_(log),
        stats_(stats),
        dealer_(context_, ZMQ_DEALER),
        monitor_(context_, ZMQ_PAIR) {}

  Result<void> run();

 private:
  Result<void> open_sockets();
  Result<void> hello(std::string_view why);
  Result<void> handle_reply(detail::Frames& frames);
  Result<void> handle_monitor();
  // Takes messages from the source into the batch, within the window. `may_wait`: nothing is in
  // flight, so the call may wait (up to kIdleWait) for a first message.
  Result<void> fill_batch(bool may_wait);
  // Sends the built batch. False when ZeroMQ cannot take it now (no connection yet).
  Result<bool> send_batch();
  Result<void> acknowledged(std::uint64_t last);
  // Counts `m` as in flight and as the newest message of this epoch.
  void take(const channel::Receiver::Ahead& m);
  // The bridge in committed through `last` (kNone: nothing): send again what follows it.
  void restart_from(std::uint64_t last);
  void log_stats();
  detail::LogLine line(LogLevel level, std::string_view event) { return {log_, level, event}; }

  const channel::Channel& source_;
  const OutOptions& options_;
  const std::atomic<bool>& stop_;
  const LogSink& log_;
  OutStats& stats_;

  detail::Context context_;
  detail::Socket dealer_;
  detail::Socket monitor_;
  std::optional<channel::Receiver> rx_;
  std::uint64_t incarnation_ = 0;

  enum class State { kHandshake, kStreaming } state_ = State::kHandshake;
  bool connected_ = false;
  std::uint32_t epoch_ = 0;
  Clock::time_point hello_at_{};
  std::chrono::milliseconds hello_backoff_ = kHelloBackoffMin;
  Clock::time_point progress_at_{};  // the last acknowledgement (or welcome)

  std::deque<Flight> flights_;
  std::size_t flight_bytes_ = 0;
  std::uint64_t prev_ = kNone;          // start of the last message put in a batch this epoch
  std::uint64_t skip_through_ = kNone;  // committed already: release, do not send
  std::uint64_t sent_through_ = 0;      // end of the furthest message ever sent (retransmits)

  std::vector<std::byte> body_;
  std::uint16_t batch_count_ = 0;  // messages in the unit built and not yet sent
  // The unit is one large message sent in place (kData with count 0), not body_.
  std::optional<channel::Receiver::Ahead> whole_;
  // A large message read while a batch was being built: the next unit.
  std::optional<channel::Receiver::Ahead> held_;
  std::uint64_t batch_first_ = 0;
  std::uint64_t batch_prev_ = kNone;
  Clock::time_point stats_at_{};
};

Result<void> OutSide::open_sockets() {
  if (!dealer_.valid() || !monitor_.valid())
    return fail(zmq_errno(), "zmq_socket", options_.endpoint);
  // Queue only to a connected bridge in: a batch sent into a dead connection's queue would sit
  // there instead of going out again after the next hello.
  if (auto r = dealer_.set(ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE"); !r) return r;
  // The routing id is the source name: the bridge in (a ROUTER) refuses a second connection
  // with the same name while the first lives, so two processes never feed one source entry.
  if (auto r = dealer_.set(ZMQ_ROUTING_ID, as_bytes(options_.source), "ZMQ_ROUTING_ID"); !r)
    return r;
  if (auto r = dealer_.set(ZMQ_RECONNECT_IVL, 100, "ZMQ_RECONNECT_IVL"); !r) return r;
  if (auto r = dealer_.set(ZMQ_RECONNECT_IVL_MAX, 2000, "ZMQ_RECONNECT_IVL_MAX"); !r) return r;
  if (auto r = dealer_.set(ZMQ_HEARTBEAT_IVL, 1000, "ZMQ_HEARTBEAT_IVL"); !r) return r;
  if (auto r = dealer_.set(ZMQ_HEARTBEAT_TIMEOUT, 5000, "ZMQ_HEARTBEAT_TIMEOUT"); !r) return r;
  if (options_.curve) {
    if (auto r = dealer_.set(ZMQ_CURVE_SERVERKEY, options_.server_key, "ZMQ_CURVE_SERVERKEY"); !r)
      return r;
    if (auto r =
            dealer_.set(ZMQ_CURVE_PUBLICKEY, options_.curve->public_key, "ZMQ_CURVE_PUBLICKEY");
        !r)
      return r;
    if (auto r =
            dealer_.set(ZMQ_CURVE_SECRETKEY, options_.curve->secret_key, "ZMQ_CURVE_SECRETKEY");
        !r)
      return r;
  }
  const std::string monitor =
      fmt::format("inproc://ipckit-bridge-out-monitor-{}", static_cast<const void*>(this));
  if (zmq_socket_monitor(dealer_.get(), monitor.c_str(),
                         ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
    return fail(zmq_errno(), "zmq_socket_monitor", options_.endpoint);
  }
  if (auto r = monitor_.connect(monitor); !r) return r;
  return dealer_.connect(options_.endpoint);
}

Result<void> OutSide::hello(std::string_view why) {
  ++epoch_;
  ++stats_.hellos;
  state_ = State::kHandshake;
  stats_.state = "handshake";
  hello_at_ = Clock::now();
  Header h;
  h.type = Type::kHello;
  h.epoch = epoch_;
  h.incarnation = incarnation_;
  h.seq = source_.max_message();
  const auto head = encode(h);
  const std::array<std::span<const std::byte>, 2> parts{std::span<const std::byte>(head),
                                                        as_bytes(options_.source)};
  const int rc = dealer_.send(parts, true);
  if (rc != 0) {
    // No connection (ZMQ_IMMEDIATE): the next hello goes when one comes up (the monitor says so)
    // or when the backoff ends.
    line(LogLevel::kWarning, "no_connection")
        .field("endpoint", options_.endpoint)
        .field("source", options_.source)
        .field("why",
               rc == EAGAIN
                   ? "nobody answers there yet (refused, unreachable or not resolved); retrying"
                   : detail::zmq_reason(rc))
        .field("retry_ms", static_cast<std::uint64_t>(hello_backoff_.count()))
        .emit();
    return {};
  }
  line(LogLevel::kInfo, "hello")
      .field("endpoint", options_.endpoint)
      .field("source", options_.source)
      .field("epoch", epoch_)
      .field("why", why)
      .emit();
  return {};
}

void OutSide::restart_from(std::uint64_t last) {
  rx_->rewind();
  flights_.clear();
  flight_bytes_ = 0;
  body_.clear();
  batch_count_ = 0;
  whole_.reset();
  held_.reset();
  skip_through_ = last;
  prev_ = last;
  stats_.in_flight = 0;
  stats_.in_flight_bytes = 0;
}

Result<void> OutSide::acknowledged(std::uint64_t last) {
  if (last == kNone) return {};
  std::uint64_t release_to = 0;
  const auto now = Clock::now();
  while (!flights_.empty() && flights_.front().start <= last) {
    const Flight& f = flights_.front();
    release_to = f.end;
    ++stats_.acknowledged;
    stats_.acknowledged_bytes += f.bytes;
    flight_bytes_ -= f.bytes;
    if (flights_.size() == 1 || flights_[1].start > last) {
      stats_.rtt_last_us = micros(now - f.sent);
      stats_.rtt_max_us = std::max(stats_.rtt_max_us, stats_.rtt_last_us);
    }
    flights_.pop_front();
  }
  stats_.in_flight = flights_.size();
  stats_.in_flight_bytes = flight_bytes_;
  progress_at_ = now;
  if (release_to != 0) {
    if (auto r = rx_->release_through(release_to); !r) return r;
  }
  return {};
}

Result<void> OutSide::handle_reply(detail::Frames& frames) {
  if (frames.count() < 1 || frames.overflowed()) return {};
  auto h = decode(frames.part(0));
  if (!h) {
    line(LogLevel::kWarning, "bad_frame").field("error", h.error().message()).emit();
    return {};
  }
  if (h->epoch != epoch_) return {};  // an answer to an earlier hello's traffic
  switch (h->type) {
    case Type::kWelcome:
      if (state_ != State::kHandshake) return {};
      restart_from(h->seq);
      state_ = State::kStreaming;
      stats_.state = "streaming";
      hello_backoff_ = kHelloBackoffMin;
      progress_at_ = Clock::now();
      line(LogLevel::kInfo, "welcome")
          .field("source", options_.source)
          .field("epoch", epoch_)
          .field("committed_through",
                 h->seq == kNone ? std::string("none") : fmt::format("{}", h->seq))
          .emit();
      return {};
    case Type::kAck:
      if (state_ != State::kStreaming) return {};
      return acknowledged(h->seq);
    case Type::kRewind: {
      line(LogLevel::kWarning, "rewind")
          .field("source", options_.source)
          .field("committed_through",
                 h->seq == kNone ? std::string("none") : fmt::format("{}", h->seq))
          .emit();
      if (auto r = acknowledged(h->seq); !r) return r;
      return hello("rewind");
    }
    case Type::kResync:
      return hello("resync");
    case Type::kRefuse: {
      std::string why;
      if (frames.count() > 1) {
        auto b = frames.part(1);
        why.assign(reinterpret_cast<const char*>(b.data()), b.size());
      }
      return fail(EPERM, "bridge out", options_.endpoint,
                  fmt::format("the bridge in refused source \"{}\": {}", options_.source, why));
    }
    case Type::kHello:
    case Type::kData:
      return {};
  }
  return {};
}

Result<void> OutSide::handle_monitor() {
  detail::Frames frames;
  while (monitor_.receive(frames, true) == 0) {
    if (frames.count() < 1) continue;
    auto first = frames.part(0);
    if (first.size() < 6) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, first.data(), sizeof event);
    std::string address;
    if (frames.count() > 1) {
      auto a = frames.part(1);
      address.assign(reinterpret_cast<const char*>(a.data()), a.size());
    }
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      connected_ = true;
      line(LogLevel::kInfo, "connected").field("endpoint", address).emit();
      if (auto r = hello("connected"); !r) return r;
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
      connected_ = false;
      stats_.state = "connecting";
      line(LogLevel::kWarning, "disconnected").field("endpoint", address).emit();
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
               event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      line(LogLevel::kError, "handshake_failed")
          .field("endpoint", address)
          .field("why", event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "authentication" : "protocol")
          .emit();
    }
  }
  return {};
}

void OutSide::take(const channel::Receiver::Ahead& m) {
  flights_.push_back({m.start, m.end, m.message.size(), {}});
  flight_bytes_ += m.message.size();
  prev_ = m.start;
  if (m.end <= sent_through_) {
    ++stats_.retransmitted;
  } else {
    ++stats_.forwarded;
    stats_.forwarded_bytes += m.message.size();
    sent_through_ = m.end;
  }
}

Result<void> OutSide::fill_batch(bool may_wait) {
  if (batch_count_ != 0) return {};
  body_.clear();
  whole_.reset();
  batch_prev_ = prev_;
  if (held_) {
    whole_ = *held_;
    held_.reset();
    batch_first_ = whole_->start;
    batch_count_ = 1;
    take(*whole_);
    return {};
  }
  bool first = true;
  while (batch_count_ < 0xffff && body_.size() < options_.batch_bytes &&
         flights_.size() < options_.window_messages && flight_bytes_ < options_.window_bytes) {
    auto next =
        first && may_wait ? rx_->peek_ahead(kIdleWait) : [&]() -> Result<channel::Receiver::Ahead> {
      auto m = rx_->try_peek_ahead();
      if (!m) return std::unexpected(m.error());
      if (!*m) return fail(ETIMEDOUT, "recv", "");
      return **m;
    }();
    first = false;
    if (!next) {
      const int e = next.error().code();
      if (e == ETIMEDOUT) break;
      if (e == EPIPE || e == ECONNRESET) {  // kFollow: a producer ended or died; go on
        line(LogLevel::kInfo, e == EPIPE ? "producer_ended" : "producer_died")
            .field("detail", next.error().message())
            .emit();
        continue;
      }
      return std::unexpected(next.error());
    }
    if (skip_through_ != kNone && next->start <= skip_through_) {
      // Committed before a crash or a lost acknowledgement: nothing in flight precedes it.
      if (auto r = rx_->release_through(next->end); !r) return r;
      continue;
    }
    if (next->message.size() >= kWholeMessage) {
      if (batch_count_ != 0) {
        held_ = *next;  // goes alone, after this batch
        break;
      }
      whole_ = *next;
      batch_first_ = next->start;
      batch_count_ = 1;
      take(*next);
      break;
    }
    if (batch_count_ == 0) batch_first_ = next->start;
    append_to_batch(body_, next->start, next->message);
    ++batch_count_;
    take(*next);
  }
  stats_.in_flight = flights_.size();
  stats_.in_flight_bytes = flight_bytes_;
  return {};
}

Result<bool> OutSide::send_batch() {
  Header h;
  h.type = Type::kData;
  h.count = whole_ ? 0 : batch_count_;  // 0: one message, the body frame is its bytes
  h.epoch = epoch_;
  h.incarnation = incarnation_;
  h.seq = batch_first_;
  h.prev = batch_prev_;
  const auto head = encode(h);
  int rc = 0;
  if (whole_) {
    rc = dealer_.send_borrowing(head, whole_->message, borrowed, true);
  } else {
    const std::array<std::span<const std::byte>, 2> parts{std::span<const std::byte>(head),
                                                          std::span<const std::byte>(body_)};
    rc = dealer_.send(parts, true);
  }
  if (rc == EAGAIN || rc == EINTR) return false;
  if (rc != 0) return fail(rc, "zmq_send", options_.endpoint, detail::zmq_reason(rc));
  const auto now = Clock::now();
  for (auto it = flights_.rbegin(); it != flights_.rend() && it - flights_.rbegin() < batch_count_;
       ++it) {
    it->sent = now;
  }
  if (flights_.size() == batch_count_) progress_at_ = now;  // the ack clock starts now
  batch_count_ = 0;
  body_.clear();
  whole_.reset();
  return true;
}

void OutSide::log_stats() {
  line(LogLevel::kInfo, "stats")
      .field("source", options_.source)
      .field("state", stats_.state)
      .field("forwarded", stats_.forwarded)
      .field("forwarded_bytes", stats_.forwarded_bytes)
      .field("acknowledged", stats_.acknowledged)
      .field("acknowledged_bytes", stats_.acknowledged_bytes)
      .field("in_flight", stats_.in_flight)
      .field("in_flight_bytes", stats_.in_flight_bytes)
      .field("retransmitted", stats_.retransmitted)
      .field("hellos", stats_.hellos)
      .field("rtt_us", stats_.rtt_last_us)
      .field("rtt_max_us", stats_.rtt_max_us)
      .emit();
}

Result<void> OutSide::run() {
  // Sleep at once when the source is empty: the bridge waits on the network more than on the
  // ring, and spinning would take the CPU the producer and ZeroMQ's I/O thread need.
  channel::WaitPolicy policy;
  policy.mode = channel::WaitMode::kBlock;
  auto rx = source_.receiver(policy, channel::ReceiveMode::kFollow);
  if (!rx) return std::unexpected(rx.error());
  rx_.emplace(std::move(*rx));
  const auto info = source_.info();
  incarnation_ = source_incarnation(info.created_unix_ns, info.creator_pid);
  if (auto r = open_sockets(); !r) return r;
  line(LogLevel::kInfo, "start")
      .field("channel", source_.name())
      .field("endpoint", options_.endpoint)
      .field("source", options_.source)
      .field("window", static_cast<std::uint64_t>(options_.window_messages))
      .emit();
  hello_at_ = Clock::now() - kHelloBackoffMax;  // the first hello goes at once
  stats_at_ = Clock::now();
  unsigned idle = 0;

  detail::Frames frames;
  while (!stop_.load(std::memory_order_relaxed)) {
    bool busy = false;
    // Replies and connection events first: they free the window.
    for (int i = 0; i < 1024; ++i) {
      const int rc = dealer_.receive(frames, true);
      if (rc != 0) break;
      busy = true;
      if (auto r = handle_reply(frames); !r) return r;
    }
    if (auto r = handle_monitor(); !r) return r;

    const auto now = Clock::now();
    if (state_ == State::kHandshake && now - hello_at_ >= hello_backoff_) {
      if (auto r = hello(epoch_ == 0 ? "start" : "no answer"); !r) return r;
      hello_backoff_ = std::min(hello_backoff_ * 2, kHelloBackoffMax);
    }
    if (state_ == State::kStreaming && !flights_.empty() &&
        now - progress_at_ >= options_.ack_timeout) {
      line(LogLevel::kWarning, "ack_timeout")
          .field("in_flight", static_cast<std::uint64_t>(flights_.size()))
          .emit();
      if (auto r = hello("ack timeout"); !r) return r;
    }
    if (options_.stats_interval.count() > 0 && now - stats_at_ >= options_.stats_interval) {
      stats_at_ = now;
      log_stats();
    }

    if (state_ == State::kStreaming) {
      if (auto r = fill_batch(flights_.empty() && batch_count_ == 0 && !held_); !r) return r;
      if (batch_count_ != 0) {
        auto sent = send_batch();
        if (!sent) return std::unexpected(sent.error());
        busy = busy || *sent;
      }
    }
    if (busy) {
      idle = 0;
      continue;
    }
    // Nothing moved: wait for a reply (or, with room in the window, poll the source again soon).
    zmq_pollitem_t items[2] = {{dealer_.get(), 0, ZMQ_POLLIN, 0},
                               {monitor_.get(), 0, ZMQ_POLLIN, 0}};
    long timeout = 0;
    if (state_ != State::kStreaming || batch_count_ != 0) {
      timeout = 50;
    } else if (!flights_.empty()) {
      timeout = ++idle < 64 ? 0 : 1;  // acks are due: spin briefly, then poll each millisecond
    }
    if (timeout > 0 || !flights_.empty()) zmq_poll(items, 2, timeout);
  }
  log_stats();
  return {};
}

}  // namespace

Result<void> run_out(const channel::Channel& source, const OutOptions& options,
                     const std::atomic<bool>& stop, const LogSink& log, OutStats& stats) {
  OutSide side(source, options, stop, log, stats);
  return side.run();
}

}  // namespace ipckit::bridge
