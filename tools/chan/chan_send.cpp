// `ipckit chan send NAME [FILE]`: sends a file or stdin into a channel, as chunks or as lines,
// then detaches, which tells the receiver the stream has ended once it has drained the ring.
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "chan/chan_verbs.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/size.hpp"
#include "cli/values.hpp"

namespace ipckit::cli::chan {

namespace {

struct SendOptions {
  std::string name;
  std::string file;
  bool lines = false;
  std::uint64_t chunk = std::uint64_t{64} << 10;
  bool progress = false;
  double timeout = -1;
  bool busy_poll = false;
};

// What every sending loop works with.
struct Stream {
  Sender& tx;
  const DataFile& in;
  const SendOptions& options;
  Progress& progress;

  [[nodiscard]] channel::Timeout timeout() const noexcept { return to_timeout(options.timeout); }
  // A send error, with a timeout saying how long we waited.
  [[nodiscard]] Error explain(const Error& e) const {
    if (e.code() != ETIMEDOUT) return e;
    return e.with_detail(
        fmt::format("no room in the channel for {}", describe_timeout(options.timeout)));
  }
  [[nodiscard]] Result<void> send(std::span<const std::byte> message) const {
    auto sent = tx.send(message, timeout());
    if (!sent) return std::unexpected(explain(sent.error()));
    progress.add(message.size());
    return {};
  }
};

// Binary-safe: each read() of up to `chunk` bytes becomes one message.
//
// Not zero copy on purpose: reading straight into Sender::reserve() space saves ~10% CPU time on
// 1 GiB, but it must wait for room for the next chunk before read() can tell that the input has
// ended, so a sender whose input is done would block on (or, receiver dead, fail with EPIPE over)
// data it does not have. A sender here detaches as soon as its input ends.
Result<void> send_chunks(const Stream& s, std::size_t chunk) {
  std::vector<std::byte> buffer(chunk);
  for (;;) {
    auto n = read_some(s.in, buffer);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return {};
    if (auto sent = s.send(std::span(buffer).first(*n)); !sent) return sent;
  }
}

// One message per line, without its newline. A last line with no newline is sent as it is.
// The buffer grows only as far as the longest line needs, up to max_message + 1 bytes.
Result<void> send_lines(const Stream& s, const std::string& channel) {
  const std::size_t max = s.tx.max_message();
  std::vector<std::byte> buffer(std::min<std::size_t>(std::size_t{256} << 10, max + 1));
  std::size_t start = 0;    // first byte of the current line
  std::size_t scanned = 0;  // bytes before this are known not to hold a newline
  std::size_t end = 0;      // bytes read so far
  std::uint64_t line_number = 1;
  auto send_line = [&](std::size_t length) {
    ++line_number;
    return s.send(std::span(buffer).subspan(start, length));
  };
  for (;;) {
    while (scanned < end) {
      const void* hit = std::memchr(buffer.data() + scanned, '\n', end - scanned);
      if (hit == nullptr) {
        scanned = end;
        break;
      }
      const auto newline =
          static_cast<std::size_t>(static_cast<const std::byte*>(hit) - buffer.data());
      if (auto sent = send_line(newline - start); !sent) return sent;
      start = scanned = newline + 1;
    }
    if (start == end) {
      start = scanned = end = 0;
    } else if (end == buffer.size()) {
      if (start > 0) {  // make room by moving the partial line to the front
        std::memmove(buffer.data(), buffer.data() + start, end - start);
        end -= start;
        scanned = end;
        start = 0;
      } else if (buffer.size() > max) {
        return fail(EMSGSIZE, "send", channel,
                    fmt::format("line {} is longer than the channel's maximum message of {} bytes",
                                line_number, max));
      } else {
        buffer.resize(std::min(buffer.size() * 2, max + 1));
      }
    }
    auto n = read_some(s.in, std::span(buffer).subspan(end));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return start == end ? Result<void>{} : send_line(end - start);
    end += *n;
  }
}

// Only the Sender stays attached: the Channel handle would be a second, idle participant.
Result<Sender> attach_sender(const Target& target, const channel::WaitPolicy& policy) {
  auto channel = target.open();
  if (!channel) return std::unexpected(channel.error());
  return channel->sender(policy);
}

int run_send(const SendOptions& o) {
  auto target = Target::parse(o.name);
  if (!target) return report("chan send", target.error());
  auto in = DataFile::open_input(o.file);
  if (!in) return report("chan send", in.error());
  if (o.chunk == 0)
    return report("chan send", Error(EINVAL, "--chunk", "", "must be at least 1 byte"));

  channel::WaitPolicy policy;
  if (o.busy_poll) policy.mode = channel::WaitMode::kBusyPoll;
  auto tx = attach_sender(*target, policy);
  if (!tx) return report("chan send", tx.error());

  Progress progress(progress_wanted(o.progress, in->fd().get()), "sent");
  const Stream stream{*tx, *in, o, progress};
  const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(o.chunk, tx->max_message()));
  auto sent = o.lines ? send_lines(stream, target->text()) : send_chunks(stream, chunk);
  progress.finish();
  if (!sent) return report("chan send", sent.error());
  return kExitOk;  // ~Sender detaches: once drained, the receiver sees the end of the stream
}

}  // namespace

Verb add_send(CLI::App& chan) {
  auto o = std::make_shared<SendOptions>();
  auto* app = chan.add_subcommand("send", "Send FILE (default: stdin) into a channel");
  add_channel_name_argument(*app, o->name);
  app->add_option("FILE", o->file, "Input file; '-' or none for stdin");
  app->add_flag("--lines", o->lines, "One message per line, without the newline");
  app->add_option("--chunk", o->chunk, "Largest message without --lines (capped at max message)")
      ->transform(size_transformer())
      ->default_str("64K");
  app->add_flag("--progress", o->progress, "Report progress on stderr even if not a terminal");
  app->add_option("--timeout", o->timeout, "Give up when the channel stays full this long")
      ->check(seconds_validator());
  app->add_flag("--busy-poll", o->busy_poll, "Spin instead of sleeping while the channel is full");
  return {app, [o] { return run_send(*o); }};
}

}  // namespace ipckit::cli::chan
