// Server::Impl: the handoff daemon's state, shared by server*.cpp. Internal.
//
// Clients and control connections live in slabs (vectors reused through free lists), so the hot
// path allocates nothing for bookkeeping; epoll events carry (kind, generation, slot) in their
// 64-bit data, and the generation tells an event for a slot's previous occupant from one for
// the current one (both can arrive in one epoll_wait batch).
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access_rules.hpp"
#include "address_counts.hpp"
#include "dispatcher.hpp"
#include "event_loop_deadlines.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/config.hpp"
#include "ipckit/handoff/protocol.hpp"
#include "ipckit/handoff/server.hpp"
#include "ipckit/handoff/stats.hpp"
#include "ipckit/net/tcp.hpp"
#include "ipckit/unix/credentials.hpp"
#include "ipckit/unix/listener.hpp"
#include "ipckit/unix/socket.hpp"
#include "log.hpp"
#include "pass_cache.hpp"
#include "rate_limiter.hpp"
#include "screen_clock.hpp"
#include "screen_key.hpp"

namespace ipckit::handoff {

namespace detail {

// What an epoll event or a deadline token refers to.
enum class Tag : std::uint8_t {
  kWake = 1,     // the eventfd of request_stop/request_reload
  kSignal,       // the signalfd
  kListener,     // slot: index into listeners
  kControl,      // the control listener
  kClient,       // slot: a client
  kWorker,       // slot: a control connection
  kGrace,        // deadline: the end of the grace period
  kResumeAccept  // deadline: listeners paused after EMFILE/ENFILE resume
};

[[nodiscard]] constexpr std::uint64_t make_token(Tag tag, std::uint32_t generation,
                                                 std::uint32_t slot) noexcept {
  return std::uint64_t{static_cast<std::uint8_t>(tag)} << 56 |
         std::uint64_t{generation & 0xFFFFFFu} << 32 | slot;
}
[[nodiscard]] constexpr Tag tag_of(std::uint64_t token) noexcept {
  return static_cast<Tag>(token >> 56);
}
[[nodiscard]] constexpr std::uint32_t generation_of(std::uint64_t token) noexcept {
  return static_cast<std::uint32_t>(token >> 32) & 0xFFFFFFu;
}
[[nodiscard]] constexpr std::uint32_t slot_of(std::uint64_t token) noexcept {
  return static_cast<std::uint32_t>(token);
}

// The screens a client passed, as bits, in the order ClientInfo lists them.
enum ScreenBit : std::uint8_t {
  kScreenAccess = 1,
  kScreenRate = 2,
  kScreenConcurrency = 4,
  kScreenPregreet = 8,
  kScreenCache = 16,
};

// Why a client was refused: the keys of Stats::rejected.
enum class Reject : std::uint8_t { kAccess, kRate, kConcurrency, kPregreet, kBusy, kShutdown };
inline constexpr std::size_t kRejectReasons = 6;
[[nodiscard]] std::string_view to_string(Reject reason) noexcept;

enum class ClientState : std::uint8_t { kFree, kScreening, kWaiting, kInFlight };

struct ClientSlot {
  Fd fd;
  std::uint32_t generation = 0;
  ClientState state = ClientState::kFree;
  bool in_epoll = false;
  bool counted = false;  // holds one unit of AddressCounts
  bool banner_sent = false;
  std::uint8_t screens = 0;
  std::uint32_t redispatched = 0;
  std::uint32_t worker = 0;  // in flight: the control connection's slot
  std::uint64_t id = 0;
  std::int64_t accepted_unix_ns = 0;
  TimePoint due{};  // the pending deadline (pregreet end or busy timeout)
  AddressKey key;
  net::InetAddress peer;
  net::InetAddress local;
};

struct InFlight {
  std::uint64_t id = 0;
  std::uint32_t client = 0;  // slot
  TimePoint sent{};
};

struct Active {
  std::uint64_t id = 0;
  AddressKey key;
  bool counted = false;
};

struct WorkerConn {
  Fd socket;  // the control connection: SOCK_SEQPACKET, non-blocking
  uds::PeerCredentials peer{};
  std::uint32_t slot = 0;  // its index in Impl::conns
  std::uint32_t generation = 0;
  bool used = false;        // the slot holds a connection
  bool registered = false;  // said register and got registered
  bool retired = false;     // a reload's policy no longer allows it: no new clients
  bool blocked = false;     // its socket was full (EAGAIN): waiting for EPOLLOUT
  bool ack_timer = false;   // a deadline for its oldest unacknowledged client is pending
  WorkerLoad load;          // number, capacity, in_flight, active, open
  std::string name;
  // Not allowed by the worker policy: refused (with this reason) in answer to its first
  // message, so that the refusal is what the peer reads after sending "register".
  std::string refusal;
  std::uint64_t handed_off = 0;
  std::vector<InFlight> in_flight;
  std::vector<Active> active;
};

// The counters of Stats, kept as the engine updates them.
struct Counters {
  std::uint64_t accepted = 0;
  std::array<std::uint64_t, kRejectReasons> rejected{};
  std::uint64_t cache_hits = 0;
  std::uint64_t handed_off = 0;
  std::uint64_t redispatched = 0;
  std::uint64_t client_gone = 0;
  std::uint64_t workers_refused = 0;
  std::uint64_t workers_dropped = 0;
  std::uint64_t reloads = 0;
  std::uint32_t screening = 0;
  std::uint32_t waiting = 0;
  std::uint32_t in_flight = 0;
};

}  // namespace detail

struct Server::Impl {
  // --- fixed at start ---
  Config config;
  std::vector<net::TcpListener> listeners;
  std::vector<net::InetAddress> listening;
  std::optional<uds::UnixListener> control;          // bound here, or
  std::optional<uds::UnixSocket> activated_control;  // passed by systemd ("control")
  uds::UnixAddress control_address;
  Fd epoll;
  Fd wake;  // eventfd: request_stop/request_reload
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> reload_requested{false};
  detail::TimePoint started{};

