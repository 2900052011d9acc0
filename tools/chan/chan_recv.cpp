// `ipckit chan recv NAME [FILE]`: writes what a channel carries to FILE or stdout until the end
// of the stream (every producer that attached has left and the ring is drained), --count
// messages, or --timeout. With --follow it receives across producers, reports each one's end
// on stderr, and stops only at a stop signal (exit 0) or --timeout.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "chan/chan_verbs.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/values.hpp"

namespace ipckit::cli::chan {

namespace {

struct RecvOptions {
  std::string name;
  std::string file;
  bool lines = false;
  bool progress = false;
  double timeout = -1;
  std::uint64_t count = 0;
  CLI::Option* count_option = nullptr;  // given: stop after `count` messages
  bool busy_poll = false;
  std::uint32_t poll_interval_us = 0;  // WaitPolicy::poll_interval, microseconds
  bool follow = false;
};

// Output collected in memory and written in large pieces. Never writes by itself: the caller
// flushes after releasing the message it copied, so no write(2) runs while a message is held
// (which, on a multi-consumer channel, would hold every other consumer up).
class OutputBuffer {
 public:
  static constexpr std::size_t kFlushAt = std::size_t{256} << 10;
  explicit OutputBuffer(const DataFile& out) : out_(out) { data_.reserve(kFlushAt * 2); }
  void append(std::span<const std::byte> bytes) {
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }
  void append(std::byte b) { data_.push_back(b); }
  [[nodiscard]] bool empty() const noexcept { return data_.empty(); }
  [[nodiscard]] bool full() const noexcept { return data_.size() >= kFlushAt; }
  [[nodiscard]] Result<void> flush() {
    auto written = write_all(out_, data_);
    data_.clear();
    return written;
  }

