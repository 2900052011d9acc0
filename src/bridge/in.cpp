#include "ipckit/bridge/in.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "bridge/log_line.hpp"
#include "bridge/zmq.hpp"
#include "ipckit/bridge/wire.hpp"

namespace ipckit::bridge {

namespace {

using Clock = std::chrono::steady_clock;
using handoff::LogLevel;

constexpr std::chrono::milliseconds kSendSlice{100};  // how often a blocked commit looks at stop
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string text_of(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string position_text(std::uint64_t p) {
  return p == kNone ? std::string("none") : fmt::format("{}", p);
}

struct Session {
  std::size_t entry = 0;
  std::uint32_t epoch = 0;  // 0: no hello yet in this connection, or a gap ended the epoch
  std::string source;
};

class InSide {
 public:
  InSide(const channel::Channel& destination, Ledger& ledger, const InOptions& options,
         const std::atomic<bool>& stop, const LogSink& log, InStats& stats)
      : destination_(destination),
        ledger_(ledger),
        options_(options),
        stop_(stop),
        log_(log),
        stats_(stats),
        router_(context_, ZMQ_ROUTER),
        zap_(context_, ZMQ_REP) {}

  Result<void> run();

 private:
  Result<void> open_sockets();
  Result<void> handle(detail::Frames& frames);
  void hello(const std::string& peer, const Header& h, std::span<const std::byte> body);
  // Commits what the batch holds past the ledger; false when `stop` interrupted a commit.
  Result<bool> data(const std::string& peer, const Header& h, std::span<const std::byte> body);
  void reply(const std::string& peer, Type type, std::uint32_t epoch, std::uint64_t seq,
             std::string_view text = {});
  void handle_zap();
  void log_stats();
  detail::LogLine line(LogLevel level, std::string_view event) { return {log_, level, event}; }

  const channel::Channel& destination_;
  Ledger& ledger_;
  const InOptions& options_;
  const std::atomic<bool>& stop_;
  const LogSink& log_;
  InStats& stats_;
  detail::Context context_;
  detail::Socket router_;
  detail::Socket zap_;
  std::optional<channel::Sender> tx_;
  std::unordered_map<std::string, Session> sessions_;  // by routing id (= source name)
  bool waiting_for_consumer_ = false;
  // Sources whose batches were committed since the last acknowledgements went out: one ACK each
  // after every pass over the socket, not one per batch.
  std::vector<std::string> ack_due_;
};

Result<void> InSide::open_sockets() {
  if (!router_.valid() || !zap_.valid()) return fail(zmq_errno(), "zmq_socket", options_.endpoint);
  // A reply to a peer that is gone fails instead of vanishing silently; we ignore the failure.
  if (auto r = router_.set(ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY"); !r) return r;
  if (auto r = router_.set(ZMQ_HEARTBEAT_IVL, 1000, "ZMQ_HEARTBEAT_IVL"); !r) return r;
  if (auto r = router_.set(ZMQ_HEARTBEAT_TIMEOUT, 5000, "ZMQ_HEARTBEAT_TIMEOUT"); !r) return r;
  if (options_.curve) {
    // The ZAP handler must be bound before the socket that uses it.
    if (auto r = zap_.bind(kZapEndpoint); !r) return r;
    if (auto r = router_.set(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER"); !r) return r;
    if (auto r =
            router_.set(ZMQ_CURVE_SECRETKEY, options_.curve->secret_key, "ZMQ_CURVE_SECRETKEY");
        !r)
      return r;
    if (auto r = router_.set(ZMQ_ZAP_DOMAIN, std::string_view("ipckit-bridge"), "ZMQ_ZAP_DOMAIN");
        !r)
      return r;
  }
  return router_.bind(options_.endpoint);
}

void InSide::reply(const std::string& peer, Type type, std::uint32_t epoch, std::uint64_t seq,
                   std::string_view text) {
  Header h;
  h.type = type;
  h.epoch = epoch;
  h.seq = seq;
  const auto head = encode(h);
  std::array<std::span<const std::byte>, 3> parts{as_bytes(peer), std::span<const std::byte>(head),
                                                  as_bytes(text)};
  // EHOSTUNREACH: the peer left; it will say hello again and learn the same.
  (void)router_.send(std::span(parts.data(), text.empty() ? 2 : 3), true);
}

void InSide::hello(const std::string& peer, const Header& h, std::span<const std::byte> body) {
  ++stats_.hellos;
  const std::string source = text_of(body);
  if (h.seq > destination_.max_message()) {
    ++stats_.refused;
    const std::string why = fmt::format(
        "the source channel takes messages of up to {} bytes, the destination channel {} only {}",
        h.seq, destination_.name(), destination_.max_message());
    line(LogLevel::kError, "refused").field("source", source).field("why", why).emit();
    reply(peer, Type::kRefuse, h.epoch, 0, why);
    return;
  }
  const auto known = ledger_.sources();
  for (const auto& k : known) {
    if (k.name == source && k.incarnation != h.incarnation) {
      // The source channel was made again, or two bridge outs share a name (docs/bridge.md):
      // the count starts over for this name.
      line(LogLevel::kWarning, "source_restarted")
          .field("source", source)
          .field("committed_through", position_text(k.last))
          .emit();
    }
  }
  auto entry = ledger_.source(source, h.incarnation);
  if (!entry) {
    ++stats_.refused;
    line(LogLevel::kError, "refused")
        .field("source", source)
        .field("why", entry.error().message())
        .emit();
    reply(peer, Type::kRefuse, h.epoch, 0, entry.error().message());
    return;
  }
  sessions_[peer] = Session{*entry, h.epoch, source};
  const std::uint64_t last = ledger_.last(*entry);
  line(LogLevel::kInfo, "hello")
      .field("source", source)
      .field("epoch", h.epoch)
      .field("committed_through", position_text(last))
      .emit();
  reply(peer, Type::kWelcome, h.epoch, last);
}

Result<bool> InSide::data(const std::string& peer, const Header& h,
                          std::span<const std::byte> body) {
  auto it = sessions_.find(peer);
  if (it == sessions_.end()) {
    reply(peer, Type::kResync, h.epoch, kNone);  // we restarted, or it never said hello
    return true;
  }
  Session& s = it->second;
  if (s.epoch == 0 || h.epoch != s.epoch) return true;  // sent before the latest hello
  // count 0: one message, the body frame is its bytes (large messages travel alone).
  auto batch = h.count == 0 ? Result<std::vector<Message>>(std::vector<Message>{{h.seq, body}})
                            : decode_batch(body, h.count);
  if (!batch) {
    ++stats_.bad_frames;
    line(LogLevel::kWarning, "bad_frame")
        .field("source", s.source)
        .field("error", batch.error().message())
        .emit();
    return true;
  }
  std::uint64_t prev = h.prev;
  for (const Message& m : *batch) {
    ++stats_.received;
    const std::uint64_t last = ledger_.last(s.entry);
    if (last != kNone && m.start <= last) {
      ++stats_.duplicates;
      ledger_.count_duplicate(s.entry);
      prev = m.start;
      continue;
    }
    if (prev != last) {
      // A batch before this one was lost (a connection died under it): the out side must send
      // again from what follows `last`. Later batches of this epoch are ignored until it does.
      ++stats_.rewinds;
      line(LogLevel::kWarning, "gap")
          .field("source", s.source)
          .field("committed_through", position_text(last))
          .field("got_after", position_text(prev))
          .emit();
      reply(peer, Type::kRewind, s.epoch, last);
      s.epoch = 0;
      return true;
    }
    ledger_.begin(s.entry, m.start, tx_->position());
    for (;;) {
      auto sent = tx_->send(m.bytes, kSendSlice);
      if (sent) break;
      const int e = sent.error().code();
      if (e == EPIPE) {
        // The ring is full and its consumers left: wait for the next one, as a blocked
        // producer would (the message stays in the source ring meanwhile).
        if (!waiting_for_consumer_) {
          line(LogLevel::kWarning, "no_consumer").field("channel", destination_.name()).emit();
          waiting_for_consumer_ = true;
        }
        std::this_thread::sleep_for(kSendSlice);
      } else if (e != ETIMEDOUT) {
        return std::unexpected(sent.error());
      }
      if (stop_.load(std::memory_order_relaxed)) return false;
    }
    ledger_.commit(s.entry, m.start);
    waiting_for_consumer_ = false;
    ++stats_.committed;
    stats_.committed_bytes += m.bytes.size();
    prev = m.start;
  }
  if (std::find(ack_due_.begin(), ack_due_.end(), peer) == ack_due_.end()) ack_due_.push_back(peer);
  return true;
}

Result<void> InSide::handle(detail::Frames& frames) {
  if (frames.count() < 2 || frames.overflowed()) {
    ++stats_.bad_frames;
    return {};
  }
  const std::string peer = text_of(frames.part(0));
  auto h = decode(frames.part(1));
  if (!h) {
    ++stats_.bad_frames;
    line(LogLevel::kWarning, "bad_frame")
        .field("peer", peer)
        .field("error", h.error().message())
        .emit();
    return {};
  }
  const auto body = frames.count() > 2 ? frames.part(2) : std::span<const std::byte>{};
  if (h->type == Type::kHello) {
    hello(peer, *h, body);
    return {};
  }
  if (h->type == Type::kData) {
    auto done = data(peer, *h, body);
    if (!done) return std::unexpected(done.error());
    return {};
  }
  ++stats_.bad_frames;
  return {};
}

// ZAP (RFC 27): ZeroMQ asks whether a CURVE client's public key may connect. A request is
// version, request id, domain, address, routing id, mechanism, and the client's key (32 bytes).
void InSide::handle_zap() {
  detail::Frames req;
  while (zap_.receive(req, true) == 0) {
    if (req.count() < 2) continue;
    const std::string version = text_of(req.part(0));
    const std::string request_id = text_of(req.part(1));
    std::string address;
    std::string key;
    bool allowed = false;
    if (req.count() == 7 && !req.overflowed() && version == "1.0" &&
        text_of(req.part(5)) == "CURVE" && req.part(6).size() == 32) {
      address = text_of(req.part(3));
      std::array<char, 41> z85{};
      zmq_z85_encode(z85.data(), reinterpret_cast<const std::uint8_t*>(req.part(6).data()), 32);
      key = z85.data();
      allowed = options_.allowed_keys.contains(key);
    }
    if (!allowed) {
      ++stats_.refused;
      line(LogLevel::kWarning, "refused")
          .field("address", address)
          .field("key", key.empty() ? std::string("none") : key)
          .field("why", "CURVE key not allowed")
          .emit();
    }
    const std::string_view code = allowed ? "200" : "400";
    const std::string_view text = allowed ? "OK" : "key not allowed";
    const std::array<std::span<const std::byte>, 6> parts{as_bytes("1.0"), as_bytes(request_id),
                                                          as_bytes(code),  as_bytes(text),
                                                          as_bytes(""),    as_bytes("")};
    (void)zap_.send(parts, false);
  }
}

void InSide::log_stats() {
  line(LogLevel::kInfo, "stats")
      .field("channel", destination_.name())
      .field("sources", static_cast<std::uint64_t>(sessions_.size()))
      .field("received", stats_.received)
      .field("committed", stats_.committed)
      .field("committed_bytes", stats_.committed_bytes)
      .field("duplicates", stats_.duplicates)
      .field("rewinds", stats_.rewinds)
      .field("hellos", stats_.hellos)
      .field("refused", stats_.refused)
      .emit();
}

Result<void> InSide::run() {
  channel::WaitPolicy policy;  // a full destination: sleep at once (see out.cpp)
  policy.mode = channel::WaitMode::kBlock;
  auto tx = destination_.sender(policy);
  if (!tx) return std::unexpected(tx.error());
  tx_.emplace(std::move(*tx));
  // Settled after the sender attached: no other producer can publish on a single-producer
  // channel from now on.
  ledger_.recover(destination_.info().tail);
  if (auto r = open_sockets(); !r) return r;
  std::array<char, 1024> bound{};
  std::size_t bound_size = bound.size();
  if (zmq_getsockopt(router_.get(), ZMQ_LAST_ENDPOINT, bound.data(), &bound_size) != 0)
    bound[0] = 0;
  line(LogLevel::kInfo, "start")
      .field("channel", destination_.name())
      .field("endpoint", options_.endpoint)
      .field("bound", std::string_view(bound.data()))  // the port the system chose for :*
      .field("curve", options_.curve ? "on" : "off")
      .emit();
  auto stats_at = Clock::now();
  detail::Frames frames;
  while (!stop_.load(std::memory_order_relaxed)) {
    zmq_pollitem_t items[2] = {{router_.get(), 0, ZMQ_POLLIN, 0}, {zap_.get(), 0, ZMQ_POLLIN, 0}};
    const int n = zmq_poll(items, options_.curve ? 2 : 1, 100);
    if (n < 0 && zmq_errno() != EINTR) return fail(zmq_errno(), "zmq_poll", options_.endpoint);
    if (options_.curve) handle_zap();
    for (int i = 0; i < 4096 && !stop_.load(std::memory_order_relaxed); ++i) {
      if (router_.receive(frames, true) != 0) break;
      if (auto r = handle(frames); !r) return r;
    }
    for (const auto& peer : ack_due_) {
      auto it = sessions_.find(peer);
      if (it != sessions_.end() && it->second.epoch != 0) {
        reply(peer, Type::kAck, it->second.epoch, ledger_.last(it->second.entry));
      }
    }
    ack_due_.clear();
    if (options_.stats_interval.count() > 0 && Clock::now() - stats_at >= options_.stats_interval) {
      stats_at = Clock::now();
      log_stats();
    }
  }
  log_stats();
  return {};
}

}  // namespace

Result<void> run_in(const channel::Channel& destination, Ledger& ledger, const InOptions& options,
                    const std::atomic<bool>& stop, const LogSink& log, InStats& stats) {
  InSide side(destination, ledger, options, stop, log, stats);
  return side.run();
}

}  // namespace ipckit::bridge
