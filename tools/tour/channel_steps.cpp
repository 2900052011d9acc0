// Tour steps 210-230: the shared-memory channel (the article's line copy made lossless), its
// crash safety, and shared state (the article's scheduler -> barmand table).
//
// Every object is named after this run (Tour::unique_name) and removed by a scope guard; every
// child process is killed and reaped by its Child guard.
#include <fmt/core.h>
#include <sys/mman.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "ipckit/channel.hpp"
#include "ipckit/shared_state.hpp"
#include "tour/line_experiment.hpp"
#include "tour/support.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {
namespace {

using channel::Channel;

constexpr std::uint32_t kChannelLines = 20000;

bool channel_copy_step(Tour& t) {
  t.say(
      "The same experiment a third way. The article's reader loses lines because \"it has no "
      "way to signal to the writer whether it is done with the current line\". An ipckit "
      "channel is that signal: a ring in shared memory where the reader moves a 'head' "
      "position once it is done with a message, and the writer never overwrites bytes the "
      "reader has not released. When the ring is full the writer waits; when it is empty the "
      "reader waits, first spinning, then asleep on a futex in the segment.");
  const std::string name = t.unique_name("lines");
  auto chan = Channel::create(name, {.capacity = 64 * 1024});
  if (!chan) return failed(t, "create the channel", chan.error());
  ScopeExit cleanup([&] { (void)Channel::unlink(name); });
  t.show("ipckit chan create {} --capacity 64K   # /dev/shm/{}, mode 0600", name, name);

  Child writer;
  if (!writer.start([&] {
        auto ch = Channel::open(name);
        if (!ch) return 2;
        auto tx = ch->sender();
        if (!tx) return 3;
        for (std::uint32_t i = 1; i <= kChannelLines; ++i) {
          if (!tx->send(make_line(i))) return 4;
        }
        return 0;  // the Sender detaches: the reader sees the end of the stream
      })) {
    return failed(t, "fork the writer", Error::from_errno("fork", ""));
  }
  auto rx = chan->receiver();
  if (!rx) return failed(t, "attach the reader", rx.error());
  t.show("writer: {} x send(line)   reader: recv(line) until the writer leaves", kChannelLines);

  std::uint32_t intact = 0, torn = 0, out_of_order = 0, expected = 1;
  std::vector<std::byte> msg;
  const auto start = Clock::now();
  for (;;) {
    auto r = rx->recv(msg, std::chrono::seconds(10));
    if (!r) {
      if (r.error().code() == EPIPE) break;  // end of stream: the writer is done and gone
      return failed(t, "receive", r.error());
    }
    auto result = classify({reinterpret_cast<const char*>(msg.data()), msg.size()});
    if (result.kind != ReadResult::kIntact) {
      ++torn;
    } else {
      ++intact;
      if (result.number != expected) ++out_of_order;
      expected = result.number + 1;
    }
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  const int code = writer.wait_for(milliseconds(5000));
  t.say(
      "The reader received {} lines in {} ms; then recv() reported that the writer had left "
      "(EPIPE), which is how a channel says end of stream.",
      intact + torn, us.count() / 1000);
  t.check(code == 0, "the writer sent every line and exited normally");
  t.check(torn == 0, fmt::format("no line was torn ({} torn)", torn));
  t.check(intact == kChannelLines && out_of_order == 0,
          fmt::format("all {} lines arrived, each exactly once and in order ({} received, {} "
                      "out of order)",
                      kChannelLines, intact, out_of_order));
  t.say(
      "Nothing lost, nothing mangled: the poor man's terminal-to-terminal copy, done right. "
      "From a shell: `ipckit chan send NAME < file` in one terminal and `ipckit chan recv "
      "NAME` in another.");
  return torn == 0 && intact == kChannelLines && out_of_order == 0 && code == 0;
}

bool channel_crash_step(Tour& t) {
  t.say(
      "Crash safety. A writer killed with SIGKILL in the middle of a message never exposes "
      "half of it: the message becomes visible only when the writer moves the 'tail' "
      "position, after the last byte is written. Here a writer streams messages and is "
      "killed; the reader checks that everything it got is whole, and a new writer takes the "
      "dead one's place.");
  const std::string name = t.unique_name("crash");
  auto chan = Channel::create(name, {.capacity = 16 * 1024});
  if (!chan) return failed(t, "create the channel", chan.error());
  ScopeExit cleanup([&] { (void)Channel::unlink(name); });
  // It follows writers (like tail -F): told of the dead one, it goes on with the next.
  auto rx = chan->receiver({}, channel::ReceiveMode::kFollow);
  if (!rx) return failed(t, "attach the reader", rx.error());

  Child writer;
  if (!writer.start([&] {
        auto ch = Channel::open(name);
        auto tx = ch ? ch->sender() : Result<channel::Sender>(std::unexpected(ch.error()));
        if (!tx) return 2;
        for (std::uint32_t i = 1;; ++i)
          (void)tx->send(make_line(i));
      })) {
    return failed(t, "fork the writer", Error::from_errno("fork", ""));
  }
  std::uint32_t got = 0, torn = 0, expected = 1;
  std::vector<std::byte> msg;
  const auto deadline = Clock::now() + milliseconds(30);
  while (Clock::now() < deadline) {
    auto r = rx->recv(msg, milliseconds(100));
    if (!r) break;
    auto c = classify({reinterpret_cast<const char*>(msg.data()), msg.size()});
    if (c.kind != ReadResult::kIntact || c.number != expected) ++torn;
    expected = c.number + 1;
    ++got;
  }
  t.show("kill -KILL {}   # the writer, mid-stream", writer.pid());
  (void)writer.wait_for(milliseconds(0));
  // Drain what the dead writer had published; then the ring tells the reader it is gone.
  for (;;) {
    auto r = rx->recv(msg, std::chrono::seconds(2));
    if (!r) {
      t.check(r.error().code() == ECONNRESET,
              fmt::format("the reader was told the writer died: \"{}\"", r.error().message()));
      break;
    }
    auto c = classify({reinterpret_cast<const char*>(msg.data()), msg.size()});
    if (c.kind != ReadResult::kIntact || c.number != expected) ++torn;
    expected = c.number + 1;
    ++got;
  }
  t.check(torn == 0, fmt::format("all {} messages the reader got were whole and in order", got));
  auto tx = chan->sender();
  bool took_over = tx && tx->send("a new writer").has_value();
  auto r = rx->recv(msg, std::chrono::seconds(1));
  t.check(took_over && r && msg.size() == 12,
          "a new writer took over the dead writer's side, and its message arrived");
  return torn == 0 && took_over && r.has_value();
}

bool shared_state_step(Tour& t) {
  t.say(
      "The article's scheduler -> barmand pattern: one process fills a large table that "
      "others read. Readers must never see half of one update and half of the next. ipckit's "
      "shared state keeps several copies of the table; the writer fills a copy nobody is "
      "reading and publishes it in one atomic store, and readers pin the copy they read. "
      "Neither side ever waits for the other.");
  const std::string name = t.unique_name("table");
  constexpr std::size_t kTable = 4 << 20;
  auto writer = shared_state::SharedStateWriter::create(name, kTable);
  if (!writer) return failed(t, "create the shared state", writer.error());
  ScopeExit cleanup([&] { (void)shared_state::SharedState::unlink(name); });
  t.show("SharedStateWriter::create(\"{}\", 4 MiB)   # 3 copies: 12 MiB + a header", name);

  Pipe report;
  Child reader;
  if (!reader.start([&] {
        report.close_read();
        auto rd = shared_state::SharedStateReader::open(name);
        if (!rd) return 2;
        std::uint64_t seen = 0, snapshots = 0, mixed = 0, last = 0;
        const auto until = Clock::now() + milliseconds(400);
        while (Clock::now() < until) {
          auto snap = rd->snapshot();
          if (!snap) return 3;
          auto bytes = snap->table();
          // Every 8-byte word of version v holds v: a mixed snapshot would hold two values.
          std::uint64_t first, mid, end;
          std::memcpy(&first, bytes.data(), 8);
          std::memcpy(&mid, bytes.data() + kTable / 2, 8);
          std::memcpy(&end, bytes.data() + kTable - 8, 8);
          if (first != mid || mid != end || first != snap->version()) ++mixed;
          if (snap->version() != last) ++seen;
          last = snap->version();
          ++snapshots;
        }
        return report.put(fmt::format("{} {} {}", snapshots, seen, mixed)) ? 0 : 4;
      })) {
    return failed(t, "fork the reader", Error::from_errno("fork", ""));
  }
  report.close_write();
  std::uint64_t updates = 0;
  const auto until = Clock::now() + milliseconds(400);
  while (Clock::now() < until) {
    auto v = writer->update(
        [&](std::span<std::byte> table, std::uint64_t version) {
          auto* words = reinterpret_cast<std::uint64_t*>(table.data());
          std::fill(words, words + kTable / 8, version);
        },
        shared_state::Prefill::kNone);
    if (!v) return failed(t, "update the table", v.error());
    ++updates;
  }
  const std::string result = report.get_all();
  const int code = reader.wait_for(milliseconds(5000));
  std::uint64_t snapshots = 0, seen = 0, mixed = 1;
  if (std::sscanf(result.c_str(), "%lu %lu %lu", &snapshots, &seen, &mixed) != 3) {
    t.check(false, "the reader reported its findings");
    return false;
  }
  t.say(
      "The writer published {} versions of the 4 MiB table in 0.4 s while the reader took {} "
      "snapshots and saw {} different versions.",
      updates, snapshots, seen);
  t.check(code == 0 && mixed == 0,
          fmt::format("every snapshot was one whole version, checked at its start, middle and "
                      "end ({} mixed)",
                      mixed));
  return code == 0 && mixed == 0;
}

}  // namespace

IPCKIT_TOUR_STEP(210, "The channel: the article's line copy, with nothing lost", channel_copy_step);
IPCKIT_TOUR_STEP(220, "Crash safety: a writer killed mid-message", channel_crash_step);
IPCKIT_TOUR_STEP(230, "Shared state: one writer, many readers, never a mixed table",
                 shared_state_step);

}  // namespace ipckit::tour