 private:
  const DataFile& out_;
  std::vector<std::byte> data_;
};

// Messages at least this large go straight from the ring to the output, with no copy, when the
// channel has a single consumer (nobody else waits while we write).
constexpr std::size_t kDirectWrite = std::size_t{16} << 10;

// Only the Receiver stays attached: the Channel handle would be a second, idle participant.
Result<Receiver> attach_receiver(const Target& target, const channel::WaitPolicy& policy,
                                 channel::ReceiveMode mode, bool& single_consumer) {
  auto channel = target.open();
  if (!channel) return std::unexpected(channel.error());
  single_consumer = channel->info().consumers == channel::Consumers::kSingle;
  return channel->receiver(policy, mode);
}

// How long a --follow wait lasts before it looks for a stop signal again.
constexpr std::chrono::milliseconds kStopCheck{100};

// --follow: the next message, waiting until `silence_end`. Reports each producer's end or death
// as it comes ("ipckit: chan recv: producer 4242 died"). Errors: ETIMEDOUT at `silence_end`,
// EINTR once a stop signal came (nothing is peeked then), and the receiver's other errors.
Result<std::span<const std::byte>> peek_following(
    Receiver& rx, const std::string& name, std::chrono::steady_clock::time_point silence_end) {
  for (;;) {
    if (StopSignals::caught() != 0) return std::unexpected(StopSignals::stopped("recv", name));
    const auto left = silence_end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return fail(ETIMEDOUT, "recv", name);
    auto r = rx.peek(
        std::min<channel::Timeout>(kStopCheck, std::chrono::duration_cast<channel::Timeout>(left)));
    if (r) return r;
    const int code = r.error().code();
    if (code == EPIPE || code == ECONNRESET) {
      warn("chan recv: {}", r.error().detail());
      continue;
    }
    if (code != ETIMEDOUT) return r;
  }
}

int run_recv(const RecvOptions& o) {
  auto target = Target::parse(o.name);
  if (!target) return report("chan recv", target.error());
  channel::WaitPolicy policy;
  if (o.busy_poll) policy.mode = channel::WaitMode::kBusyPoll;
  policy.poll_interval = std::chrono::microseconds(o.poll_interval_us);
  bool single_consumer = true;
  auto rx = attach_receiver(
      *target, policy, o.follow ? channel::ReceiveMode::kFollow : channel::ReceiveMode::kStream,
      single_consumer);
  if (!rx) return report("chan recv", rx.error());
  if (o.follow) {
    if (auto installed = StopSignals::install(); !installed)
      return report("chan recv", installed.error());
  }
  // Opened only now, so that a missing channel does not truncate FILE.
  auto out = DataFile::open_output(o.file);
  if (!out) return report("chan recv", out.error());

  OutputBuffer buffer(*out);
  Progress progress(progress_wanted(o.progress, out->fd().get()), "received");
  const channel::Timeout timeout = to_timeout(o.timeout);
  auto fail_with = [&](const Error& e) {
    (void)buffer.flush();  // keep what was received; the first error is the one to report
    progress.finish();
    return report("chan recv", e);
  };

  const bool counting = o.count_option->count() > 0;
  // --follow: --timeout counts from the last message, not from the last producer's end.
  auto silence_end = [&] {
    const auto now = std::chrono::steady_clock::now();
    return timeout == channel::kForever ||
                   timeout >= std::chrono::steady_clock::time_point::max() - now
               ? std::chrono::steady_clock::time_point::max()
               : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  };
  auto quiet_until = silence_end();
  while (!counting || progress.messages() < o.count) {
    if (o.follow && StopSignals::caught() != 0) break;  // between messages: nothing held
    auto ready = rx->try_peek();
    if (!ready) return fail_with(ready.error());
    std::span<const std::byte> message;
    if (*ready) {
      message = **ready;
    } else {
      // Nothing to read: push out what we have before sleeping, so a slow stream flows.
      if (auto flushed = buffer.flush(); !flushed) return fail_with(flushed.error());
      progress.tick();
      auto waited = o.follow ? peek_following(*rx, target->text(), quiet_until) : rx->peek(timeout);
      if (!waited) {
        if (waited.error().code() == EPIPE) break;          // every producer left: end of stream
        if (o.follow && StopSignals::caught() != 0) break;  // stopped: a clean end
        if (waited.error().code() == ETIMEDOUT) {
          return fail_with(waited.error().with_detail(
              fmt::format("no message for {}", describe_timeout(o.timeout))));
        }
        return fail_with(waited.error());
      }
      message = *waited;
    }
    if (single_consumer && !o.lines && buffer.empty() && message.size() >= kDirectWrite) {
      // On failure the message stays in the ring for the next receiver.
      if (auto written = write_all(*out, message); !written) return fail_with(written.error());
    } else {
      buffer.append(message);
      if (o.lines) buffer.append(std::byte{'\n'});
    }
    const std::size_t size = message.size();
    rx->release();
    if (o.follow) quiet_until = silence_end();
    progress.add(size);
    if (buffer.full()) {
      if (auto flushed = buffer.flush(); !flushed) return fail_with(flushed.error());
    }
  }
  if (auto flushed = buffer.flush(); !flushed) return fail_with(flushed.error());
  progress.finish();
  return kExitOk;
}

}  // namespace

Verb add_recv(CLI::App& chan) {
  auto o = std::make_shared<RecvOptions>();
  auto* app = chan.add_subcommand("recv", "Receive from a channel into FILE (default: stdout)");
  add_channel_name_argument(*app, o->name);
  app->add_option("FILE", o->file, "Output file; '-' or none for stdout");
  app->add_flag("--lines", o->lines, "Write a newline after each message");
  app->add_flag("--progress", o->progress, "Report progress on stderr even if not a terminal");
  app->add_option("--timeout", o->timeout, "Give up when no message comes for this long")
      ->check(seconds_validator());
  o->count_option = app->add_option("--count", o->count, "Stop after N messages")
                        ->check(unsigned_validator(0, UINT64_MAX));
  app->add_flag("--busy-poll", o->busy_poll, "Spin instead of sleeping while the channel is empty");
  app->add_flag("--follow", o->follow,
                "Keep receiving across producers, report each one's end on stderr, and stop only "
                "at SIGINT/SIGTERM (exit 0) or --timeout");
  app->add_option("--poll-interval", o->poll_interval_us,
                  "While spinning, look at an empty channel only every US microseconds "
                  "(batches messages from many producers)")
      ->check(unsigned_validator(0, 1000000));
  return {app, [o] { return run_recv(*o); }};
}

}  // namespace ipckit::cli::chan
