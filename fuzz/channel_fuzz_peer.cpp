// The victim side of fuzz_channel_hostile: a real Sender and Receiver (built with g++ by the main
// build; clang 14 cannot compile the library) that keep sending and receiving while the fuzzer
// rewrites their segment. Driven over stdin/stdout, one round per fuzzer input:
//
//   fuzzer: "round FLAGS TIMEOUT_MS\n"   FLAGS bit 0: multi-producer, bit 1: busy poll
//   peer:   "ready NAME\n"               a fresh channel, a sending and a receiving thread
//   fuzzer: (mutates /dev/shm/NAME) "stop\n"
//   peer:   "ok\n" or "bad WHY\n"        after both threads returned and the channel is gone
//
// The invariant checked here: every call returns ok or one of the errors a hostile writer may
// cause, and returns by its deadline (plus a grace for a loaded machine). A signal kills the
// peer and a hang stops its answers: the fuzzer sees both.
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ipckit/channel.hpp"

namespace {

using namespace ipckit;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kGrace = 5s;  // beyond a call's timeout: a loaded machine, a sanitizer

struct Round {
  std::string name;
  std::chrono::milliseconds timeout{10};
  channel::WaitPolicy policy;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::string bad;  // the first broken invariant

  void broke(std::string why) {
    std::lock_guard lock(mutex);
    if (bad.empty()) bad = std::move(why);
  }
  // Checks one call: an allowed outcome, returned by its deadline.
  template <class T>
  void check(const char* what, const Result<T>& r, Clock::time_point started,
             std::initializer_list<int> allowed) {
    if (Clock::now() - started > timeout + kGrace)
      broke(fmt::format("{} overran its timeout", what));
    if (r) return;
    for (int code : allowed)
      if (r.error().code() == code) return;
    broke(fmt::format("{}: unexpected error: {}", what, r.error().message()));
  }
};

void run_sender(Round& round) {
  auto ch = channel::Channel::open(round.name);
  if (!ch) return;  // the file may already be truncated: nothing to send on
  auto tx = ch->sender(round.policy);
  if (!tx) return;
  std::vector<std::byte> message(tx->max_message());
  for (std::uint32_t i = 0; !round.stop.load(); ++i) {
    const std::size_t size = (i * 37u) % 300u % (message.size() + 1);
    auto started = Clock::now();
    if (i % 3 == 2) {
      auto r = tx->try_send(std::span(message.data(), size));
      round.check("try_send", r, started, {EBADMSG, EPROTO});
      continue;
    }
    auto r = tx->send(std::span<const std::byte>(message.data(), size), round.timeout);
    round.check("send", r, started, {ETIMEDOUT, EPIPE, EBADMSG, EPROTO});
  }
}

void run_receiver(Round& round) {
  auto ch = channel::Channel::open(round.name);
  if (!ch) return;
  auto rx = ch->receiver(round.policy);
  if (!rx) return;
  std::vector<std::byte> message;
  for (std::uint32_t i = 0; !round.stop.load(); ++i) {
    auto started = Clock::now();
    if (i % 4 == 3) {
      auto r = rx->peek(round.timeout);
      round.check("peek", r, started, {ETIMEDOUT, EPIPE, ECONNRESET, EBADMSG, EPROTO});
      if (r) {
        volatile std::byte sink{};
        for (std::byte b : *r)
          sink = b;  // a peeked span stays readable, whatever happens to the file
        (void)sink;
        rx->release();
      }
      continue;
    }
    auto r = rx->recv(message, round.timeout);
    round.check("recv", r, started, {ETIMEDOUT, EPIPE, ECONNRESET, EBADMSG, EPROTO});
  }
}

// One round; returns "" or what broke.
std::string play(unsigned flags, unsigned timeout_ms, unsigned serial) {
  Round round;
  round.name = fmt::format("ipckit-fuzz-{}-{}", ::getpid(), serial);
  round.timeout = std::chrono::milliseconds(timeout_ms);
  if ((flags & 2) != 0) round.policy.mode = channel::WaitMode::kBusyPoll;
  channel::ChannelOptions options{.capacity = 4096};
  if ((flags & 1) != 0) options.producers = channel::Producers::kMulti;
  {
    auto created = channel::Channel::create(round.name, options);
    if (!created) return "create: " + created.error().message();
  }
  std::thread sender(run_sender, std::ref(round));
  std::thread receiver(run_receiver, std::ref(round));
  std::cout << "ready " << round.name << std::endl;
  std::string line;
  std::getline(std::cin, line);  // "stop", or EOF: the fuzzer is gone
  round.stop.store(true);
  sender.join();
  receiver.join();
  ::shm_unlink(("/" + round.name).c_str());
  return round.bad;
}

}  // namespace

int main() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the fuzzer
  std::string command;
  unsigned flags = 0;
  unsigned timeout_ms = 0;
  for (unsigned serial = 0; std::cin >> command >> flags >> timeout_ms; ++serial) {
    std::cin.ignore(1);  // the newline
    if (command != "round") return 2;
    std::string bad = play(flags, timeout_ms, serial);
    std::cout << (bad.empty() ? std::string("ok") : "bad " + bad) << std::endl;
  }
  return 0;
}