  // --- the running configuration's pieces ---
  detail::AccessRules access;
  detail::RateLimiter rate;
  detail::AddressCounts counts;
  detail::PassCache cache;
  detail::Dispatcher dispatcher;
  detail::Logger log;
  std::string banner_wire;  // banner + CRLF, or empty
  std::string reject_wire;  // reject_line + CRLF, or empty
  std::string busy_wire;    // busy_line + CRLF, or empty

  // --- state ---
  detail::DeadlineHeap deadlines;
  std::vector<detail::ClientSlot> clients;
  std::vector<std::uint32_t> free_clients;
  std::deque<std::uint64_t> waiting;  // client tokens, oldest first (stale ones skipped)
  std::vector<std::unique_ptr<detail::WorkerConn>> conns;
  std::vector<std::uint32_t> free_conns;
  std::vector<detail::WorkerConn*> workers;  // registered, in increasing worker number
  std::uint64_t next_client_id = 1;
  std::uint32_t next_worker_number = 1;
  detail::Counters counters;
  bool stopping = false;
  bool accept_paused = false;
  Fd signal_fd;
  std::vector<char> receive_buffer;  // receive buffer for control messages (kMaxMessage + 1)
  RunOptions options;

  [[nodiscard]] FdView control_fd() const noexcept {
    return control ? control->fd() : activated_control ? activated_control->fd() : FdView();
  }

  // server.cpp
  [[nodiscard]] Result<void> bind_control();
  [[nodiscard]] Stats stats() const;
  void apply(const Config& next);

  // server_loop.cpp
  [[nodiscard]] Result<void> run(RunOptions run_options);
  [[nodiscard]] Result<void> loop();
  void epoll_add(int fd, std::uint32_t events, std::uint64_t token);
  void epoll_mod(int fd, std::uint32_t events, std::uint64_t token);
  void epoll_del(int fd);
  void on_wake();
  void on_signal();
  void on_deadline(const detail::Deadline& deadline, detail::TimePoint now);
  void begin_stop(detail::TimePoint now);
  void finish_stop();
  void reload();
  [[nodiscard]] bool drained() const noexcept;

  // server_clients.cpp
  void on_listener(std::size_t index, detail::TimePoint now);
  void on_client_event(std::uint32_t slot, std::uint32_t events, detail::TimePoint now);
  void admit(Fd fd, const net::InetAddress& peer, const net::InetAddress& local,
             detail::TimePoint now);
  void pregreet_passed(std::uint32_t slot, detail::TimePoint now);
  void ready(std::uint32_t slot, detail::TimePoint now);
  void enqueue(std::uint32_t slot, detail::TimePoint now, bool front);
  void pump(detail::TimePoint now);
  [[nodiscard]] bool try_send(std::uint32_t slot, detail::TimePoint now);
  // `wire` is the line to send, CRLF included, or empty.
  void reject(std::uint32_t slot, detail::Reject reason, std::string_view wire);
  void reject_fd(const Fd& fd, const net::InetAddress& peer, detail::Reject reason);
  void client_gone(std::uint32_t slot);
  void release_client(std::uint32_t slot);
  void set_state(detail::ClientSlot& c, detail::ClientState state) noexcept;
  void free_client(std::uint32_t slot);
  std::uint32_t new_client_slot();
  [[nodiscard]] std::uint64_t client_token(std::uint32_t slot) const noexcept;

  // server_workers.cpp
  void on_control(detail::TimePoint now);
  void on_worker_event(std::uint32_t slot, std::uint32_t events, detail::TimePoint now);
  void on_worker_message(std::uint32_t slot, std::string_view payload, detail::TimePoint now);
  [[nodiscard]] bool on_ack(detail::WorkerConn& w, std::uint64_t id);
  [[nodiscard]] bool on_done(detail::WorkerConn& w, std::uint64_t id);
  void refuse_conn(std::uint32_t slot, std::string_view reason);
  void drop_worker(std::uint32_t slot, std::string_view reason, detail::TimePoint now);
  void close_conn(std::uint32_t slot);
  void check_ack_timeout(std::uint32_t slot, detail::TimePoint now);
  void retire_disallowed();
  [[nodiscard]] std::uint64_t conn_token(std::uint32_t slot) const noexcept;
};

}  // namespace ipckit::handoff
